"""How the public read model (warroom.statuspage.public) reads on the HTML page: words
for states, the uptime bars' labels, the "past incidents" days. No database and no
markup here; the templates under web/templates/status/ dress these values."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.domain.components import ComponentStatus
from warroom.domain.statuspage import Impact, Indicator, UptimeDay, uptime_percent
from warroom.incidents.presentation import format_duration
from warroom.settings import Settings
from warroom.statuspage.public import (
    PublicComponent,
    PublicIncident,
    PublicMaintenance,
    PublicPage,
)

STATUS_WORDS: dict[str, str] = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}

IMPACT_WORDS: dict[str, str] = {
    Impact.NONE: "None",
    Impact.MINOR: "Minor",
    Impact.MAJOR: "Major",
    Impact.CRITICAL: "Critical",
}

# Worst first: the label names the outage that cost the most.
_OUTAGES = (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.PARTIAL_OUTAGE)

# The key under the uptime bars (the bars' colours, in words).
LEGEND: list[tuple[str, str]] = [
    (ComponentStatus.OPERATIONAL, "Operational"),
    (ComponentStatus.DEGRADED_PERFORMANCE, "Degraded"),
    (ComponentStatus.PARTIAL_OUTAGE, "Partial outage"),
    (ComponentStatus.MAJOR_OUTAGE, "Major outage"),
    (ComponentStatus.UNDER_MAINTENANCE, "Maintenance"),
    ("none", "No data"),
]

UPTIME_DAYS = 90
HISTORY_DAYS = 14


@dataclass(frozen=True, slots=True)
class Site:
    """The configured face of the page: the header, footer and feed links."""

    title: str
    logo_url: str | None
    links: list[dict[str, str]]
    zone: ZoneInfo
    zone_name: str
    atom_url: str
    rss_url: str


def site_of(settings: Settings) -> Site:
    return Site(
        title=settings.status_page_title,
        logo_url=settings.status_page_logo_url,
        links=list(settings.status_page_links),
        zone=ZoneInfo(settings.status_page_time_zone),
        zone_name=settings.status_page_time_zone,
        atom_url="/status/history.atom",
        rss_url="/status/history.rss",
    )


@dataclass(frozen=True, slots=True)
class Bar:
    css: str  # a component status, or "none" for a day without data
    label: str


@dataclass(frozen=True, slots=True)
class ComponentRow:
    code: str
    name: str
    description: str
    status: ComponentStatus
    bars: list[Bar]
    uptime_text: str


@dataclass(frozen=True, slots=True)
class GroupRow:
    code: str
    name: str
    status: ComponentStatus
    # Groups with something wrong start open so the reader sees which member it is;
    # healthy groups start folded, so a long page stays short.
    open: bool
    components: list[ComponentRow]


@dataclass(frozen=True, slots=True)
class Banner:
    css: str
    icon: str
    text: str


@dataclass(frozen=True, slots=True)
class HistoryDay:
    day: date
    heading: str
    incidents: list[PublicIncident]
    maintenances: list[PublicMaintenance]


def day_text(day: date) -> str:
    """'Apr 8, 2026', the way Statuspage heads its days (no zero-padded day)."""
    return f"{day:%b} {day.day}, {day.year}"


def moment_text(at: datetime, zone: ZoneInfo, *, year: bool = True) -> str:
    """'Apr 8, 2026 11:00 CEST': a moment on the page's clock, its zone named."""
    local = at.astimezone(zone)
    when = day_text(local.date()) if year else f"{local:%b} {local.day},"
    return f"{when} {local:%H:%M} {local.tzname() or ''}".strip()


def banner_of(indicator: Indicator) -> Banner:
    """The overall banner: colour and an icon for a glance, the words for everyone."""
    if indicator.indicator is Impact.NONE:
        maintenance = indicator.description != "All Systems Operational"
        return Banner(
            "maintenance" if maintenance else "none",
            "🔧" if maintenance else "✓",
            indicator.description,
        )
    return Banner(str(indicator.indicator), "!", indicator.description)


