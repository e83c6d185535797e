"""What `warroom demo` loads, decided without touching the database: an organisation of
four teams and twelve people, their services, rotations and escalation policy, and 90
days of incident history drawn from a seeded random source so every run is the same.

The history is shaped to be worth reading: response times by severity in the ranges
teams report (SEV-1 acknowledged in minutes, SEV-4 within the day), slower at night,
better over the quarter (the trend a manager wants to see), recurring problems that show
up as repeats, and the on-call load falling unevenly on people."""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.domain import schedule as rota
from warroom.domain.severity import Severity

DAYS = 90
INSTANCES = 4
SEED = 20261127


@dataclass(frozen=True, slots=True)
class Person:
    handle: str
    name: str
    time_zone: str
    title: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A recurring failure of a service: its alert title and dedup key, and the runbook's
    common issue it matches."""

    title: str
    key: str
    severity_weights: tuple[int, int, int, int]  # SEV-1 … SEV-4


@dataclass(frozen=True, slots=True)
class ServicePlan:
    name: str
    description: str
    component: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class TeamPlan:
    name: str
    description: str
    time_zone: str
    members: tuple[str, ...]  # rotation order; the first is the team lead
    services: tuple[ServicePlan, ...]

    @property
    def lead(self) -> str:
        return self.members[0]


@dataclass(slots=True)
class Step:
    """One moment of an incident's history: minutes after it triggered."""

    after_minutes: float
    # acknowledge | severity | resolve | status:<s> | role:<role>:<handle> | note:<text> |
    # update:<kind>
    what: str
    actor: str


@dataclass(slots=True)
class IncidentPlan:
    team: TeamPlan
    service: ServicePlan
    problem: Problem
    severity: Severity
    triggered_at: datetime
    detect_minutes: float
    ack_minutes: float | None  # None: still unacknowledged (an open incident)
    resolve_minutes: float | None  # after triggering; None: still open
    primary: str
    secondary: str
    steps: list[Step] = field(default_factory=list)
    # (level, handle, minutes after trigger) as the escalation policy would have paged.
    pages: list[tuple[int, str, float]] = field(default_factory=list)
    public: bool = False
    # Which of the service's instances fired: the alert's dedup key is per instance, so
    # only the same instance failing again within a week is a repeat.
    instance: int = 1


PEOPLE: tuple[Person, ...] = (
    Person("amara", "Amara Okafor", "Europe/London", "Payments lead"),
    Person("ben", "Ben Carter", "Europe/London", "Payments engineer"),
    Person("chiara", "Chiara Rossi", "Europe/Rome", "Payments engineer"),
    Person("dmitri", "Dmitri Volkov", "Europe/Berlin", "Platform lead"),
    Person("elena", "Elena García", "Europe/Madrid", "Site reliability engineer"),
    Person("farid", "Farid Haddad", "Europe/Berlin", "Site reliability engineer"),
    Person("grace", "Grace Liu", "America/New_York", "Search lead"),
    Person("hugo", "Hugo Martin", "America/New_York", "Search engineer"),
    Person("isla", "Isla Murphy", "America/Chicago", "Search engineer"),
    Person("jonas", "Jonas Berg", "Europe/Stockholm", "Data lead"),
    Person("kai", "Kai Tanaka", "Asia/Tokyo", "Data engineer"),
    Person("lena", "Lena Schmidt", "Europe/Berlin", "Director of engineering"),
)

# The reference document's escalation policy: primary at once, secondary and the team
# lead after 5 minutes, the director after 10 more; two passes.
DIRECTOR = "lena"
ESCALATION_DELAYS = (5.0, 10.0, 15.0)


def _p(title: str, key: str, weights: tuple[int, int, int, int]) -> Problem:
    return Problem(title, key, weights)


