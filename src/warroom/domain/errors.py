class DomainError(Exception):
    """A rule refused a request; the message says what to do instead."""


class InvalidTransition(DomainError):
    def __init__(self, current: str, requested: str, allowed: list[str]) -> None:
        self.current = current
        self.requested = requested
        self.allowed = allowed
        moves = ", ".join(allowed) if allowed else "none (this state is final)"
        super().__init__(
            f"cannot move an incident from '{current}' to '{requested}'; allowed moves: {moves}"
        )
