"""The API's shapes for postmortems and action items."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from warroom.domain.action_items import (
    ActionItemKind,
    ActionItemPriority,
    ActionItemStatus,
    is_finished,
)
from warroom.domain.lifecycle import Phase
from warroom.domain.postmortem import POSTMORTEM_TRANSITIONS, PostmortemStatus
from warroom.incidents.schemas import Title, _in_utc_range
from warroom.postmortems.actions import ItemChanges
from warroom.postmortems.documents import PostmortemChanges
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.schemas import Handle, In, Out

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# A long postmortem is a few thousand words; this leaves room for pasted logs.
MAX_MARKDOWN = 200_000
MAX_REVIEWERS = 20
Markdown = Annotated[str, StringConstraints(max_length=MAX_MARKDOWN)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc_range)]


def _web_link(value: str) -> str:
    # Shown as a link on every page: only a web address, never javascript: or data:.
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("the tracker link must be an http:// or https:// URL")
    # The postmortem's Markdown table links it as [title](<url>): these would end it.
    if any(c.isspace() or c in "<>|" for c in value):
        raise ValueError("the tracker link cannot hold spaces or < > | (percent-encode them)")
    return value


TrackerUrl = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_web_link)]

EARLIEST_DUE, LATEST_DUE = date(2000, 1, 1), date(2199, 12, 31)


def _plausible_due(value: date) -> date:
    # Reminders count days from the due date: 9999-12-31 has no next day.
    if not EARLIEST_DUE <= value <= LATEST_DUE:
        raise ValueError(f"a due date lies between {EARLIEST_DUE} and {LATEST_DUE}")
    return value


DueOn = Annotated[date, AfterValidator(_plausible_due)]


class PostmortemPatch(In):
    markdown: Markdown | None = Field(
        default=None, description="the whole document (not while published)"
    )
    meeting_at: Moment | None = Field(
        default=None, description="when the postmortem meeting is (completes checklist item 10)"
    )
    reviewers: list[Handle] | None = Field(
        default=None, max_length=MAX_REVIEWERS, description="handles; replaces the list"
    )
    show_on_status_page: bool | None = Field(
        default=None,
        description="once published, show the incident as 'postmortem' on the public page",
    )

    def changes(self) -> PostmortemChanges:
        return PostmortemChanges(
            markdown=self.markdown,
            meeting_at=self.meeting_at,
            reviewers=self.reviewers,
            show_on_status_page=self.show_on_status_page,
        )


class PostmortemStatusIn(In):
    status: PostmortemStatus


class ActionItemIn(In):
    title: Title
    description: Description = ""
    owner: Handle | None = None
    due_on: DueOn | None = None
    priority: ActionItemPriority = ActionItemPriority.MEDIUM
    tracker_url: TrackerUrl | None = Field(
        default=None, description="the issue in Jira, GitHub, Linear … (http/https)"
    )


class ActionItemPatch(In):
    """Only the fields sent change; null clears owner, due_on or tracker_url."""

    title: Title | None = None
    description: Description | None = None
    owner: Handle | None = None
    due_on: DueOn | None = None
    priority: ActionItemPriority | None = None
    tracker_url: TrackerUrl | None = None
    status: ActionItemStatus | None = None

    def changes(self) -> ItemChanges:
        sent = self.model_fields_set
        return ItemChanges(
            title=self.title,
            description=self.description,
            owner=self.owner,
            owner_set="owner" in sent,
            due_on=self.due_on,
            due_on_set="due_on" in sent,
            priority=self.priority,
            tracker_url=self.tracker_url,
            tracker_url_set="tracker_url" in sent,
            status=self.status,
        )


class ActionItemOut(Out):
    id: int
    incident_id: int
    kind: ActionItemKind
    title: str
    description: str
    owner: str | None
    due_on: date | None
    priority: ActionItemPriority
    status: ActionItemStatus
    overdue: bool
    tracker_url: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    last_reminded_at: datetime | None

    @classmethod
    def of(cls, item: ActionItem, *, now: datetime) -> "ActionItemOut":
        return cls(
            id=item.id,
            incident_id=item.incident_id,
            kind=item.kind,
            title=item.title,
            description=item.description,
            owner=item.owner.handle if item.owner is not None else None,
            due_on=item.due_on,
            priority=item.priority,
            status=item.status,
            overdue=item.overdue(now),
            tracker_url=item.tracker_url,
            created_by=item.created_by,
            created_at=item.created_at,
            updated_at=item.updated_at,
            completed_at=item.completed_at,
            last_reminded_at=item.last_reminded_at,
        )


class PostmortemOut(Out):
    incident_id: int
    incident_title: str
    incident_phase: Phase
    status: PostmortemStatus
    allowed_statuses: list[PostmortemStatus]
    # The stored Markdown (what an edit replaces) ...
    markdown: str
    # ... and the document as shown and exported: its action items as they stand.
    document: str
    html: str
    meeting_at: datetime | None
    reviewers: list[str]
    show_on_status_page: bool
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    published_at: datetime | None
    action_items: list[ActionItemOut]
    open_action_items: int

    @classmethod
    def of(
        cls,
        postmortem: Postmortem,
        *,
        incident_title: str,
        phase: Phase,
        document: str,
        html: str,
        items: Sequence[ActionItem],
        now: datetime,
    ) -> "PostmortemOut":
        outs = [ActionItemOut.of(i, now=now) for i in items]
        return cls(
            incident_id=postmortem.incident_id,
            incident_title=incident_title,
            incident_phase=phase,
            status=postmortem.status,
            allowed_statuses=sorted(POSTMORTEM_TRANSITIONS[postmortem.status]),
            markdown=postmortem.markdown,
            document=document,
            html=html,
            meeting_at=postmortem.meeting_at,
            reviewers=list(postmortem.reviewers),
            show_on_status_page=postmortem.show_on_status_page,
            created_by=postmortem.created_by,
            created_at=postmortem.created_at,
            updated_by=postmortem.updated_by,
            updated_at=postmortem.updated_at,
            published_at=postmortem.published_at,
            action_items=outs,
            open_action_items=sum(1 for o in outs if not is_finished(o.status)),
        )


class PostmortemRowOut(Out):
    """One postmortem in a list."""

    incident_id: int
    incident_title: str
    severity: str
    service: str
    drill: bool
    status: PostmortemStatus
    meeting_at: datetime | None
    published_at: datetime | None
    created_at: datetime
    open_action_items: int
    overdue_action_items: int
