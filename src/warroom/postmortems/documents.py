"""Every change to a postmortem document, each one transaction: rule, rows, timeline
events. Action items have theirs in warroom.postmortems.actions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from warroom.domain.comms import UpdateKind, UpdateStatus
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus, move_postmortem
from warroom.domain.timeline import EventType
from warroom.errors import Conflict, NotFound
from warroom.incidents.actions import do_publish_update, record, sync_checklist
from warroom.incidents.models import Incident, StakeholderUpdate
from warroom.incidents.phase_time import note_phase
from warroom.incidents.repository import get_incident
from warroom.paging.notices import notify_user
from warroom.postmortems import repository
from warroom.postmortems.actions import close_if_done
from warroom.postmortems.models import Postmortem
from warroom.postmortems.prefill import draft_markdown

# What the public status page says when the postmortem is out: no internal detail, only
# that the review is done and the follow-up work is under way.
PUBLIC_POSTMORTEM_BODY = (
    "We have completed our review of this incident and published a postmortem. "
    "We are working through the follow-up actions it identified to keep this from "
    "happening again."
)
DONE = (Status.RESOLVED, Status.CLOSED)


def do_start_postmortem(
    session: Session, *, incident_id: int, actor: str, now: datetime
) -> Postmortem:
    """The blameless draft, prefilled from the incident; its generated timeline ticks
    checklist item 9 ("Document timeline"). Once the incident is resolved (or closed):
    while the response runs, its timeline is still being written."""
    incident = get_incident(session, incident_id, for_update=True)
    if incident.status not in DONE:
        raise Conflict(
            f"incident {incident_id} is {incident.status}: a postmortem starts once it is "
            "resolved (or closed)",
            allowed=[],
        )
    if repository.find_postmortem(session, incident_id) is not None:
        raise Conflict(
            f"incident {incident_id} already has a postmortem: open it with "
            f"GET /api/v1/incidents/{incident_id}/postmortem",
            allowed=[],
        )
    postmortem = Postmortem(
        incident_id=incident.id,
        status=PostmortemStatus.DRAFT,
        markdown=draft_markdown(session, incident, now=now),
        reviewers=[],
        show_on_status_page=False,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    session.add(postmortem)
    session.flush()
    record(session, incident, EventType.POSTMORTEM_CREATED, actor=actor, at=now)
    sync_checklist(session, incident, now=now)
    return postmortem


def _load(session: Session, incident_id: int) -> tuple[Incident, Postmortem]:
    incident = get_incident(session, incident_id, for_update=True)
    return incident, repository.get_postmortem(session, incident_id)


def _touch(incident: Incident, postmortem: Postmortem, *, actor: str, now: datetime) -> None:
    postmortem.updated_by, postmortem.updated_at = actor, now
    incident.updated_at = now


def do_edit_postmortem(
    session: Session, *, incident_id: int, markdown: str, actor: str, now: datetime
) -> Postmortem:
    """A published postmortem is corrected by moving it back to review, not edited
    silently under its readers."""
    incident, postmortem = _load(session, incident_id)
    if postmortem.status is PostmortemStatus.PUBLISHED:
        raise Conflict(
            "this postmortem is published: move it back to in_review to correct it",
            allowed=[str(PostmortemStatus.IN_REVIEW)],
        )
    if markdown != postmortem.markdown:
        postmortem.markdown = markdown
        _touch(incident, postmortem, actor=actor, now=now)
    return postmortem


def do_schedule_meeting(
    session: Session, *, incident_id: int, meeting_at: datetime, actor: str, now: datetime
) -> Postmortem:
    """Ticks checklist item 10 ("Schedule postmortem"); a later time moves the meeting."""
    incident, postmortem = _load(session, incident_id)
    if postmortem.meeting_at == meeting_at:
        return postmortem
    postmortem.meeting_at = meeting_at
    _touch(incident, postmortem, actor=actor, now=now)
    record(
        session,
        incident,
        EventType.POSTMORTEM_MEETING_SET,
        actor=actor,
        at=now,
        meeting_at=meeting_at.isoformat(),
    )
    sync_checklist(session, incident, now=now)
    return postmortem


def do_set_reviewers(
    session: Session, *, incident_id: int, reviewers: Sequence[str], actor: str, now: datetime
) -> Postmortem:
    incident, postmortem = _load(session, incident_id)
    wanted = list(dict.fromkeys(reviewers))
    known = repository.users_by_handle(session, wanted)
    missing = [h for h in wanted if h not in known]
    if missing:
        raise NotFound(f"no user with handle {', '.join(repr(h) for h in missing)}")
    if wanted != postmortem.reviewers:
        postmortem.reviewers = wanted
        _touch(incident, postmortem, actor=actor, now=now)
    return postmortem


def do_show_on_status_page(
    session: Session, *, incident_id: int, show: bool, actor: str, now: datetime
) -> Postmortem:
    """Chosen after publishing, it announces the postmortem at once; taking it back
    later leaves the announcement (status-page updates are not withdrawn)."""
    incident, postmortem = _load(session, incident_id)
    if show is postmortem.show_on_status_page:
        return postmortem
    postmortem.show_on_status_page = show
    _touch(incident, postmortem, actor=actor, now=now)
    if show and postmortem.status is PostmortemStatus.PUBLISHED:
        _announce(session, incident, actor=actor, now=now)
    return postmortem


def do_move_postmortem(
    session: Session,
    *,
    incident_id: int,
    status: PostmortemStatus,
    actor: str,
    now: datetime,
    incident_url: str = "",
) -> Postmortem:
    """draft → in_review → published (and back for a correction). In review, its
    reviewers are asked to read it. Published, the incident moves to the improvement
    phase while action items are open, or closes when none are; and when chosen, the
    public status page shows the incident as "postmortem"."""
    incident, postmortem = _load(session, incident_id)
    if status is postmortem.status:
        return postmortem
    old = postmortem.status
    move_postmortem(old, status)
    if status is PostmortemStatus.PUBLISHED and incident.status not in DONE:
        raise Conflict(
            f"incident {incident_id} was reopened ({incident.status}): publish its "
            "postmortem once it is resolved again",
            allowed=[],
        )
    # Publishing (or taking it back) moves a resolved incident between analysis and
    # improvement: the time before counts to the phase it was in.
    note_phase(incident, now)
    postmortem.status = status
    postmortem.published_at = now if status is PostmortemStatus.PUBLISHED else None
    _touch(incident, postmortem, actor=actor, now=now)
    record(
        session,
        incident,
        EventType.POSTMORTEM_STATUS_CHANGED,
        actor=actor,
        at=now,
        **{"from": str(old), "to": str(status)},
    )
    if status is PostmortemStatus.IN_REVIEW:
        _ask_reviewers(session, incident, postmortem, actor=actor, url=incident_url, now=now)
    if status is PostmortemStatus.PUBLISHED:
        session.flush()
        if postmortem.show_on_status_page:
            _announce(session, incident, actor=actor, now=now)
        if not close_if_done(session, incident, actor=actor, now=now):
            sync_checklist(session, incident, now=now)
    return postmortem


def _ask_reviewers(
    session: Session,
    incident: Incident,
    postmortem: Postmortem,
    *,
    actor: str,
    url: str,
    now: datetime,
) -> None:
    people = repository.users_by_handle(session, postmortem.reviewers)
    for handle in postmortem.reviewers:
        if handle == actor or handle not in people:
            continue
        notify_user(
            session,
            user=people[handle],
            kind="postmortem_review",
            title=f"Postmortem to review: {incident.title}",
            body=(
                f"@{actor} asks you to review the postmortem of incident {incident.id} "
                f"({incident.severity}, {incident.service.name})."
            ),
            now=now,
            incident_id=incident.id,
            url=url + "/postmortem" if url else None,
        )


def _announce(session: Session, incident: Incident, *, actor: str, now: datetime) -> None:
    """The public page's incident status becomes "postmortem" the way every public
    status does: a public stakeholder update (which bumps the page and tells its
    subscribers). Only for an incident already on the page, never a drill, and once."""
    if not incident.public or incident.drill:
        return
    said = session.scalar(
        select(
            exists().where(
                StakeholderUpdate.incident_id == incident.id,
                StakeholderUpdate.public.is_(True),
                StakeholderUpdate.status == UpdateStatus.POSTMORTEM,
            )
        )
    )
    if said:
        return
    do_publish_update(
        session,
        incident_id=incident.id,
        kind=UpdateKind.UPDATE,
        status=UpdateStatus.POSTMORTEM,
        body=PUBLIC_POSTMORTEM_BODY,
        public=True,
        actor=actor,
        now=now,
    )


@dataclass(frozen=True, slots=True)
class PostmortemChanges:
    """What a PATCH names; None leaves a field as it is."""

    markdown: str | None = None
    meeting_at: datetime | None = None
    reviewers: Sequence[str] | None = None
    show_on_status_page: bool | None = None


def do_change_postmortem(
    session: Session, *, incident_id: int, changes: PostmortemChanges, actor: str, now: datetime
) -> Postmortem:
    """Several fields in one transaction: any refusal writes none of them."""
    postmortem = repository.get_postmortem(session, incident_id)
    if changes.reviewers is not None:
        do_set_reviewers(
            session, incident_id=incident_id, reviewers=changes.reviewers, actor=actor, now=now
        )
    if changes.markdown is not None:
        do_edit_postmortem(
            session, incident_id=incident_id, markdown=changes.markdown, actor=actor, now=now
        )
    if changes.meeting_at is not None:
        do_schedule_meeting(
            session, incident_id=incident_id, meeting_at=changes.meeting_at, actor=actor, now=now
        )
    if changes.show_on_status_page is not None:
        do_show_on_status_page(
            session,
            incident_id=incident_id,
            show=changes.show_on_status_page,
            actor=actor,
            now=now,
        )
    return postmortem
