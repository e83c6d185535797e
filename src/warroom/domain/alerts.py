"""What an alert from monitoring means: its action, its keys, and the severity of the
incident it opens. Every inbound format is parsed into an AlertEvent first."""

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from warroom.domain.severity import Severity


class AlertAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class AlertStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertSource(StrEnum):
    EVENTS_V2 = "events_v2"
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    WEBHOOK = "webhook"


# The Events API's four severities, and how an alert's severity becomes an incident's.
ALERT_SEVERITIES = ("critical", "error", "warning", "info")
DEFAULT_SEVERITY_MAP: Mapping[str, Severity] = {
    "critical": Severity.SEV1,
    "error": Severity.SEV2,
    "warning": Severity.SEV3,
    "info": Severity.SEV4,
}
# Words monitoring setups use for the same levels (Alertmanager labels are free text).
_SYNONYMS: Mapping[str, str] = {
    "page": "critical",
    "fatal": "critical",
    "emergency": "critical",
    "high": "error",
    "major": "error",
    "err": "error",
    "medium": "warning",
    "minor": "warning",
    "warn": "warning",
    "low": "info",
    "informational": "info",
    "none": "info",
}
# When a source says nothing about severity: treat it as a real problem, not a page.
UNSPECIFIED_SEVERITY = "error"


def normalise_severity(raw: str | None) -> str:
    word = (raw or "").strip().lower()
    word = _SYNONYMS.get(word, word)
    return word if word in ALERT_SEVERITIES else UNSPECIFIED_SEVERITY


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert event, whatever format it arrived in."""

    source: AlertSource
    action: AlertAction
    # Identifies this alert across its events (Events v2 dedup_key, Alertmanager
    # fingerprint). At most one open alert per service has it.
    alert_key: str
    # Alerts sharing it while an incident is open attach to that incident (dedup_key,
    # or the Alertmanager/Grafana group).
    incident_key: str
    summary: str = ""
    severity: str = UNSPECIFIED_SEVERITY
    source_name: str = ""
    started_at: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    links: Sequence[Mapping[str, str]] = field(default_factory=tuple)

    def fields(self) -> dict[str, str]:
        """What severity rules and silences match on: the event's own fields under their
        names, and its labels, which win on a clash (an Alertmanager `severity="P1"` label
        stays P1). `alert_severity` is always the normalised level."""
        return {
            "severity": self.severity,
            "alert_severity": normalise_severity(self.severity),
            "source": self.source_name,
            "summary": self.summary,
            **{str(k): str(v)[:MATCHED_VALUE_LIMIT] for k, v in self.labels.items()},
        }


def key_digest(key: str) -> str:
    """A fixed-length form of a key of any length, for unique indexes."""
    return hashlib.sha256(key.encode()).hexdigest()


# Label values longer than this are matched on their first part only: rule and silence
# regexes run on the intake's writer thread, and must stay cheap whatever senders send.
MATCHED_VALUE_LIMIT = 1024


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    """Alertmanager-style label matcher; regexes are anchored, as Alertmanager's are."""

    name: str
    value: str
    op: MatchOp = MatchOp.EQ

    @classmethod
    def from_dict(cls, stored: Mapping[str, str]) -> "Matcher":
        return cls(stored["name"], stored["value"], MatchOp(stored.get("op", "=")))

    def matches(self, fields: Mapping[str, str]) -> bool:
        actual = fields.get(self.name, "")
        match self.op:
            case MatchOp.EQ:
                return actual == self.value
            case MatchOp.NE:
                return actual != self.value
            case MatchOp.RE:
                return re.fullmatch(self.value, actual) is not None
            case MatchOp.NRE:
                return re.fullmatch(self.value, actual) is None


def all_match(matchers: Sequence[Matcher], fields: Mapping[str, str]) -> bool:
    return all(m.matches(fields) for m in matchers)


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """If every matcher matches the alert, its incident gets `severity`. First match wins."""

    matchers: tuple[Matcher, ...]
    severity: Severity


def incident_severity(event: AlertEvent, rules: Sequence[SeverityRule] = ()) -> Severity:
    fields = event.fields()
    for rule in rules:
        if all_match(rule.matchers, fields):
            return rule.severity
    return DEFAULT_SEVERITY_MAP[normalise_severity(event.severity)]


@dataclass(frozen=True, slots=True)
class Window:
    """A maintenance window or a silence: while active, matching alerts open nothing."""

    reason: str
    starts_at: datetime
    ends_at: datetime
    matchers: tuple[Matcher, ...] = ()

    def covers(self, fields: Mapping[str, str], now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at and all_match(self.matchers, fields)


def suppressed_by(event: AlertEvent, windows: Sequence[Window], now: datetime) -> str | None:
    fields = event.fields()
    for window in windows:
        if window.covers(fields, now):
            return window.reason
    return None