TEAMS: tuple[TeamPlan, ...] = (
    TeamPlan(
        "Payments",
        "Card payments, checkout and refunds.",
        "Europe/London",
        ("amara", "ben", "chiara"),
        (
            ServicePlan(
                "payments-api",
                "Authorises and captures card payments.",
                "Payments",
                (
                    _p(
                        "Payment authorisation errors above 2%",
                        "payments-api/auth-errors",
                        (2, 5, 3, 0),
                    ),
                    _p("Database connection pool exhausted", "payments-api/db-pool", (1, 4, 3, 0)),
                    _p(
                        "Card processor latency p99 above 3s",
                        "payments-api/processor-latency",
                        (0, 2, 6, 2),
                    ),
                ),
            ),
            ServicePlan(
                "checkout-web",
                "The checkout pages customers pay through.",
                "Checkout",
                (
                    _p("Checkout 5xx rate high", "checkout-web/5xx", (1, 4, 3, 0)),
                    _p("High memory usage on checkout pods", "checkout-web/memory", (0, 1, 6, 3)),
                ),
            ),
        ),
    ),
    TeamPlan(
        "Platform",
        "Kubernetes, the API gateway and the primary databases.",
        "Europe/Berlin",
        ("dmitri", "elena", "farid"),
        (
            ServicePlan(
                "api-gateway",
                "Routes every public API request.",
                "Public API",
                (
                    _p("Gateway 502s from upstream", "api-gateway/502", (1, 4, 4, 1)),
                    _p(
                        "TLS certificate expires in 7 days", "api-gateway/cert-expiry", (0, 0, 2, 6)
                    ),
                ),
            ),
            ServicePlan(
                "postgres-primary",
                "The primary PostgreSQL cluster.",
                "Public API",
                (
                    _p(
                        "Replication lag above 60s",
                        "postgres-primary/replication-lag",
                        (0, 3, 5, 1),
                    ),
                    _p("Disk usage above 85%", "postgres-primary/disk", (0, 1, 5, 4)),
                ),
            ),
        ),
    ),
    TeamPlan(
        "Discovery",
        "Product search and recommendations.",
        "America/New_York",
        ("grace", "hugo", "isla"),
        (
            ServicePlan(
                "search-api",
                "Product search.",
                "Search",
                (
                    _p("Search latency p99 above 800ms", "search-api/latency", (0, 3, 6, 2)),
                    _p("Search index out of date", "search-api/stale-index", (0, 1, 4, 4)),
                ),
            ),
            ServicePlan(
                "recommendations",
                "Personalised product recommendations.",
                "Search",
                (_p("Recommendation model errors", "recommendations/model-errors", (0, 1, 4, 5)),),
            ),
        ),
    ),
    TeamPlan(
        "Data",
        "Event pipeline and the analytics warehouse.",
        "Europe/Stockholm",
        ("jonas", "kai", "lena"),
        (
            ServicePlan(
                "event-pipeline",
                "Collects product events into the warehouse.",
                "Analytics",
                (
                    _p(
                        "Event consumer lag above 10 minutes",
                        "event-pipeline/consumer-lag",
                        (0, 2, 6, 3),
                    ),
                    _p("Nightly ETL job failed", "event-pipeline/etl-failed", (0, 1, 5, 5)),
                ),
            ),
        ),
    ),
)

# Median minutes to acknowledge and from acknowledgement to resolution, by severity;
# the draws are log-normal around these, so most incidents are near and a few far off.
ACK_MEDIAN = {Severity.SEV1: 4.0, Severity.SEV2: 7.0, Severity.SEV3: 9.0, Severity.SEV4: 13.0}
FIX_MEDIAN = {
    Severity.SEV1: 55.0,
    Severity.SEV2: 140.0,
    Severity.SEV3: 420.0,
    Severity.SEV4: 1800.0,
}
# How many of each severity a quarter brings across the organisation.
PER_QUARTER = {Severity.SEV1: 5, Severity.SEV2: 22, Severity.SEV3: 55, Severity.SEV4: 30}


def team_schedule(team: TeamPlan, *, rotation_start: datetime, secondary: bool) -> rota.Schedule:
    """Weekly turns from Monday 09:00 in the team's zone, as the reference document's
    rotation has them; the secondary rotation runs one person behind the primary."""
    members = team.members[1:] + team.members[:1] if secondary else team.members
    layer = rota.Layer(
        name="weekly",
        users=tuple(members),
        rotation_start=rotation_start,
        turn_length_hours=168.0,
    )
    kind = "secondary" if secondary else "primary"
    return rota.Schedule(name=f"{team.name} {kind}", time_zone=team.time_zone, layers=(layer,))


