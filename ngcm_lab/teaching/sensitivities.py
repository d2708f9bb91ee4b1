"""Self-checks for the exercises of notebook 9, sensitivities: how fast the sensitive region moves
upstream, a kelvin against a hectopascal, where the linear prediction ends, and estimating the
Held–Suarez rates from noisy or indirect observations (see `ngcm_lab.teaching`).

The full-mode numbers quoted below are the notebook's set-up: the Jablonowski–Williamson wave at
T21 with 8 layers, spun up for 4 days, target p_s at 50°N 60°E; parameter fits at T21 L8 over
8 windows of 3 hours. `FAST` mode: 3 layers, no spin-up, 4 windows of 1.5 hours.
"""

from __future__ import annotations

import numpy as np

from ngcm_lab.teaching._common import _number, _numbers_by_key, _verdict


def steering_wind(sigma: float = 0.85, latitude: float = 50.0) -> float:
    """Zonal wind (m s⁻¹) of the Jablonowski–Williamson jet at `sigma` and `latitude` (°N): the
    westerlies that carry air to notebook 9's target (the jet's zonal mean changes little in the
    notebook's four days of spin-up: 16.5 m s⁻¹ at σ = 0.81 and 52.6°N after it)."""
    from ngcm_lab.cases.jablonowski_williamson import jablonowski_williamson

    fields = jablonowski_williamson(
        np.radians([[float(latitude)]]), np.zeros((1, 1)), np.array([float(sigma)])
    )
    return float(np.asarray(fields.u).reshape(()))


def check_upstream_speed(speed) -> bool:
    """Exercise 9.1: the speed (m s⁻¹) at which the largest temperature sensitivity at σ ≈ 0.85
    moves west of the target as the lead time grows.

    Reference: `steering_wind()`, the jet's zonal wind at σ = 0.85 and 50°N (15.4 m s⁻¹): the
    sensitive region is the air that the lower-tropospheric westerlies bring to the target. The
    notebook's full set-up puts the largest sensitivity 380, 1140 and 2660 km west of the target
    at 12, 24 and 48 hours, a fitted 17.6 m s⁻¹ (`FAST`: 760, 1140, 2660 km, 15.1 m s⁻¹).
    Tolerance ±40 %: the maximum moves in steps of one grid column (5.6°, 380 km at 50°N).
    """
    value = _number(speed, "the speed", "check_upstream_speed")
    if value is None:
        return False
    reference = steering_wind()
    if abs(value - reference) <= 0.4 * reference:
        return _verdict(
            True,
            f"{value:.1f} m/s: about the westerly wind at σ = 0.85, 50°N ({reference:.1f} m/s), "
            "which carries the sensitive air to the target.",
        )
    if value <= 0:
        hint = "the sensitive region lies west (upstream) of the target: give a positive speed."
    elif abs(value / 3.6 - reference) <= 0.4 * reference:
        hint = "that looks like km/h: divide by 3.6 for m/s."
    elif value > reference:
        hint = (
            "faster than the wind at σ ≈ 0.85 (the jet aloft blows at ~30 m/s): fit distance "
            "(m) against lead time (s) over 12–48 hours, at the level σ ≈ 0.85."
        )
    else:
        hint = (
            "fit distance against lead time over 12–48 hours: at 12 hours the shift is only one "
            "or two grid columns (380 km each at 50°N)."
        )
    return _verdict(False, f"{value:.1f} m/s; the wind at σ = 0.85 is {reference:.1f} m/s.", hint)


def warming_as_surface_pressure(layers: int = 8, sigma: float = 0.85) -> float:
    """Surface-pressure change (hPa) that raises the geopotential above a layer as much as warming
    that layer by 1 K does, for the layer nearest `sigma` of `layers` equidistant σ layers.

    Hypsometric equation: warming a layer from σ_top to σ_bottom by ΔT raises the geopotential of
    every pressure surface above it by R ΔT ln(σ_bottom/σ_top); raising p_s by Δp_s raises it by
    R T_s Δp_s / p_s. So Δp_s = p_s ΔT ln(σ_bottom/σ_top) / T_s, with the Jablonowski–Williamson
    surface values at 50°N (p_s = 1000 hPa, T_s = 268 K).
    """
    from ngcm_lab.cases.jablonowski_williamson import jablonowski_williamson
    from ngcm_lab.sigma_coordinates import SigmaCoordinates

    coords = SigmaCoordinates.equidistant(int(layers))
    k = int(np.argmin(np.abs(coords.centers - float(sigma))))
    top, bottom = coords.boundaries[k], coords.boundaries[k + 1]
    surface = jablonowski_williamson(np.radians([[50.0]]), np.zeros((1, 1)), np.array([1.0]))
    p_s_hpa = float(np.asarray(surface.surface_pressure).reshape(())) / 100.0
    t_s = float(np.asarray(surface.temperature).reshape(()))
    return p_s_hpa * np.log(bottom / top) / t_s


