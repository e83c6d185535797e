from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from warroom.domain.errors import DomainError
from warroom.domain.escalation import MAX_DELAY_MINUTES, MAX_REPEAT, Level, Policy, parse_target
from warroom.oncall.schemas import ScheduleName
from warroom.schemas import Handle, In, Out

PolicyName = Annotated[str, StringConstraints(pattern=r"^\w[\w .:-]{0,99}$", strip_whitespace=True)]
MAX_LEVELS = 20
MAX_TARGETS = 20
# The preview lists at most this many pages; a policy has up to 20 * (10 + 1) steps.
TIMELINE_STEPS = 50


class TargetIn(In):
    """`{"user": handle}` or `{"schedule": name}`: exactly one of the two."""

    user: Handle | None = None
    schedule: ScheduleName | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "TargetIn":
        try:
            parse_target(self.as_dict())
        except DomainError as exc:
            raise ValueError(str(exc)) from None
        return self

    def as_dict(self) -> dict[str, str]:
        return {
            k: v for k, v in (("user", self.user), ("schedule", self.schedule)) if v is not None
        }


class LevelIn(In):
    # Strict: `true` is not a number of minutes; integers are still taken.
    delay_minutes: float = Field(
        strict=True,
        ge=0,
        le=MAX_DELAY_MINUTES,
        allow_inf_nan=False,
        description="minutes to wait for an acknowledgement before the next level "
        f"(fractions allowed, at most {MAX_DELAY_MINUTES}); after the last level, before "
        "the policy repeats",
    )
    targets: list[TargetIn] = Field(min_length=1, max_length=MAX_TARGETS)


class PolicyIn(In):
    name: PolicyName
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    repeat: int = Field(
        default=0,
        strict=True,
        ge=0,
        le=MAX_REPEAT,
        description="passes through the levels after the first",
    )
    levels: list[LevelIn] = Field(min_length=1, max_length=MAX_LEVELS)

    @model_validator(mode="after")
    def _is_a_policy(self) -> "PolicyIn":
        try:
            self.to_domain()
        except DomainError as exc:
            raise ValueError(str(exc)) from None
        return self

    def to_domain(self) -> Policy:
        return Policy(
            name=self.name,
            repeat=self.repeat,
            levels=tuple(
                Level(
                    delay_minutes=level.delay_minutes,
                    targets=tuple(parse_target(t.as_dict()) for t in level.targets),
                )
                for level in self.levels
            ),
        )

    def stored_levels(self) -> list[dict[str, object]]:
        return [
            {
                "delay_minutes": float(level.delay_minutes),
                "targets": [t.as_dict() for t in level.targets],
            }
            for level in self.levels
        ]


class LevelOut(Out):
    delay_minutes: float
    targets: list[dict[str, str]] = Field(description='[{"user": handle} | {"schedule": name}]')


class PlannedPageOut(Out):
    loop: int = Field(description="pass through the policy, from 1")
    level: int = Field(description="level, from 1")
    at_minutes: float = Field(description="minutes after the incident triggers")
    targets: list[dict[str, str]]


class PolicyOut(Out):
    id: int
    name: str
    description: str
    repeat: int
    levels: list[LevelOut]
    timeline: list[PlannedPageOut] = Field(
        description=f"when each level is paged if nobody acknowledges, for a trigger at "
        f"minute 0 (the first {TIMELINE_STEPS} pages)"
    )
    services: list[str] = Field(description="services that page through this policy")
    created_at: datetime
    updated_at: datetime
