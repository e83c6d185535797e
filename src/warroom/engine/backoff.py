"""When a failed task is tried again: pure arithmetic on times, no I/O.

The next attempt is planned from the failed attempt's planned time (its `due_at`), not
from when it happened to run, so a busy engine does not push every retry later. Two
floors keep it honest: never sooner than the service asked (`retry_after`), and never
sooner than `MIN_GAP` after the failure, so an engine that was down for an hour does not
spend all its attempts in one burst against a service that is still down.
"""

from datetime import datetime, timedelta

BASE = timedelta(seconds=10)
CAP = timedelta(minutes=15)
MIN_GAP = BASE
# Attempts (runs of the handler, including ones an engine died in) before giving up.
MAX_ATTEMPTS = 8


def retry_delay(attempt: int) -> timedelta:
    """The pause after the `attempt`-th failure (1-based): 10 s, 20 s, 40 s … 15 min."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    # Bounded exponent: 2**6 * 10 s already passes the cap.
    return min(BASE * (1 << min(attempt - 1, 16)), CAP)


def next_attempt_at(
    *, planned: datetime, failed_at: datetime, attempt: int, retry_after: float | None = None
) -> datetime:
    """The due time of the attempt after the `attempt`-th failed one."""
    due = planned + retry_delay(attempt)
    floor = failed_at + MIN_GAP
    if retry_after is not None and retry_after > 0:
        floor = max(floor, failed_at + timedelta(seconds=retry_after))
    return max(due, floor)
