"""The paging world (users on local receivers, a policy, the engine by hand on a fake
clock), reused for the incident timers."""

from tests.paging.conftest import Mailbox, Receiver, World, receiver, smtp, world

__all__ = ["Mailbox", "Receiver", "World", "receiver", "smtp", "world"]
