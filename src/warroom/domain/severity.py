from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Severity(StrEnum):
    SEV1 = "SEV-1"
    SEV2 = "SEV-2"
    SEV3 = "SEV-3"
    SEV4 = "SEV-4"

    @property
    def rank(self) -> int:
        """1 is the most severe."""
        return int(self.value[-1])


MEANING: Mapping[Severity, str] = {
    Severity.SEV1: "Critical business impact: outage, data loss",
    Severity.SEV2: "Major functionality impaired",
    Severity.SEV3: "Minor functionality impaired",
    Severity.SEV4: "Minimal impact, cosmetic",
}

DEFAULT_RESPONSE_TARGETS_MINUTES: Mapping[Severity, float] = {
    Severity.SEV1: 15,
    Severity.SEV2: 30,
    Severity.SEV3: 120,
    Severity.SEV4: 24 * 60,
}


@dataclass(frozen=True, slots=True)
class ResponseTarget:
    """Where an incident stands against its severity's trigger-to-acknowledge target."""

    minutes: float
    due_at: datetime
    breached: bool
    # Positive while there is time left; negative once overdue and still unacknowledged;
    # None once acknowledged (the clock has stopped).
    seconds_left: float | None


def response_target(
    *,
    severity: Severity,
    triggered_at: datetime,
    acknowledged_at: datetime | None,
    now: datetime,
    targets: Mapping[Severity, float] = DEFAULT_RESPONSE_TARGETS_MINUTES,
) -> ResponseTarget:
    minutes = targets[severity]
    due_at = triggered_at + timedelta(minutes=minutes)
    if acknowledged_at is not None:
        return ResponseTarget(minutes, due_at, acknowledged_at > due_at, None)
    left = (due_at - now).total_seconds()
    return ResponseTarget(minutes, due_at, left < 0, left)
