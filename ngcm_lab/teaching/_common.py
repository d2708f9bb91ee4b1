"""The shared parts of the exercise checks: reading a student's number and printing a verdict."""

from __future__ import annotations

import numbers

import numpy as np


def _number(value, what: str, caller: str) -> float | None:
    """``value`` as a finite float, or None after printing one line that says what was wrong."""
    if isinstance(value, np.ndarray | list | tuple) and np.size(value) == 1:
        value = np.asarray(value).reshape(()).item()
    if hasattr(value, "item") and np.ndim(value) == 0 and not isinstance(value, str):
        value = value.item()  # numpy, jax and xarray scalars
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        print(f"{caller}: {what} must be one number, got {type(value).__name__} {value!r:.60}")
        return None
    if not np.isfinite(value):
        print(f"{caller}: {what} must be a finite number, got {value}")
        return None
    return float(value)


def _verdict(ok: bool, message: str, hint: str = "") -> bool:
    print(("✓ " if ok else "✗ ") + message + ("" if ok or not hint else f" Hint: {hint}"))
    return ok


def _numbers_by_key(values, what: str, caller: str) -> dict[float, float] | None:
    """A mapping {number: number} as floats sorted by key, or None after printing one line."""
    if not isinstance(values, dict) or not values:
        print(f"{caller}: {what} must be a dict such as {{24: 60.0, 48: 30.0}}, got {values!r:.60}")
        return None
    out = {}
    for key, value in values.items():
        k = _number(key, f"each key of {what}", caller)
        if k is None:
            return None
        v = _number(value, f"each value of {what}", caller)
        if v is None:
            return None
        out[k] = v
    return dict(sorted(out.items()))
