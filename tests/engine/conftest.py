"""Fixtures for the engine tests: the fake Slack per test, one real Synapse per session."""

from tests.fakes.slack import fake_slack
from tests.notify.synapse import synapse

__all__ = ["fake_slack", "synapse"]
