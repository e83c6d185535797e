import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from warroom.domain.alerts import Matcher, MatchOp, SeverityRule
from warroom.domain.components import ComponentStatus
from warroom.domain.severity import Severity
from warroom.domain.timers import MAX_TIMEOUT_MINUTES
from warroom.escalation.schemas import PolicyName
from warroom.schemas import Handle, In, Out
from warroom.services.models import IntegrationKey, Service
from warroom.teams.schemas import TeamName

ServiceName = Annotated[
    str, StringConstraints(pattern=r"^\w[\w .:-]{0,99}$", strip_whitespace=True)
]
# A status-page component's name ("" or null: none); made, public, if there is none.
Component = Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
Short = Annotated[str, StringConstraints(max_length=500)]
# Whole minutes, from one minute to a week.
TimeoutMinutes = Annotated[int, Field(ge=1, le=MAX_TIMEOUT_MINUTES)]


# A group that is itself repeated and contains a repetition, like (a+)+ or (\w*)*: the
# shape of catastrophic backtracking. Matching runs on the intake's writer thread.
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*][^()]*\)[+*{]")


class MatcherIn(In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: Annotated[str, StringConstraints(max_length=500)]
    op: MatchOp = MatchOp.EQ

    @model_validator(mode="after")
    def _regex_compiles(self) -> "MatcherIn":
        if self.op in (MatchOp.RE, MatchOp.NRE):
            if _NESTED_QUANTIFIER.search(self.value):
                raise ValueError(
                    f"'{self.value}' repeats a repeated group, which can take exponential "
                    "time to match; simplify it"
                )
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(
                    f"'{self.value}' is not a valid regular expression: {exc}"
                ) from None
        return self

    def to_domain(self) -> Matcher:
        return Matcher(self.name, self.value, self.op)


class SeverityRuleIn(In):
    matchers: list[MatcherIn] = Field(min_length=1, max_length=20)
    severity: Severity

    def to_domain(self) -> SeverityRule:
        return SeverityRule(tuple(m.to_domain() for m in self.matchers), self.severity)


class _ServiceFields(In):
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    component: Component | None = Field(
        default=None,
        description="the status-page component the service is part of, by name; made "
        '(public) if there is none by that name; in a PATCH, null or "" unlinks it',
    )
    severity_rules: list[SeverityRuleIn] | None = Field(
        default=None,
        max_length=50,
        description="first rule whose matchers all match an alert sets its incident's "
        "severity; otherwise critical→SEV-1, error→SEV-2, warning→SEV-3, info→SEV-4",
    )
    responders: list[Handle] | None = Field(
        default=None, max_length=50, description="invited to incident rooms"
    )
    open_room: bool | None = None
    post_initial_message: bool | None = None
    mark_component: bool | None = None
    escalation_policy: PolicyName | None = Field(
        default=None,
        description="the escalation policy's name; in a PATCH, null detaches the policy",
    )
    ack_timeout_minutes: TimeoutMinutes | None = Field(
        default=None,
        description="re-trigger an acknowledged incident (and page level 1 again) after "
        "this many minutes without human activity; absent or null: off",
    )
    auto_resolve_minutes: TimeoutMinutes | None = Field(
        default=None,
        description="resolve an incident still triggered or acknowledged this many minutes "
        "after it triggered; absent or null: off",
    )
    team: TeamName | None = Field(
        default=None, description="the owning team's name; in a PATCH, null: no team"
    )


class ServiceIn(_ServiceFields):
    name: ServiceName


class ServicePatch(_ServiceFields):
    name: ServiceName | None = None


class ServiceOut(Out):
    id: int
    name: str
    description: str
    component: str | None
    # The component's status now (null without a component).
    component_status: ComponentStatus | None
    severity_rules: list[dict[str, Any]]
    responders: list[str]
    open_room: bool
    post_initial_message: bool
    mark_component: bool
    escalation_policy: str | None = None
    ack_timeout_minutes: int | None = None
    auto_resolve_minutes: int | None = None
    team: str | None = None
    # Only in the answer to creating the service: its first integration key, shown once.
    integration_key: str | None = None
    created_at: datetime

    @field_validator("team", mode="before")
    @classmethod
    def _team_name(cls, value: object) -> object:
        # The row holds the Team itself; the API names it.
        return getattr(value, "name", value)


class IntegrationKeyIn(In):
    name: Annotated[str, StringConstraints(max_length=100)] = ""


class IntegrationKeyOut(Out):
    id: int
    service: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    # Shown once, when the key is made or rotated; only its hash is stored.
    key: str | None = None

    @classmethod
    def of(
        cls, key: IntegrationKey, service: Service, secret: str | None = None
    ) -> "IntegrationKeyOut":
        return cls(
            id=key.id,
            service=service.name,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            key=secret,
        )


class MaintenanceWindowIn(In):
    starts_at: AwareDatetime | None = Field(default=None, description="default: now")
    ends_at: AwareDatetime
    reason: Short = ""


class MaintenanceWindowOut(Out):
    id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime


class SilenceIn(In):
    matchers: list[MatcherIn] = Field(min_length=1, max_length=20)
    starts_at: AwareDatetime | None = Field(default=None, description="default: now")
    ends_at: AwareDatetime
    comment: Short = ""

    @field_validator("matchers")
    @classmethod
    def _not_match_everything(cls, v: list[MatcherIn]) -> list[MatcherIn]:
        # As Alertmanager requires: a matcher that an alert without the label satisfies
        # selects nearly everything, so at least one must need the label to be there.
        if all(m.to_domain().matches({}) for m in v):
            raise ValueError(
                "a silence needs at least one matcher that an empty label does not match "
                "(for everything, use a maintenance window)"
            )
        return v


class SilenceOut(Out):
    id: int
    service_id: int
    matchers: list[dict[str, str]]
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    created_at: datetime
