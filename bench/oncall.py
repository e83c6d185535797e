"""On-call benchmark (`make bench`), pure and in-process: who is on call for 1,000
schedules (3 layers each with restrictions, a few overrides) at one instant, and a year of
rendered shifts for one schedule. The last line printed is JSON.

WARROOM_BENCH_SCHEDULES sets how many schedules (default 1,000)."""

import json
import os
import random
import time
from datetime import UTC, datetime, timedelta

from warroom.domain.schedule import (
    Layer,
    Override,
    Restriction,
    Schedule,
    check_schedule,
    oncall_at,
    render,
)

SCHEDULES = int(os.environ.get("WARROOM_BENCH_SCHEDULES", "1000"))
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC")
# The instant asked about, and the rotations' first handoffs well before it.
AT = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # Europe's spring-forward night
EPOCH = datetime(2024, 1, 1, 9, tzinfo=UTC)


def build(i: int, rng: random.Random) -> Schedule:
    users = [f"u{i}-{k}" for k in range(8)]
    start = EPOCH + timedelta(hours=rng.randrange(0, 24 * 14))
    layers = (
        # Weekly handoff, business hours on weekdays.
        Layer(
            "primary",
            tuple(rng.sample(users, 4)),
            start,
            168.0,
            restrictions=(
                Restriction.weekly("mon", "09:00", "fri", "18:00"),
                Restriction.daily("09:00", "18:00"),
            ),
        ),
        # 12-hour turns (counted in elapsed hours), nights only.
        Layer(
            "nights",
            tuple(rng.sample(users, 3)),
            start + timedelta(hours=3),
            12.0,
            restrictions=(Restriction.daily("18:00", "09:00"),),
        ),
        # Daily turns at weekends.
        Layer(
            "weekend",
            tuple(rng.sample(users, 3)),
            start,
            24.0,
            restrictions=(Restriction.weekly("sat", "00:00", "mon", "00:00"),),
        ),
    )
    overrides = []
    for _ in range(3):
        begin = AT + timedelta(hours=rng.randrange(-72, 72))
        overrides.append(
            Override(rng.choice(users), begin, begin + timedelta(hours=rng.randrange(2, 30)))
        )
    schedule = Schedule(f"s{i}", ZONES[i % len(ZONES)], layers, tuple(overrides))
    check_schedule(schedule)
    return schedule


def main() -> None:
    rng = random.Random(4)
    schedules = [build(i, rng) for i in range(SCHEDULES)]

    t0 = time.perf_counter()
    answers = [oncall_at(s, AT) for s in schedules]
    oncall_s = time.perf_counter() - t0
    nobody = sum(1 for a in answers if not a)
    per_us = oncall_s / SCHEDULES * 1e6
    print(
        f"oncall_at  {SCHEDULES} schedules  {oncall_s * 1000:9.1f} ms total  "
        f"{per_us:8.1f} µs/schedule  ({nobody} with nobody on call)"
    )

    year_start = datetime(2025, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    year = render(schedules[0], year_start, year_start + timedelta(days=365))
    render_s = time.perf_counter() - t0
    layer_shifts = sum(len(shifts) for _, shifts in year.layers)
    print(
        f"render     1 schedule, 365 days  {render_s * 1000:9.1f} ms  "
        f"({len(year.final)} final shifts, {layer_shifts} layer shifts, {len(year.gaps)} gaps)"
    )

    print(
        json.dumps(
            {
                "schedules": SCHEDULES,
                "layers_per_schedule": 3,
                "overrides_per_schedule": 3,
                "oncall_at_total_ms": round(oncall_s * 1000, 3),
                "oncall_at_per_schedule_us": round(per_us, 3),
                "oncall_nobody": nobody,
                "render_year_ms": round(render_s * 1000, 3),
                "render_year_final_shifts": len(year.final),
                "render_year_layer_shifts": layer_shifts,
                "render_year_gaps": len(year.gaps),
            }
        )
    )


if __name__ == "__main__":
    main()
