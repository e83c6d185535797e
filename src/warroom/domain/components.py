"""Status-page components: what the public sees of a service."""

from enum import StrEnum

from warroom.domain.severity import Severity


class ComponentStatus(StrEnum):
    # Best to worst, as the Statuspage format orders them.
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


_ORDER = list(ComponentStatus)

FOR_SEVERITY: dict[Severity, ComponentStatus] = {
    Severity.SEV1: ComponentStatus.MAJOR_OUTAGE,
    Severity.SEV2: ComponentStatus.PARTIAL_OUTAGE,
    Severity.SEV3: ComponentStatus.DEGRADED_PERFORMANCE,
    Severity.SEV4: ComponentStatus.DEGRADED_PERFORMANCE,
}


def worse(a: ComponentStatus, b: ComponentStatus) -> bool:
    """True when `a` is a worse state than `b`."""
    return _ORDER.index(a) > _ORDER.index(b)