def percent_text(share: float, *, decimals: int) -> str:
    """A share of 1 as a percentage; never rounds a day with downtime up to 100%."""
    value = round(share * 100, decimals)
    if value >= 100 and share < 1:
        value = 100 - 10**-decimals
    if value >= 100:
        return "100%"
    return f"{value:.{decimals}f}%"


def uptime_label(day: UptimeDay) -> str:
    """'2026-11-20: 99.2% uptime, partial outage 1 h 12 min'."""
    when = day.day.isoformat()
    if day.uptime is None:
        return f"{when}: no data"
    parts = [f"{when}: {percent_text(day.uptime, decimals=1)} uptime"]
    outages = [
        f"{STATUS_WORDS[status].lower()} {format_duration(day.outage_seconds[status])}"
        for status in _OUTAGES
        if day.outage_seconds.get(status, 0) > 0
    ]
    if outages:
        parts.extend(outages)
    elif day.worst in (ComponentStatus.DEGRADED_PERFORMANCE, ComponentStatus.UNDER_MAINTENANCE):
        parts.append(f"{STATUS_WORDS[day.worst].lower()} at times")
    else:
        parts.append("no downtime")
    return ", ".join(parts)


def bar_of(day: UptimeDay) -> Bar:
    return Bar(
        str(day.worst) if day.uptime is not None and day.worst else "none", uptime_label(day)
    )


def component_row(component: PublicComponent) -> ComponentRow:
    share = uptime_percent(component.uptime) if component.uptime else None
    return ComponentRow(
        code=component.code,
        name=component.name,
        description=component.description,
        status=component.status,
        bars=[bar_of(d) for d in component.uptime],
        uptime_text=(
            "No data yet" if share is None else f"{percent_text(share / 100, decimals=2)} uptime"
        ),
    )


def layout_of(page: PublicPage) -> list[ComponentRow | GroupRow]:
    """Groups and ungrouped components interleaved in page order, as Statuspage lists
    them (the read model keeps them apart)."""
    placed: list[tuple[int, int, ComponentRow | GroupRow]] = []
    for n, group in enumerate(page.groups):
        rows = [component_row(c) for c in group.components]
        row = GroupRow(
            code=group.code,
            name=group.name,
            status=group.status,
            open=group.status is not ComponentStatus.OPERATIONAL,
            components=rows,
        )
        placed.append((group.position, n, row))
    for n, component in enumerate(page.ungrouped, start=len(page.groups)):
        placed.append((component.position, n, component_row(component)))
    return [row for _, _, row in sorted(placed, key=lambda p: (p[0], p[1]))]


def history_of(
    incidents: list[PublicIncident],
    maintenances: list[PublicMaintenance],
    *,
    now: datetime,
    zone: ZoneInfo,
    days: int = HISTORY_DAYS,
) -> list[HistoryDay]:
    """The last `days` days, today first, each with the incidents that began that day
    (or, for one that began earlier, ended that day) and the maintenances completed."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    by_day: dict[date, list[PublicIncident]] = {}
    for incident in incidents:
        day = incident.created_at.astimezone(zone).date()
        if day < first and incident.resolved_at is not None:
            day = incident.resolved_at.astimezone(zone).date()
        if first <= day <= today:
            by_day.setdefault(day, []).append(incident)
    done: dict[date, list[PublicMaintenance]] = {}
    for m in maintenances:
        if m.completed_at is None or m.started_at is None:
            continue  # called off before it began: nothing happened to anyone
        day = m.completed_at.astimezone(zone).date()
        if first <= day <= today:
            done.setdefault(day, []).append(m)
    return [
        HistoryDay(
            day=day,
            heading=day_text(day),
            incidents=sorted(by_day.get(day, []), key=lambda i: i.created_at, reverse=True),
            maintenances=done.get(day, []),
        )
        for day in (today - timedelta(days=n) for n in range(days))
    ]