def check_warming_as_surface_pressure(hpa, layers: int = 8) -> bool:
    """Exercise 9.2: the surface-pressure change (hPa) equivalent, for the geopotential above it,
    to a 1 K warming of the layer at σ ≈ 0.85 (σ from 0.75 to 0.875 with 8 layers).

    Reference: `warming_as_surface_pressure(layers)`, 0.57 hPa for 8 layers. Tolerance ±25 %:
    any temperature between the layer's (~260 K) and the surface's, and p_s of 1000 or
    1013 hPa, give an answer well inside it.
    """
    caller = "check_warming_as_surface_pressure"
    value = _number(hpa, "the pressure change in hPa", caller)
    n = _number(layers, "layers", caller)
    if value is None or n is None:
        return False
    if n < 2 or n != int(n):
        print(f"{caller}: layers must be a whole number of at least 2, got {n:g}")
        return False
    reference = warming_as_surface_pressure(int(n))
    if abs(value - reference) <= 0.25 * reference:
        return _verdict(
            True,
            f"{value:.2f} hPa ≈ {reference:.2f} hPa: 1 K on that layer moves the geopotential "
            "above it as much as about half a hectopascal of surface pressure.",
        )
    if value < 0:
        hint = "warming a layer raises the surfaces above it, as more mass below does: Δp_s > 0."
    elif abs(value / 100.0 - reference) <= 0.25 * reference:
        hint = "that looks like Pa: divide by 100 for hPa."
    elif value > 2 * reference:
        hint = (
            "is that a warming of the whole column? The exercise warms one layer: "
            "Δp_s = p_s ln(σ_bottom/σ_top) · 1 K / T_s."
        )
    else:
        hint = "Δφ = R ΔT ln(σ_bottom/σ_top) from the warming, R T_s Δp_s / p_s from p_s."
    return _verdict(False, f"{value:.3g} hPa; the hypsometric estimate is {reference:.2f}.", hint)


def check_linearity_limit(amplitudes) -> bool:
    """Exercise 9.3: the bubble amplitude (K) at which the adjoint's linear prediction is 10 % off
    the change between two forecasts, for several lead times: ``{hours: kelvin}``.

    Reference: nonlinearity needs time to act, so the amplitude must shrink as the lead time
    grows (each longer lead smaller). The notebook's full set-up gives about 150, 74, 35 and
    8 K at 12, 24, 48 and 96 hours (`FAST`: 210, 130 and 29 K at 12, 24 and 48 hours); only the
    ordering is checked, since the numbers depend on the target and the bubble.
    """
    values = _numbers_by_key(amplitudes, "the amplitudes by lead time", "check_linearity_limit")
    if values is None:
        return False
    if len(values) < 2:
        print("check_linearity_limit: give at least two lead times, e.g. {24: 60.0, 96: 8.0}")
        return False
    hours, kelvin = np.array(list(values)), np.array(list(values.values()))
    text = ", ".join(f"{k:.3g} K at {h:g} h" for h, k in values.items())
    if np.any(kelvin <= 0):
        return _verdict(False, f"{text}: an amplitude must be positive.", "give |bubble| in K.")
    if np.all(np.diff(kelvin) < 0):
        return _verdict(
            True,
            f"{text}: the longer the forecast, the smaller the perturbation that still behaves "
            "linearly.",
        )
    return _verdict(
        False,
        f"{text}: the amplitude should shrink with lead time (×{kelvin[-1] / kelvin[0]:.2g} from "
        f"{hours[0]:g} to {hours[-1]:g} h here).",
        "for each lead, compute the gradient at that lead (set_target(hours=…), compute()), then "
        "raise the bubble on a log scale until |predicted − actual| > 0.1 |actual|.",
    )


def check_noisy_drag_fit(k_f) -> bool:
    """Exercise 9.4: k_f (day⁻¹) fitted to the notebook's wind observations with Gaussian noise
    of 1 m s⁻¹ added.

    Reference: the truth, 1 day⁻¹. Tolerance 0.1 day⁻¹: the noise averages out over tens of
    thousands of observations (the full set-up gives 1.02 and 1.02 with two noise draws and
    8 windows, 1.03 and 1.04 with 16; the noise-free fit 1.03), so what is left is the
    optimiser's own error after its few steps (`FAST`, 15 steps: 0.93–0.98).
    """
    value = _number(k_f, "k_f", "check_noisy_drag_fit")
    if value is None:
        return False
    if abs(value - 1.0) <= 0.1:
        return _verdict(True, f"k_f = {value:.3f} per day, within 0.1 of the truth (1).")
    if abs(value * 86400.0 - 1.0) <= 0.1:
        hint = "that is per second: multiply by 86400 for per day."
    else:
        hint = (
            "add noise in the observations' units: truth is in model units, so the noise is "
            "1 m/s / base.scales.velocity_unit; then run the same optimiser."
        )
    return _verdict(False, f"k_f = {value:.3g} per day is more than 0.1 from the truth, 1.", hint)


def check_temperature_sensitivity_ratio(ratio) -> bool:
    """Exercise 9.5: how much more the observed temperatures change for a relative change of k_a
    than for one of k_f: rms ∂T/∂ln k_a over rms ∂T/∂ln k_f, over the notebook's observation
    window (jax.jacfwd of the observations with respect to (ln k_f, ln k_a)).

    Reference: measured with the package, 1.75 for the full set-up's one-day window and 2.5 for
    `FAST`'s 6 hours. Accepted: 1.2–4. A ratio above 1 says the temperatures pin k_a down better
    than k_f: the drag acts on the wind, and reaches the temperature only through the circulation
    it changes. (The wind sees k_f instead: its ratio is 0.08.)
    """
    value = _number(ratio, "the ratio", "check_temperature_sensitivity_ratio")
    if value is None:
        return False
    if 1.2 <= value <= 4.0:
        return _verdict(
            True,
            f"{value:.2f}: temperature observations constrain k_a better than k_f, which acts on "
            "the wind and reaches T only through the circulation.",
        )
    if 0 < value < 0.3:
        hint = "that is what the wind sees; observe the temperatures (model.grid.to_nodal(...))."
    elif value < 0:
        hint = "compare sizes: the root mean square of each column of the Jacobian."
    else:
        hint = (
            "differentiate with respect to ln k (relative changes) at the truth, "
            "(ln 1, ln 1/40) per day, over the notebook's window."
        )
    return _verdict(False, f"{value:.3g} is outside the measured 1.2–4.", hint)
