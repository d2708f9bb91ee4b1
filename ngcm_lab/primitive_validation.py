"""Primitive-equation test cases as pass/fail checks (listed, with the shallow-water ones, in the
one registry `validation.CHECKS`; the result type is `validation_result.ValidationResult`).

Jablonowski & Williamson (2006, QJRMS 132:2943) steady state and baroclinic wave, and the
Held & Suarez (1994, BAMS 75:1825) spin-up. Thresholds are argued in each docstring.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.validation_result import ValidationResult


def _snapshot(model: PrimitiveEquationsModel, result, index: int) -> dict[str, np.ndarray]:
    return model.decode(jax.tree.map(lambda x: x[index], result.states))


def jw_steady(resolution: str, dtype: Any, progress: bool) -> ValidationResult:
    """JW06 part 1: without the perturbation the balanced zonal state must persist for 30 days.

    A spectral model on a Gaussian grid creates no zonal asymmetry, so the eddy wind must stay at
    round-off (≤ 1e-3 m s⁻¹). The zonal wind and p_s may only adjust to the discrete balance:
    bounds 0.5 m s⁻¹ (1.4 % of u₀ = 35 m s⁻¹) and 0.5 hPa. Measured at T21 L12, dt 1800 s:
    eddy wind ~1e-14 m s⁻¹, |Δu| 0.22 m s⁻¹, |Δp_s| 0.05 hPa.
    """
    model = PrimitiveEquationsModel.from_case(
        "jw_steady", resolution, layers=12, dt=1800.0, dtype=dtype
    )
    result = model.run(30.0, output_interval_hours=24.0 * 15, progress=progress)
    first, last = _snapshot(model, result, 0), _snapshot(model, result, -1)
    u = last["u"]
    metrics = {
        "eddy_wind_m_s": float(np.max(np.abs(u - u.mean(axis=-1, keepdims=True)))),
        "max_u_change_m_s": float(np.max(np.abs(u - first["u"]))),
        "max_ps_change_hpa": float(np.max(np.abs(last["surface_pressure"] - 1e5)) / 100.0),
    }
    thresholds = {"eddy_wind_m_s": 1e-3, "max_u_change_m_s": 0.5, "max_ps_change_hpa": 0.5}
    return ValidationResult(
        "jw_steady",
        resolution,
        np.dtype(dtype).name,
        metrics,
        thresholds,
        {"days": 30.0, "dt_s": model.dt_s, "layers": 12},
    )


def jablonowski_williamson(resolution: str, dtype: Any, progress: bool) -> ValidationResult:
    """JW06 part 2: the wave must deepen on schedule, judged by the minimum p_s days 7–9.

    High-resolution references reach the mid-940s hPa at day 9 and Dinosaur (T42 L26) 947 hPa
    (test-cases.md): day 9 must fall in 940–955 hPa, day 7 above 980 hPa (a wave a day early or
    late is the classic initial-condition bug), and the wave must deepen by ≥ 5 hPa from day 8
    to day 9. Measured at T42 L20, dt 900 s: 986.1, 970.6, 947.6 hPa.
    """
    model = PrimitiveEquationsModel.from_case(
        "jablonowski_williamson", resolution, layers=20, dtype=dtype
    )
    result = model.run(9.0, output_interval_hours=24.0, progress=progress)
    min_ps = [
        float(_snapshot(model, result, i)["surface_pressure"].min()) / 100.0
        for i in range(len(result.times_s))
    ]
    metrics = {
        "min_ps_day7_hpa": min_ps[7],
        "min_ps_day8_hpa": min_ps[8],
        "min_ps_day9_hpa": min_ps[9],
        "min_deepening_day8_to_day9_hpa": min_ps[8] - min_ps[9],
    }
    thresholds = {
        "min_ps_day7_hpa": (980.0, 1000.0),
        "min_ps_day9_hpa": (940.0, 955.0),
        "min_deepening_day8_to_day9_hpa": 5.0,
    }
    return ValidationResult(
        "jablonowski_williamson",
        resolution,
        np.dtype(dtype).name,
        metrics,
        thresholds,
        {"days": 9.0, "dt_s": model.dt_s, "layers": 20, "min_ps_by_day_hpa": min_ps},
    )


def held_suarez_spinup(resolution: str, dtype: Any, progress: bool) -> ValidationResult:
    """Held–Suarez from rest: 150 days, statistics over days 50–150, 10 layers, dt 1 h.

    The paper's climate has ~30 m s⁻¹ westerly jets near σ = 0.25 in both hemispheres, surface
    westerlies under them and easterly trades. Bands allow for low resolution and a short average:
    jets 20–45 m s⁻¹ at 25–55° latitude, hemispheres within 15 %, surface wind negative within
    15° of the equator and positive at 35–55°. Dry mass: the spectral ln p_s equation does not
    conserve ∫ p_s exactly; we bound the drift at 0.1 %. Measured at T21: jets 33.0 and
    31.4 m s⁻¹ at ±30.5° (T21 puts them nearer the equator than the paper's T63), trades
    −4.2 m s⁻¹, drift −0.05 %.
    """
    model = PrimitiveEquationsModel.from_case(
        "held_suarez", resolution, layers=10, dt=3600.0, dtype=dtype
    )
    result = model.run(150.0, output_interval_hours=24.0 * 5, progress=progress)
    lat = np.degrees(model.grid.latitudes)
    zonal = np.stack(
        [_snapshot(model, result, i)["u"].mean(axis=-1) for i in range(10, len(result.times_s))]
    ).mean(axis=0)
    upper = zonal[np.argmin(np.abs(model.coords.centers - 0.25))]
    north, south = lat > 0, lat < 0
    jets = [float(upper[h].max()) for h in (north, south)]
    where = [float(abs(lat[h][upper[h].argmax()])) for h in (north, south)]
    masses = [
        model.global_mean_surface_pressure(jax.tree.map(lambda x, i=i: x[i], result.states))
        for i in (0, -1)
    ]
    metrics = {
        "jet_north_m_s": jets[0],
        "jet_south_m_s": jets[1],
        "jet_north_latitude_deg": where[0],
        "jet_south_latitude_deg": where[1],
        "jet_asymmetry_fraction": abs(jets[0] - jets[1]) / np.mean(jets),
        "tropical_surface_wind_m_s": float(zonal[-1][np.abs(lat) < 15].mean()),
        "min_midlatitude_surface_wind_m_s": float(
            zonal[-1][(np.abs(lat) > 35) & (np.abs(lat) < 55)].mean()
        ),
        "dry_mass_drift_fraction": abs(masses[1] / masses[0] - 1.0),
    }
    thresholds = {
        "jet_north_m_s": (20.0, 45.0),
        "jet_south_m_s": (20.0, 45.0),
        "jet_north_latitude_deg": (25.0, 55.0),
        "jet_south_latitude_deg": (25.0, 55.0),
        "jet_asymmetry_fraction": 0.15,
        "tropical_surface_wind_m_s": 0.0,
        "min_midlatitude_surface_wind_m_s": 0.0,
        "dry_mass_drift_fraction": 1e-3,
    }
    return ValidationResult(
        "held_suarez_spinup",
        resolution,
        np.dtype(dtype).name,
        metrics,
        thresholds,
        {"days": 150.0, "dt_s": model.dt_s, "layers": 10},
    )
