"""Self-checks for the exercises of the course notebooks.

Each ``check_*`` function takes a student's number, compares it with a reference that the package
computes (or, where the reference is a published range, with that range), prints a one-line
verdict and returns ``True`` or ``False``. A wrong answer is not an error: the verdict says which
way it is off and gives a hint. Only input that is not a number gets a one-line explanation (and
``False``) instead of a verdict. Each tolerance is stated in its function's docstring; the number
each function compares with, and why it is what it is, are in its docstring too.

    >>> from ngcm_lab import teaching
    >>> teaching.check_gibbs_overshoot(0.09, truncation=42)  # doctest: +SKIP
    ✓ overshoot at N = 42: 0.09 is within 0.01 of 0.090 ...

The checks live in one module per part of the course, all importable from here:
`ngcm_lab.teaching.dynamics` (notebooks 1–5), `ngcm_lab.teaching.sensitivities` (notebook 9)
and `ngcm_lab.teaching.accelerators` (notebook 10).
"""

from ngcm_lab.teaching.accelerators import (
    batch_saturation,
    check_batch_saturation,
    check_cost_slope,
    check_device_speedup,
    check_float32_drift,
    cost_slope,
    williamson2_height_error,
)
from ngcm_lab.teaching.dynamics import (
    acc_without_climatology,
    check_acc_without_climatology,
    check_courant_number,
    check_eddy_heat_flux_peak,
    check_gibbs_overshoot,
    check_jw_minimum_surface_pressure,
    check_jw_steady_eddy_wind,
    check_orography_slope,
    check_rossby_haurwitz_phase_speed,
    check_round_trip_float64,
    eddy_heat_flux_peak_latitude,
    gibbs_overshoot,
    orography_spectral_slope,
    rossby_haurwitz_reference_speed,
)
from ngcm_lab.teaching.sensitivities import (
    check_linearity_limit,
    check_noisy_drag_fit,
    check_temperature_sensitivity_ratio,
    check_upstream_speed,
    check_warming_as_surface_pressure,
    steering_wind,
    warming_as_surface_pressure,
)

__all__ = [
    "acc_without_climatology",
    "batch_saturation",
    "check_acc_without_climatology",
    "check_batch_saturation",
    "check_cost_slope",
    "check_courant_number",
    "check_device_speedup",
    "check_eddy_heat_flux_peak",
    "check_float32_drift",
    "check_gibbs_overshoot",
    "check_jw_minimum_surface_pressure",
    "check_jw_steady_eddy_wind",
    "check_linearity_limit",
    "check_noisy_drag_fit",
    "check_orography_slope",
    "check_rossby_haurwitz_phase_speed",
    "check_round_trip_float64",
    "check_temperature_sensitivity_ratio",
    "check_upstream_speed",
    "check_warming_as_surface_pressure",
    "cost_slope",
    "eddy_heat_flux_peak_latitude",
    "gibbs_overshoot",
    "orography_spectral_slope",
    "rossby_haurwitz_reference_speed",
    "steering_wind",
    "warming_as_surface_pressure",
    "williamson2_height_error",
]
