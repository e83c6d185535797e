"""Loads the demo plan through the same actions people and the engine use, with `now`
set to when each thing happened, so the history has real timelines, checklists, updates,
postmortems and action items, and every report reads it as it reads production data.

The engine is not run over the past: where it would have paged people, the pages it
would have sent are written as sent (rows and timeline events), which is what the
on-call load report counts."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from warroom.db.session import Database
from warroom.demo import plan as demo
from warroom.demo.runbooks import runbook_markdown
from warroom.domain.action_items import ActionItemPriority
from warroom.domain.comms import UpdateKind
from warroom.domain.lifecycle import Status
from warroom.domain.postmortem import PostmortemStatus
from warroom.domain.roles import Role
from warroom.domain.severity import Severity
from warroom.domain.timeline import EventType
from warroom.drills.actions import do_start_drill
from warroom.drills.reminders import DRILL_REMINDER
from warroom.engine.models import Task, TaskState
from warroom.errors import Conflict
from warroom.escalation.actions import do_create_policy
from warroom.escalation.schemas import PolicyIn
from warroom.incidents import actions as incidents
from warroom.incidents.actions import SYNC_COMPONENT
from warroom.incidents.models import Incident
from warroom.oncall.actions import do_create_schedule
from warroom.oncall.schemas import ScheduleIn
from warroom.paging.models import Page, PageState
from warroom.postmortems import documents as postmortems
from warroom.postmortems.actions import do_add_action_item, finish_action_item
from warroom.postmortems.items import ACTION_ITEM_DUE
from warroom.postmortems.models import ActionItem, Postmortem
from warroom.runbooks.actions import do_put_runbook, do_review_runbook
from warroom.services.actions import do_create_service
from warroom.services.models import Service
from warroom.statuspage.component_actions import do_create_component
from warroom.teams.actions import do_create_team
from warroom.users.actions import do_create_user
from warroom.users.models import User, UserRole

# The organisation exists a little before its history starts.
FOUNDED = timedelta(days=demo.DAYS + 30)
SYSTEM = "alertmanager"


@dataclass(frozen=True, slots=True)
class Loaded:
    people: int
    teams: int
    services: int
    incidents: int
    postmortems: int
    action_items: int
    drills: int


def load_demo(db: Database, *, now: datetime) -> Loaded:
    with db.write() as session:
        _refuse_unless_empty(session)
        _organisation(session, now=now)
    plans = demo.plan_history(now=now)
    for plan in plans:
        with db.write() as session:
            _incident(session, plan, now=now)
    with db.write() as session:
        _drill(session, now=now)
        _quiet_the_past(session, now=now)
        return Loaded(
            people=len(demo.PEOPLE),
            teams=len(demo.TEAMS),
            services=sum(len(t.services) for t in demo.TEAMS),
            incidents=len(plans) + 1,
            postmortems=session.scalar(select(func.count(Postmortem.id))) or 0,
            action_items=session.scalar(select(func.count(ActionItem.id))) or 0,
            drills=1,
        )


def _refuse_unless_empty(session: Session) -> None:
    services = session.scalar(select(func.count(Service.id))) or 0
    incidents_ = session.scalar(select(func.count(Incident.id))) or 0
    people = session.scalar(select(func.count(User.id))) or 0
    if services or incidents_ or people > 1:
        raise Conflict(
            "the demo fills an empty database, and this one already holds "
            f"{people} users, {services} services and {incidents_} incidents; point "
            "WARROOM_DATABASE_URL at a new database (e.g. sqlite:///./demo.db) and run it again"
        )


def _organisation(session: Session, *, now: datetime) -> None:
    founded = now - FOUNDED
    for person in demo.PEOPLE:
        do_create_user(
            session,
            handle=person.handle,
            name=person.name,
            email=f"{person.handle}@example.com",
            time_zone=person.time_zone,
            role=UserRole.ADMIN if person.handle == demo.DIRECTOR else UserRole.RESPONDER,
            now=founded,
        )
    components = {s.component for t in demo.TEAMS for s in t.services}
    for component in sorted(components):
        do_create_component(session, name=component, now=founded)
    for team in demo.TEAMS:
        do_create_team(
            session,
            name=team.name,
            description=team.description,
            members=team.members,
            now=founded,
        )
        _rotations(session, team, now=now)
        policy = PolicyIn.model_validate(
            {
                "name": f"{team.name} escalation",
                "description": "Primary at once; secondary and the team lead after 5 "
                "minutes; the director after 10 more (the reference escalation policy).",
                "repeat": 1,
                "levels": [
                    {"delay_minutes": 5, "targets": [{"schedule": f"{team.name} primary"}]},
                    {
                        "delay_minutes": 10,
                        "targets": [
                            {"schedule": f"{team.name} secondary"},
                            {"user": team.lead},
                        ],
                    },
                    {"delay_minutes": 15, "targets": [{"user": demo.DIRECTOR}]},
                ],
            }
        )
        do_create_policy(
            session,
            name=policy.name,
            description=policy.description,
            repeat=policy.repeat,
            levels=policy.stored_levels(),
            now=founded,
        )
        for service in team.services:
            created = do_create_service(
                session,
                name=service.name,
                description=service.description,
                component=service.component,
                escalation_policy=policy.name,
                team=team.name,
                now=founded,
            )
            do_put_runbook(
                session,
                service=created.service,
                markdown=runbook_markdown(team, service),
                actor=team.lead,
                now=founded,
            )
    session.flush()


def _rotations(session: Session, team: demo.TeamPlan, *, now: datetime) -> None:
    start = demo.rotation_start(team, now=now)
    for secondary in (False, True):
        shape = demo.team_schedule(team, rotation_start=start, secondary=secondary)
        schedule = ScheduleIn.model_validate(
            {
                "name": shape.name,
                "time_zone": shape.time_zone,
                "description": "Weekly turns, handed over on Monday at 09:00.",
                "layers": [
                    {
                        "name": layer.name,
                        "users": list(layer.users),
                        "rotation_start": layer.rotation_start.isoformat(),
                        "turn_length_hours": "weekly",
                    }
                    for layer in shape.layers
                ],
            }
        )
        # Created now, not in the past: handoff notices are planned from creation on.
        do_create_schedule(session, **schedule.model_dump(), now=now)


def _at(plan: demo.IncidentPlan, minutes: float) -> datetime:
    return plan.triggered_at + timedelta(minutes=minutes)


def _incident(session: Session, plan: demo.IncidentPlan, *, now: datetime) -> None:
    incident = incidents.do_declare(
        session,
        title=plan.problem.title,
        severity=plan.severity,
        service=plan.service.name,
        description=f"Alert from Prometheus: {plan.problem.title.lower()} on {plan.service.name}.",
        actor=SYSTEM,
        now=plan.triggered_at,
        started_at=plan.triggered_at - timedelta(minutes=plan.detect_minutes),
        dedup_key=f"{plan.problem.key}/{plan.instance}",
    )
    _pages(session, incident, plan)
    for step in plan.steps:
        _step(session, incident.id, plan, step)
    if plan.resolve_minutes is None:
        return
    resolved = _at(plan, plan.resolve_minutes)
    # What follows the resolution, run in the order it happened (phase times and the
    # closing rules follow the order of the actions, as they do in real life).
    later: list[Later] = []
    if plan.severity in (Severity.SEV1, Severity.SEV2):
        later += _postmortem(session, incident.id, plan, resolved=resolved, now=now)
    later += _review_runbook(session, incident.id, plan, resolved=resolved, now=now)
    for _, act in sorted(later, key=lambda timed: timed[0]):
        act()


def _pages(session: Session, incident: Incident, plan: demo.IncidentPlan) -> None:
    users = {u.handle: u for u in session.scalars(select(User))}
    for level, handle, minutes in plan.pages:
        at = _at(plan, minutes)
        user = users[handle]
        session.add(
            Page(
                incident_id=incident.id,
                loop=1,
                level=level - 1,
                user_id=user.id,
                contact=f"mailto://{user.email}",
                state=PageState.SENT,
                attempts=1,
                created_at=at,
                sent_at=at,
            )
        )
        if level > 1 and handle == next(h for lv, h, _ in plan.pages if lv == level):
            incidents.record(
                session,
                incident,
                EventType.ESCALATED,
                actor="warroom",
                at=at,
                level=level,
                users=[h for lv, h, _ in plan.pages if lv == level],
            )
        incidents.record(
            session,
            incident,
            EventType.PAGE_SENT,
            actor="warroom",
            at=at,
            user=handle,
            target="email",
            level=level,
        )


def _step(session: Session, incident_id: int, plan: demo.IncidentPlan, step: demo.Step) -> None:
    at = _at(plan, step.after_minutes)
    kind, _, rest = step.what.partition(":")
    common: dict[str, Any] = {"incident_id": incident_id, "actor": step.actor, "now": at}
    match kind:
        case "acknowledge":
            incidents.do_acknowledge(session, **common)
        case "severity":  # a person confirms the severity the alert gave
            incidents.do_change_severity(session, severity=plan.severity, **common)
        case "status":
            incidents.do_change_status(session, status=Status(rest), **common)
        case "role":
            role, _, handle = rest.partition(":")
            incidents.do_assign_role(session, role=Role(role), user=handle, **common)
        case "note":
            incidents.do_add_note(session, text=rest, **common)
        case "update":
            incidents.do_publish_update(
                session,
                kind=UpdateKind(rest),
                public=plan.public,
                next_update_minutes=None if rest == "resolution" else 30,
                impact=f"Some customers may see errors from {plan.service.component}.",
                **common,
            )
        case "resolve":
            incidents.do_resolve(session, **common)


Later = tuple[datetime, Callable[[], object]]


def _postmortem(
    session: Session,
    incident_id: int,
    plan: demo.IncidentPlan,
    *,
    resolved: datetime,
    now: datetime,
) -> list[Later]:
    started = resolved + timedelta(hours=20)
    if started > now:
        return []
    lead = plan.team.lead
    meeting = (resolved + timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
    publish = meeting + timedelta(hours=3)
    items: list[ActionItem] = []

    def write_up() -> None:
        postmortems.do_start_postmortem(session, incident_id=incident_id, actor=lead, now=started)
        postmortems.do_schedule_meeting(
            session, incident_id=incident_id, meeting_at=meeting, actor=lead, now=started
        )
        postmortems.do_set_reviewers(
            session,
            incident_id=incident_id,
            reviewers=[plan.primary, demo.DIRECTOR],
            actor=lead,
            now=started,
        )
        tracker = f"https://tracker.example.com/{plan.service.name.upper()}-{incident_id}"
        # High priority first: finish() counts on that order.
        follow_ups = (
            (f"Alert earlier on {plan.problem.title.lower()}", plan.primary, 14, tracker, "high"),
            ("Add the fix to the runbook's resolution steps", plan.secondary, 21, None, "medium"),
        )
        for title, owner, days, url, priority in follow_ups:
            items.append(
                do_add_action_item(
                    session,
                    incident_id=incident_id,
                    actor=lead,
                    now=started,
                    title=title,
                    owner=owner,
                    due_on=(resolved + timedelta(days=days)).date(),
                    priority=ActionItemPriority(priority),
                    tracker_url=url,
                )
            )

    def move(status: PostmortemStatus, at: datetime) -> Later:
        return at, lambda: postmortems.do_move_postmortem(
            session, incident_id=incident_id, status=status, actor=lead, now=at
        )

    def finish(n: int, at: datetime) -> Later:
        def done() -> None:
            item = items[n]
            owner = item.owner.handle if item.owner else lead
            finish_action_item(session, item=item, actor=owner, now=at)

        return at, done

    steps: list[Later] = [(started, write_up)]
    # The last fortnight's postmortems are still being written or reviewed.
    if resolved > now - timedelta(days=14):
        if resolved < now - timedelta(days=7):
            steps.append(move(PostmortemStatus.IN_REVIEW, meeting - timedelta(hours=1)))
        return steps
    steps += [move(PostmortemStatus.IN_REVIEW, publish), move(PostmortemStatus.PUBLISHED, publish)]
    # Older follow-ups are done; the most recent quarter's last weeks still have work open
    # (and a couple overdue), which is what the action-item list should show.
    for n, days in enumerate((9, 16)):  # the high-priority item is done sooner
        done = publish + timedelta(days=days)
        if done < now - timedelta(days=12):
            steps.append(finish(n, done))
    return steps


def _review_runbook(
    session: Session,
    incident_id: int,
    plan: demo.IncidentPlan,
    *,
    resolved: datetime,
    now: datetime,
) -> list[Later]:
    """Most teams review the runbook within two days; the newest incidents' reviews are
    still open."""
    reviewed = resolved + timedelta(days=2)
    if reviewed > now - timedelta(days=5):
        return []

    def review() -> None:
        service = session.scalars(select(Service).where(Service.name == plan.service.name)).one()
        do_review_runbook(session, service=service, actor=plan.primary, now=reviewed)
        incident = session.get(Incident, incident_id)
        if (
            incident is not None
            and incident.status is Status.RESOLVED
            and plan.severity in (Severity.SEV3, Severity.SEV4)
        ):
            # Small incidents get no postmortem: closed once the runbook is reviewed.
            incidents.do_close(session, incident_id=incident_id, actor=plan.primary, now=reviewed)

    return [(reviewed, review)]


def _drill(session: Session, *, now: datetime) -> None:
    """One past drill: Payments practised a checkout outage a month ago."""
    team = demo.TEAMS[0]
    service = team.services[1]
    at = (now - timedelta(days=31)).replace(hour=14, minute=0, second=0, microsecond=0)
    drill = do_start_drill(
        session,
        service=service.name,
        severity=Severity.SEV2,
        common_issue=service.problems[0].title,
        scenario="Game day: a bad deploy makes checkout fail for a quarter of customers.",
        actor=team.lead,
        now=at,
    )
    plan = demo.IncidentPlan(
        team=team,
        service=service,
        problem=service.problems[0],
        severity=Severity.SEV2,
        triggered_at=at,
        detect_minutes=0.0,
        ack_minutes=3.5,
        resolve_minutes=28.0,
        primary=team.members[1],
        secondary=team.members[2],
        pages=[(1, team.members[1], 0.0)],
    )
    incident = session.get(Incident, drill.incident_id)
    assert incident is not None
    _pages(session, incident, plan)
    for minutes, what in (
        (3.5, "acknowledge"),
        (4.0, "severity"),
        (5.0, f"role:incident_commander:{team.lead}"),
        (6.0, f"role:tech_lead:{team.members[1]}"),
        (7.0, "status:investigating"),
        (9.0, "update:initial"),
        (15.0, "status:identified"),
        (22.0, "status:monitoring"),
        (28.0, "resolve"),
    ):
        _step(session, drill.incident_id, plan, demo.Step(minutes, what, plan.primary))


def _quiet_the_past(session: Session, *, now: datetime) -> None:
    """Timers the history left behind and that are long past (escalations, response
    targets, update reminders of incidents over for months) would only make the engine
    replay old news on its first run. Overdue action items and drill reminders stay, as
    they are what should reach people now, and so do component syncs, which settle the
    status page's components on that first run."""
    session.execute(
        update(Task)
        .where(
            Task.state == TaskState.PENDING,
            Task.due_at < now,
            Task.kind.not_in([ACTION_ITEM_DUE, DRILL_REMINDER, SYNC_COMPONENT]),
        )
        .values(state=TaskState.CANCELLED, finished_at=now)
    )