def rotation_start(team: TeamPlan, *, now: datetime) -> datetime:
    """A Monday 09:00 local, a little more than the history's length ago."""
    local = (now - timedelta(days=DAYS + 7)).astimezone(ZoneInfo(team.time_zone))
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=9, minute=0, second=0, microsecond=0)


def _lognormal(rng: random.Random, median: float, spread: float = 0.7) -> float:
    return median * math.exp(rng.gauss(0.0, spread))


def _when(rng: random.Random, *, now: datetime) -> datetime:
    """Most incidents come in working hours (deploys, traffic), some at night."""
    day = rng.uniform(0.5, DAYS)
    base = (now - timedelta(days=day)).replace(minute=0, second=0, microsecond=0)
    hour = rng.choice(range(8, 19)) if rng.random() < 0.65 else rng.randrange(24)
    at = base.replace(hour=hour) + timedelta(minutes=rng.uniform(0, 59))
    # Half a day ago at the latest: a later hour of that day would be in the future.
    return at if at <= now - timedelta(hours=12) else at - timedelta(days=1)


def _severity_of(
    rng: random.Random, severity: Severity
) -> list[tuple[TeamPlan, ServicePlan, Problem]]:
    index = list(Severity).index(severity)
    return [
        (team, service, problem)
        for team in TEAMS
        for service in team.services
        for problem in service.problems
        for _ in range(problem.severity_weights[index])
    ]


def _on_call(schedule: rota.Schedule, at: datetime) -> str:
    shifts = rota.oncall_at(schedule, at)
    return shifts[0].user if shifts else schedule.layers[0].users[0]


def plan_history(*, now: datetime, seed: int = SEED) -> list[IncidentPlan]:
    """The quarter's incidents, oldest first; the newest is still being worked on."""
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose, not secret
    schedules = {
        team.name: (
            team_schedule(team, rotation_start=rotation_start(team, now=now), secondary=False),
            team_schedule(team, rotation_start=rotation_start(team, now=now), secondary=True),
        )
        for team in TEAMS
    }
    plans: list[IncidentPlan] = []
    for severity, count in PER_QUARTER.items():
        choices = _severity_of(rng, severity)
        for _ in range(count):
            team, service, problem = rng.choice(choices)
            at = _when(rng, now=now)
            primary_schedule, secondary_schedule = schedules[team.name]
            plans.append(
                _incident(
                    rng,
                    team=team,
                    service=service,
                    problem=problem,
                    severity=severity,
                    at=at,
                    primary=_on_call(primary_schedule, at),
                    secondary=_on_call(secondary_schedule, at),
                    now=now,
                )
            )
    plans.sort(key=lambda p: p.triggered_at)
    _leave_open(plans, rng, now=now)
    return plans


def _incident(
    rng: random.Random,
    *,
    team: TeamPlan,
    service: ServicePlan,
    problem: Problem,
    severity: Severity,
    at: datetime,
    primary: str,
    secondary: str,
    now: datetime,
) -> IncidentPlan:
    # The team got better over the quarter: the oldest incidents took ~35% longer.
    age = (now - at) / timedelta(days=DAYS)
    practice = 0.85 + 0.5 * age
    local_hour = at.astimezone(ZoneInfo(team.time_zone)).hour
    night = local_hour >= 22 or local_hour < 8
    ack = _lognormal(rng, ACK_MEDIAN[severity] * practice * (1.8 if night else 1.0))
    fix = _lognormal(rng, FIX_MEDIAN[severity] * practice, 0.6)
    # Everything in the history has happened by now: a slow one that would still be
    # running was resolved a little before the demo starts.
    before_now = (now - at) / timedelta(minutes=1) - 5
    ack = max(min(ack, before_now / 2), 0.5)
    fix = max(min(fix, before_now - ack), 1.0)
    plan = IncidentPlan(
        team=team,
        service=service,
        problem=problem,
        severity=severity,
        triggered_at=at,
        detect_minutes=_lognormal(rng, 2.0 if severity is Severity.SEV1 else 4.0, 0.5),
        ack_minutes=ack,
        resolve_minutes=ack + fix,
        primary=primary,
        secondary=secondary,
        public=severity is Severity.SEV1 or (severity is Severity.SEV2 and rng.random() < 0.5),
        instance=rng.randint(1, INSTANCES),
    )
    plan.pages = _pages(plan)
    plan.steps = _steps(plan, rng)
    return plan


