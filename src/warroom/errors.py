"""Errors an action raises; the web layer turns each into a JSON 4xx with its message."""


class WarroomError(Exception):
    status_code = 400

    def __init__(self, message: str, *, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.allowed = allowed


class NotFound(WarroomError):
    status_code = 404


class Conflict(WarroomError):
    status_code = 409


class Invalid(WarroomError):
    status_code = 422


class Forbidden(WarroomError):
    status_code = 403
