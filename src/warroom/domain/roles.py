from enum import StrEnum


class Role(StrEnum):
    INCIDENT_COMMANDER = "incident_commander"
    TECH_LEAD = "tech_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"


ROLE_TITLES: dict[Role, str] = {
    Role.INCIDENT_COMMANDER: "Incident commander",
    Role.TECH_LEAD: "Tech lead",
    Role.COMMS_LEAD: "Comms lead",
    Role.SCRIBE: "Scribe",
}


def team_assembled(holders: dict[Role, str]) -> bool:
    """An incident commander and at least one more role: the checklist's 'team'."""
    return Role.INCIDENT_COMMANDER in holders and len(holders) >= 2