def _pages(plan: IncidentPlan) -> list[tuple[int, str, float]]:
    """Who the policy paged before someone acknowledged."""
    ack = plan.ack_minutes if plan.ack_minutes is not None else math.inf
    levels = [
        [plan.primary],
        list(dict.fromkeys([plan.secondary, plan.team.lead])),
        [DIRECTOR],
    ]
    pages: list[tuple[int, str, float]] = []
    due = 0.0
    for level, (people, delay) in enumerate(zip(levels, ESCALATION_DELAYS, strict=True), 1):
        if due > ack:
            break
        pages.extend((level, handle, due) for handle in people)
        due += delay
    return pages


def _steps(plan: IncidentPlan, rng: random.Random) -> list[Step]:
    ack = plan.ack_minutes
    if ack is None:
        return []
    fix = (plan.resolve_minutes or ack) - ack
    who = plan.primary
    steps = [
        Step(ack, "acknowledge", who),
        Step(ack + 0.5, "severity", who),
        Step(ack + 1, "status:investigating", who),
    ]
    major = plan.severity in (Severity.SEV1, Severity.SEV2)
    if major:
        lead = plan.team.lead if plan.team.lead != who else plan.secondary
        steps += [
            Step(ack + 2, f"role:incident_commander:{lead}", lead),
            Step(ack + 2.5, f"role:tech_lead:{who}", lead),
            Step(ack + 3, "update:initial", lead),
        ]
        if plan.severity is Severity.SEV1:
            steps += [
                Step(ack + 4, f"role:comms_lead:{plan.secondary}", lead),
                Step(ack + 4.5, f"role:scribe:{DIRECTOR}", lead),
            ]
    steps += [
        Step(
            ack + fix * 0.2,
            f"note:Looking at dashboards for {plan.service.name}; "
            f"{plan.problem.title.lower()} confirmed.",
            who,
        ),
        Step(ack + fix * 0.45, "status:identified", who),
        Step(ack + fix * 0.8, "status:monitoring", who),
    ]
    if major:
        steps.append(Step(ack + fix * 0.8 + 0.5, "update:update", plan.team.lead))
    if plan.resolve_minutes is not None:
        steps.append(Step(plan.resolve_minutes, "resolve", who))
        if major:
            steps.append(Step(plan.resolve_minutes + 1, "update:resolution", plan.team.lead))
    if rng.random() < 0.2:  # a handover note on a long one
        steps.append(Step(ack + fix * 0.6, "note:Handing over to the next shift.", who))
    steps.sort(key=lambda s: s.after_minutes)
    return steps


def _leave_open(plans: list[IncidentPlan], rng: random.Random, *, now: datetime) -> None:
    """One incident is live when the demo starts: acknowledged and being worked on, so
    the incident page has a response in progress (nobody is paged by loading the demo)."""
    team = TEAMS[0]
    service = team.services[0]
    working = _incident(
        rng,
        team=team,
        service=service,
        problem=service.problems[2],
        severity=Severity.SEV2,
        at=now - timedelta(minutes=47),
        primary=plans[-1].primary if plans else team.members[0],
        secondary=team.members[1],
        now=now,
    )
    working.ack_minutes = 6.0
    working.resolve_minutes = None
    working.public = True
    working.pages = _pages(working)
    working.steps = [
        s for s in _steps(working, rng) if s.after_minutes < 47 and s.what != "resolve"
    ]
    plans.append(working)
