"""Timing helpers shared by the benchmark modules."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    group: str
    name: str
    value: float
    unit: str
    runs: int
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def time(
        self,
        group: str,
        name: str,
        fn: Callable[[], object],
        *,
        runs: int,
        warmup: int = 3,
        note: str = "",
    ) -> float:
        """Run ``fn`` ``warmup + runs`` times and record the median in ms."""
        median = median_ms(fn, runs=runs, warmup=warmup)
        self.rows.append(Row(group, name, median, "ms", runs, note))
        return median

    def value(
        self, group: str, name: str, value: float, unit: str, note: str = ""
    ) -> None:
        """Record a figure measured some other way (memory, build time)."""
        self.rows.append(Row(group, name, value, unit, 1, note))

    def render(self) -> str:
        lines = []
        width = max((len(r.name) for r in self.rows), default=10)
        group = None
        for row in self.rows:
            if row.group != group:
                group = row.group
                lines.append(f"\n{group}")
            figure = f"{row.value:10.3f} {row.unit:<3}"
            runs = f"median of {row.runs}" if row.unit == "ms" else ""
            lines.append(f"  {row.name:<{width}}  {figure} {runs:<16} {row.note}")
        return "\n".join(lines)


def median_ms(fn: Callable[[], object], *, runs: int, warmup: int = 3) -> float:
    """Median wall time of one call of ``fn``, in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000.0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples)
