"""Final shifts as an iCalendar feed (RFC 5545) that calendar clients subscribe to."""

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from warroom.domain.schedule import Shift


def calendar_of(
    title: str, shifts: Iterable[tuple[str, Shift]], *, now: datetime, uid_scope: str
) -> bytes:
    """One VEVENT per (schedule name, final shift). UIDs are stable across fetches, so a
    client updates an event in place instead of duplicating it."""
    cal = Calendar()
    cal.add("prodid", "-//warroom//on-call//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    for schedule, shift in shifts:
        event = Event()
        event.add(
            "uid", f"{uid_scope}-{schedule}-{int(shift.start.timestamp())}-{shift.user}@warroom"
        )
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        event.add("summary", f"On call: {shift.user} ({schedule})")
        event.add("description", f"schedule {schedule}, {shift.layer}")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    body: bytes = cal.to_ical()
    return body
