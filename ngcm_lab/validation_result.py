"""The outcome of a validation check: its metrics beside argued thresholds, pass or fail.

Shared by the shallow-water checks (`validation`) and the primitive-equation ones
(`primitive_validation`), which the `validation` registry runs by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """Outcome of one check: metrics and thresholds.

    A threshold is an upper bound, a lower bound for metrics named `min_…`, or a `[low, high]`
    range.
    """

    case: str
    resolution: str
    precision: str
    metrics: dict[str, float]
    thresholds: dict[str, float | tuple[float, float]]
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def _ok(self, name: str) -> bool:
        value, limit = self.metrics[name], self.thresholds[name]
        if isinstance(limit, tuple | list):
            return bool(limit[0] <= value <= limit[1])
        return bool(value >= limit) if name.startswith("min_") else bool(value <= limit)

    def _limit_text(self, name: str) -> str:
        limit = self.thresholds[name]
        if isinstance(limit, tuple | list):
            return f"{limit[0]:.4g}…{limit[1]:.4g}"
        return f"{'≥' if name.startswith('min_') else '≤'} {limit:.3g}"

    @property
    def passed(self) -> bool:
        return all(self._ok(name) for name in self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "resolution": self.resolution,
            "precision": self.precision,
            "metrics": self.metrics,
            "thresholds": {
                k: list(t) if isinstance(t, tuple) else t for k, t in self.thresholds.items()
            },
            "passed": self.passed,
            **self.details,
        }

    def table(self) -> str:
        lines = [f"{self.case} at {self.resolution} ({self.precision})", ""]
        lines.append(f"  {'metric':<28} {'value':>12} {'threshold':>14}  ok")
        for name, value in self.metrics.items():
            if name in self.thresholds:
                limit = self._limit_text(name)
                ok = "yes" if self._ok(name) else "NO"
            else:
                limit, ok = "", ""
            lines.append(f"  {name:<28} {value:>12.4g} {limit:>14}  {ok}")
        lines += ["", f"  passed: {self.passed}"]
        return "\n".join(lines)
