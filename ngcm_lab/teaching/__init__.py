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
`ngcm_lab.teaching.hybrid` (notebooks 6–8) and `ngcm_lab.teaching.accelerators` (notebook 10).
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
from ngcm_lab.teaching.hybrid import (
    check_ar1_correlation,
    check_capped_drag_slope,
    check_fair_crps_members,
    check_first_lead_dispersion,
    check_fixed_scale_ratio,
    check_learning_rate_slopes,
    check_most_energetic_forecast,
    check_proper_forecast,
    check_resumed_losses,
    check_second_layer_withheld,
    check_split_refusal,
    check_top_inputs,
    check_tropical_feature_extreme,
    check_untrained_output_ratio,
    column_input_gradient,
    fixed_scale_ratio,
    most_energetic_forecast,
    tropical_feature_extreme,
    untrained_output_ratio,
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
    "check_ar1_correlation",
    "check_batch_saturation",
    "check_capped_drag_slope",
    "check_cost_slope",
    "check_courant_number",
    "check_device_speedup",
    "check_eddy_heat_flux_peak",
    "check_fair_crps_members",
    "check_first_lead_dispersion",
    "check_fixed_scale_ratio",
    "check_float32_drift",
    "check_gibbs_overshoot",
    "check_jw_minimum_surface_pressure",
    "check_jw_steady_eddy_wind",
    "check_learning_rate_slopes",
    "check_linearity_limit",
    "check_most_energetic_forecast",
    "check_noisy_drag_fit",
    "check_orography_slope",
    "check_proper_forecast",
    "check_resumed_losses",
    "check_rossby_haurwitz_phase_speed",
    "check_round_trip_float64",
    "check_second_layer_withheld",
    "check_split_refusal",
    "check_temperature_sensitivity_ratio",
    "check_top_inputs",
    "check_tropical_feature_extreme",
    "check_untrained_output_ratio",
    "check_upstream_speed",
    "check_warming_as_surface_pressure",
    "column_input_gradient",
    "cost_slope",
    "eddy_heat_flux_peak_latitude",
    "fixed_scale_ratio",
    "gibbs_overshoot",
    "most_energetic_forecast",
    "orography_spectral_slope",
    "rossby_haurwitz_reference_speed",
    "steering_wind",
    "tropical_feature_extreme",
    "untrained_output_ratio",
    "warming_as_surface_pressure",
    "williamson2_height_error",
]
