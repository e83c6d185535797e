from enum import StrEnum


class EventType(StrEnum):
    """Every kind of entry an incident's append-only timeline can hold."""

    DECLARED = "declared"
    STATUS_CHANGED = "status_changed"
    ACKNOWLEDGED = "acknowledged"
    REOPENED = "reopened"
    SEVERITY_CHANGED = "severity_changed"
    SEVERITY_CONFIRMED = "severity_confirmed"
    ROLE_ASSIGNED = "role_assigned"
    ROLE_UNASSIGNED = "role_unassigned"
    CHECKLIST_ITEM_COMPLETED = "checklist_item_completed"
    NOTE_ADDED = "note_added"
    UPDATE_PUBLISHED = "update_published"
    RESPONSE_TARGET_BREACHED = "response_target_breached"
    # Written by later parts of the system (intake, engine, rooms, postmortems).
    ALERT_ATTACHED = "alert_attached"
    PAGE_SENT = "page_sent"
    ESCALATED = "escalated"
    LEVEL_SKIPPED = "level_skipped"
    PAGE_FAILED = "page_failed"
    PAGE_REQUESTED = "page_requested"
    REMINDER_SENT = "reminder_sent"
    RETRIGGERED = "retriggered"
    ROOM_OPENED = "room_opened"
    ROOM_INVITED = "room_invited"
    ROOM_MESSAGE_POSTED = "room_message_posted"
    COMPONENT_STATUS_CHANGED = "component_status_changed"
    AUTOMATION_FAILED = "automation_failed"
    # Whether and how the incident shows on the public status page changed.
    PUBLIC_CHANGED = "public_changed"
    # The learning loop (issue 6): postmortems, action items, runbooks, drills.
    POSTMORTEM_CREATED = "postmortem_created"
    POSTMORTEM_STATUS_CHANGED = "postmortem_status_changed"
    POSTMORTEM_MEETING_SET = "postmortem_meeting_set"
    ACTION_ITEM_CREATED = "action_item_created"
    ACTION_ITEM_CHANGED = "action_item_changed"
    ACTION_ITEM_OVERDUE = "action_item_overdue"
    RUNBOOK_STEP_DONE = "runbook_step_done"
    DRILL_STARTED = "drill_started"


SYSTEM_ACTOR = "warroom"
