"""Axis scales for the report charts: tick steps a reader knows (1-2-5 counts; seconds,
minutes, hours and days for durations) and the short labels they are written with."""

import math
from collections.abc import Callable


def count_label(n: float) -> str:
    """12, 1,250, 12k, 3.5M: short enough for a tick or the end of a bar."""
    if n < 10_000:
        return f"{n:,.0f}" if n == int(n) else f"{n:,.1f}"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return f"{n:,.0f}"  # unreachable: n >= 10,000 met a suffix


def minutes_label(minutes: float, *, step: float | None = None) -> str:
    """A duration the way an axis reads it: '30 s', '45 min', '1.5 h', '3 d'. On an axis
    the step picks the unit, so every tick of it speaks the same one."""
    if minutes == 0:
        return "0"
    scale = minutes if step is None else step
    if scale < 1:
        return f"{minutes * 60:.3g} s"
    if scale < 60:
        return f"{minutes:.3g} min"
    if scale < (48 * 60 if step is None else 1440):
        return f"{minutes / 60:.3g} h"
    days = minutes / 1440
    return f"{count_label(days) if days >= 10_000 else f'{days:.3g}'} d"


def nice_count_step(raw: float) -> float:
    """The 1-2-5 step at least as big as raw, never below 1 (counts are whole)."""
    if raw <= 1:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(
        m * magnitude for m in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0) if m * magnitude >= raw
    )


# Steps a clock reader knows; beyond a day, whole days in 1-2-5 steps.
_MINUTE_STEPS = (0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440)


def nice_minutes_step(raw: float) -> float:
    for step in _MINUTE_STEPS:
        if step >= raw:
            return float(step)
    return 1440 * nice_count_step(raw / 1440)


def axis(top: float, step_of: Callable[[float], float], ticks: int) -> list[float]:
    """Tick values from 0 to the first step at or above top."""
    step = step_of(max(top, 0.0) / ticks)
    count = max(1, math.ceil(max(top, 0.0) / step - 1e-9))
    return [step * i for i in range(count + 1)]
