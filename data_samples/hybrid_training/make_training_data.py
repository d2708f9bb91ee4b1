"""Offline training data for the hybrid model: a T42 L8 moist "truth" coarse-grained to T21 L8.

    python data_samples/hybrid_training/make_training_data.py

Truth: the `moist_held_suarez` case (Held & Suarez 1994 Newtonian cooling without Rayleigh drag,
plus `SimplePhysics()`: large-scale condensation and bulk surface drag, sensible heat and
evaporation over the prescribed sea-surface temperature T_s(φ) of Thatcher & Jablonowski 2016)
at T42 with 8 equidistant σ layers, float32, dt = `suggested_dt` (900 s), but over real Earth
orography: Φ_s = `orography_on_grid(T42)[0]` (ETOPO 2022, 2°, conservatively regridded,
truncated at T42 and Sardeshmukh–Hoskins smoothed) and the initial surface pressure lowered
hydrostatically, p_s = p0 exp(−Φ_s / (R_d T_s)) with T_s the initial lowest-layer temperature
(the initial fields are otherwise the case's: rest, T = T_eq + 0.1 K noise, DCMIP2016 humidity
capped at 80 % relative humidity). The surface fluxes see "ocean" everywhere (the simple physics
has no land surface): orography is the only land in this world.

The truth is spun up (default 150 days), then recorded every 6 hours (default 25 days, 101
snapshots). Each snapshot's nodal SI fields (u, v, T, q on the σ layers; p_s; the instantaneous
precipitation and evaporation rates diagnosed from the state) are coarse-grained by first-order
conservative (area-weighted) regridding from the T42 Gauss cells to the T21 Gauss cells (cell
edges from the cumulative Gauss weights, `regridding.gaussian_cell_edges`), on the same σ layers,
and written in the layout of `ngcm_lab.xarray_io` for a T21 L8 moist model, so that
`xarray_io.dataset_to_state(baseline, ds, i)` restarts a T21 L8 model from snapshot i. The
time-dependent variables are packed as CF int16 (scale_factor/add_offset from each variable's
range) and zlib-compressed; the packing error bound (scale_factor / 2) and the measured maximum
error are attributes of each variable.

The intended coarse "baseline" is T21 L8 with the same HS Newtonian cooling and condensation but
without the surface fluxes (`SimplePhysics(surface_fluxes=False)`), over `orography_on_grid(T21)`
(`baseline_surface_geopotential`): the withheld physics, and the effects of the scales between
T21 and T42, are what a network must learn. See README.md next to this script.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import shlex
import sys
import time

import jax
import numpy as np
import xarray as xr

from ngcm_lab import experiments, xarray_io
from ngcm_lab.cases.jablonowski_williamson import PrimitiveFields
from ngcm_lab.constants import GRAVITY, P0, R_DRY, SECONDS_PER_DAY
from ngcm_lab.orography import SOURCE_CREDIT, orography_on_grid
from ngcm_lab.primitive_cases import (
    MOIST_HELD_SUAREZ_FORCING,
    held_suarez_initial_fields,
    moist_fields,
)
from ngcm_lab.primitive_model import HUMIDITY, PrimitiveEquationsModel
from ngcm_lab.regridding import conservative_regrid, gaussian_cell_edges
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.simple_physics import SimplePhysics
from ngcm_lab.spherical_harmonics import Grid

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
START = xarray_io.DEFAULT_START  # valid time of the first recorded snapshot (after spin-up)

# Variables on (time, [level,] lat, lon), packed as int16, with the largest packing error we
# accept (SI units): far below the errors of any coarse model (a T21 forecast is off by ~1 K and
# ~1 m s⁻¹ after a day).
PACKED_REQUIREMENTS = {
    "u": 0.005,  # m s-1
    "v": 0.005,  # m s-1
    "temperature": 0.005,  # K
    "specific_humidity": 1.0e-6,  # kg kg-1
    "surface_pressure": 1.0,  # Pa
    "precipitation_rate": 1.0e-7,  # kg m-2 s-1 (0.0086 mm/day)
    "evaporation_rate": 1.0e-7,  # kg m-2 s-1
}
INT16_HALF_RANGE = 32766  # packed values in [-32766, 32766]; -32768 is the (unused) _FillValue
FILL_VALUE = np.int16(-32768)


# --------------------------------------------------------------------------------- models
def truth_model(resolution: str, layers: int, dt_s: float | None) -> PrimitiveEquationsModel:
    """The moist Held–Suarez case over Earth orography with hydrostatically lowered p_s."""
    grid = Grid.from_name(resolution, np.float32)
    coords = SigmaCoordinates.equidistant(layers)
    physics = SimplePhysics()
    fields = moist_fields(
        held_suarez_initial_fields(grid, coords), grid.latitudes[:, None], coords, physics
    )
    phi_s, _ = orography_on_grid(grid)
    t_lowest = np.asarray(fields.temperature[-1], np.float64)
    surface_pressure = P0 * np.exp(-phi_s / (R_DRY * t_lowest))
    fields = dataclasses.replace(
        fields, surface_geopotential=phi_s, surface_pressure=surface_pressure
    )
    return PrimitiveEquationsModel.from_fields(
        fields,
        grid,
        coords,
        dt_s,
        physics=(MOIST_HELD_SUAREZ_FORCING, physics),
        name="moist_held_suarez_earth_orography",
    )


def baseline_model(fields: dict[str, np.ndarray], resolution: str, layers: int):
    """The coarse baseline: HS cooling + condensation, no surface fluxes, T21-smoothed orography.

    `fields` (coarse SI fields without a time axis) only give it an initial state.
    """
    grid = Grid.from_name(resolution, np.float32)
    coords = SigmaCoordinates.equidistant(layers)
    phi_s, _ = orography_on_grid(grid)
    zeros = np.zeros((layers, *grid.nodal_shape))
    initial = PrimitiveFields(
        fields["u"],
        fields["v"],
        fields["temperature"],
        fields["surface_pressure"],
        phi_s,
        zeros,
        zeros,
        fields["specific_humidity"],
    )
    baseline = experiments.surface_fluxes_model(initial, grid, coords, withheld_on=False)
    return dataclasses.replace(baseline, name="baseline_moist_held_suarez_no_surface_fluxes")


# ------------------------------------------------------------------------------ diagnostics
def diagnostics(fields: dict[str, np.ndarray], grid: Grid) -> dict[str, float]:
    """Global means (area weights of `grid`) and jet / humidity extremes of one snapshot."""
    w = grid.area_weights
    zonal_u = fields["u"].mean(axis=-1)  # (L, nlat)
    south = grid.latitudes < 0
    q = fields[HUMIDITY]
    return {
        "mean_ps_pa": float(np.sum(fields["surface_pressure"] * w)),
        "max_zonal_u_sh": float(zonal_u[:, south].max()),
        "max_zonal_u_nh": float(zonal_u[:, ~south].max()),
        "max_abs_u": float(np.abs(fields["u"]).max()),
        "q_min": float(q.min()),
        "q_max": float(q.max()),
        "precip_mm_day": float(np.sum(fields["precipitation_rate"] * w) * SECONDS_PER_DAY),
        "evap_mm_day": float(np.sum(fields["evaporation_rate"] * w) * SECONDS_PER_DAY),
    }


def water_path(fields: dict[str, np.ndarray], grid: Grid, thickness: np.ndarray) -> float:
    column = np.sum(fields[HUMIDITY] * thickness[:, None, None], axis=0)
    return float(np.sum(column * fields["surface_pressure"] / GRAVITY * grid.area_weights))


def _fraction_above(power: np.ndarray, cut: int) -> float:
    """Share of the power at total wavenumbers 1 ≤ n in (cut, …] (n = 0 left out)."""
    return float(power[..., cut + 1 :].sum() / power[..., 1:].sum())


# ------------------------------------------------------------------------------- packing
def packing(values: np.ndarray) -> tuple[float, float]:
    """(scale_factor, add_offset) that map the data range onto int16 [-32766, 32766]."""
    lo, hi = float(np.min(values)), float(np.max(values))
    offset = 0.5 * (lo + hi)
    scale = (hi - lo) / (2 * INT16_HALF_RANGE) if hi > lo else 1.0
    return scale, offset


def unpacked(values: np.ndarray, scale: float, offset: float) -> np.ndarray:
    """What a CF reader gets back: round((x − offset) / scale) · scale + offset."""
    return np.around((values - offset) / scale).astype(np.int16) * scale + offset


# ----------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth-resolution", default="T42")
    parser.add_argument("--coarse-resolution", default="T21")
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--dt", type=float, default=None, help="truth time step (s)")
    parser.add_argument("--spinup-days", type=float, default=150.0)
    parser.add_argument("--record-days", type=float, default=25.0)
    parser.add_argument("--interval-hours", type=float, default=6.0)
    parser.add_argument("--output", type=pathlib.Path, default=None)
    parser.add_argument(
        "--skip-checks", action="store_true", help="write even if the sanity checks fail"
    )
    parser.add_argument(
        "--evaluation-only",
        action="store_true",
        help="a record for evaluation only: forecasts start every 24 h from day 1 until 5 days "
        "before its end (run it with a longer --spinup-days than the training record's end, so "
        "its weather is independent of the training record's)",
    )
    args = parser.parse_args(argv)
    coarse_name = f"{args.coarse_resolution}L{args.layers}"
    output = args.output or HERE / f"truth_{args.truth_resolution}_to_{coarse_name}.nc"
    script = pathlib.Path(__file__).resolve()
    try:
        script_name = str(script.relative_to(REPO))
    except ValueError:
        script_name = str(script)
    command = shlex.join(["python", script_name, *argv])
    wall_start = time.perf_counter()

    # ---------------------------------------------------------------- truth and spin-up
    model = truth_model(args.truth_resolution, args.layers, args.dt)
    grid, coords = model.grid, model.coords
    steps_per_output = model.steps_for(args.interval_hours / 24.0)
    outputs_per_day = round(24.0 / args.interval_hours)
    advance = jax.jit(lambda s: model.rollout(s, steps_per_output))
    spinup_chunks = round(args.spinup_days * outputs_per_day)
    record_chunks = round(args.record_days * outputs_per_day)
    print(
        f"truth {grid.name} L{coords.layers}, dt {model.dt_s:g} s, {steps_per_output} steps per "
        f"{args.interval_hours:g} h; spin-up {args.spinup_days:g} days, record "
        f"{args.record_days:g} days ({record_chunks + 1} snapshots)",
        flush=True,
    )
    log_every = 10 * outputs_per_day
    spinup_log: dict[str, list[float]] = {}
    state = model.initial_state
    for chunk in range(1, spinup_chunks + 1):
        state = advance(state)
        if chunk % log_every == 0 or chunk == spinup_chunks:
            fields = model.decode(state)
            if not all(np.all(np.isfinite(v)) for v in fields.values()):
                raise FloatingPointError(
                    f"truth became non-finite by day {chunk / outputs_per_day}"
                )
            diag = diagnostics(fields, grid)
            diag["water_path_kg_m2"] = water_path(fields, grid, coords.thickness)
            diag["day"] = chunk / outputs_per_day
            diag["wall_s"] = time.perf_counter() - wall_start
            for key, value in diag.items():
                spinup_log.setdefault(key, []).append(value)
            print(
                "spin-up day {day:6.1f}: mean p_s {mean_ps_pa:9.2f} Pa, max [u] SH "
                "{max_zonal_u_sh:5.1f} NH {max_zonal_u_nh:5.1f} m/s, water "
                "{water_path_kg_m2:5.2f} kg/m2, P "
                "{precip_mm_day:5.2f} E {evap_mm_day:5.2f} mm/day, q [{q_min:.2e}, {q_max:.4f}],"
                " wall {wall_s:6.0f} s".format(**diag),
                flush=True,
            )
    spinup_wall = time.perf_counter() - wall_start

    # ---------------------------------------------------------------- record and coarse-grain
    coarse_grid = Grid.from_name(args.coarse_resolution, np.float32)
    fine_lat, fine_lon = np.degrees(grid.latitudes), np.degrees(grid.longitudes)
    coarse_lat = np.degrees(coarse_grid.latitudes)
    coarse_lon = np.degrees(coarse_grid.longitudes)
    fine_edges, coarse_edges = gaussian_cell_edges(grid), gaussian_cell_edges(coarse_grid)

    def coarse_grain(values: np.ndarray) -> np.ndarray:
        return conservative_regrid(
            values,
            fine_lat,
            fine_lon,
            coarse_lat,
            coarse_lon,
            coarse_edges,
            source_lat_edges_deg=fine_edges,
        )

    cut = coarse_grid.truncation
    spectra = {"kinetic_energy": 0.0, "temperature": 0.0, HUMIDITY: 0.0}
    record_start = time.perf_counter()
    snapshots: dict[str, list[np.ndarray]] = {}
    fine_mass_series, coarse_mass_series = [], []
    for chunk in range(record_chunks + 1):
        if chunk > 0:
            state = advance(state)
        host = jax.device_get(state)
        fields = model.decode(host)
        if not all(np.all(np.isfinite(v)) for v in fields.values()):
            raise FloatingPointError(f"truth became non-finite at record snapshot {chunk}")
        for key, value in fields.items():
            snapshots.setdefault(key, []).append(coarse_grain(value))
        fine_mass_series.append(float(np.sum(fields["surface_pressure"] * grid.area_weights)))
        coarse_mass_series.append(
            float(np.sum(snapshots["surface_pressure"][-1] * coarse_grid.area_weights))
        )
        spectra["kinetic_energy"] += grid.kinetic_energy_spectrum(host.vorticity, host.divergence)
        spectra["temperature"] += grid.power_by_degree(host.temperature_variation)
        spectra[HUMIDITY] += grid.power_by_degree(host.tracers[HUMIDITY])
    record_wall = time.perf_counter() - record_start
    coarse = {key: np.stack(value) for key, value in snapshots.items()}
    times_s = np.arange(record_chunks + 1) * args.interval_hours * 3600.0
    truth_wall = time.perf_counter() - wall_start
    print(f"spin-up {spinup_wall:.0f} s, record + coarse-graining {record_wall:.0f} s", flush=True)

    # The regridding conserves the area integral: the coarse and fine global-mean p_s agree.
    mass_mismatch = np.max(np.abs(np.subtract(coarse_mass_series, fine_mass_series)))
    fine_phi = model.scales.dim_geopotential(np.asarray(model.equation.surface_geopotential))
    coarse_phi = coarse_grain(np.asarray(fine_phi, np.float64))
    baseline_phi, _ = orography_on_grid(coarse_grid)

    # ---------------------------------------------------------------- what T42 → T21 removes
    w = coarse_grid.area_weights
    full_physics = SimplePhysics()
    coarse_state_rates = [
        full_physics.tendencies(
            coarse_grid.latitudes[:, None],
            coords.centers,
            coords.thickness,
            *(coarse[k][i] for k in ("u", "v", "temperature", HUMIDITY, "surface_pressure")),
        )
        for i in range(len(times_s))
    ]
    precip_from_coarse_state = float(
        np.mean([np.sum(np.asarray(r.precipitation) * w) for r in coarse_state_rates])
    )
    evap_from_coarse_state = float(
        np.mean([np.sum(np.asarray(r.evaporation) * w) for r in coarse_state_rates])
    )
    precip_truth = float(np.mean(np.sum(coarse["precipitation_rate"] * w, axis=(-2, -1))))
    evap_truth = float(np.mean(np.sum(coarse["evaporation_rate"] * w, axis=(-2, -1))))
    removed = {
        "kinetic_energy": _fraction_above(spectra["kinetic_energy"], cut),
        "temperature": _fraction_above(spectra["temperature"], cut),
        HUMIDITY: _fraction_above(spectra[HUMIDITY], cut),
    }
    phi_difference_m = (coarse_phi - baseline_phi) / GRAVITY
    orography_rms_m = float(np.sqrt(np.sum(phi_difference_m**2 * w)))
    orography_max_m = float(np.abs(phi_difference_m).max())
    truncation_text = (
        f"The truth resolves total wavenumbers n <= {grid.truncation}; the stored T21 fields are "
        f"cell averages and a T21 model keeps n <= {cut}. Over the record, n > {cut} holds "
        f"{100 * removed['kinetic_energy']:.1f} % of the kinetic energy, "
        f"{100 * removed['temperature']:.1f} % of the temperature variance and "
        f"{100 * removed[HUMIDITY]:.1f} % of the specific-humidity variance (n >= 1, all "
        "layers): the fronts, small cyclones and their eddy fluxes of heat, momentum and "
        "moisture. Orography: the truth's T42 orography averaged over the T21 cells differs from "
        f"the T21-smoothed orography by {orography_rms_m:.0f} m rms ({orography_max_m:.0f} m at "
        "most). Condensation is nonlinear: the simple physics evaluated on the coarse-grained "
        f"states precipitates {86400 * precip_from_coarse_state:.3f} mm/day in the global mean "
        f"against {86400 * precip_truth:.3f} mm/day of coarse-grained truth precipitation "
        f"(evaporation: {86400 * evap_from_coarse_state:.3f} vs {86400 * evap_truth:.3f} mm/day)."
    )
    print(truncation_text, flush=True)

    # ---------------------------------------------------------------- sanity checks
    zonal_u = coarse["u"].mean(axis=(0, -1))  # time- and zonal-mean, (L, nlat)
    south = coarse_grid.latitudes < 0
    jets = (float(zonal_u[:, south].max()), float(zonal_u[:, ~south].max()))
    mean_ps = np.sum(coarse["surface_pressure"] * w, axis=(-2, -1))
    mass_drift = float((mean_ps.max() - mean_ps.min()) / mean_ps.mean())
    p_minus_e = (precip_truth - evap_truth) / evap_truth
    checks = {
        "finite": all(np.all(np.isfinite(v)) for v in coarse.values()),
        "jets 30-60 m/s (time/zonal mean, each hemisphere)": all(30 <= j <= 60 for j in jets),
        "mean p_s constant within 0.1 %": mass_drift < 1e-3,
        "P = E within 30 % (time-global mean)": abs(p_minus_e) < 0.3,
        "regridding conserves mean p_s (within 1e-3 Pa)": mass_mismatch < 1e-3,
    }
    sanity_text = (
        f"time- and zonal-mean jet maxima {jets[0]:.1f} m/s (SH), {jets[1]:.1f} m/s (NH); "
        f"global-mean p_s {mean_ps.mean():.2f} Pa, range {mass_drift:.2e} of the mean over the "
        f"record; global-mean precipitation {86400 * precip_truth:.3f} mm/day, evaporation "
        f"{86400 * evap_truth:.3f} mm/day ((P - E)/E = {p_minus_e:+.3f}); specific humidity "
        f"{coarse[HUMIDITY].min():.2e} to {coarse[HUMIDITY].max():.4f} kg/kg; p_s "
        f"{coarse['surface_pressure'].min():.0f} to {coarse['surface_pressure'].max():.0f} Pa; "
        f"temperature {coarse['temperature'].min():.1f} to {coarse['temperature'].max():.1f} K"
    )
    print(sanity_text, flush=True)
    for name, ok in checks.items():
        print(f"  check {'ok  ' if ok else 'FAIL'} {name}", flush=True)
    if not all(checks.values()) and not args.skip_checks:
        raise SystemExit("sanity checks failed; nothing written (use --skip-checks to write)")

    # ---------------------------------------------------------------- baseline and layout
    baseline = baseline_model({k: v[0] for k, v in coarse.items()}, coarse_grid.name, args.layers)
    template = xarray_io.state_to_dataset(baseline, baseline.initial_state, start=START)
    time_coords = {
        name: xr.Variable(
            "time",
            (
                np.datetime64(START, "ns") + (times_s * 1e9).astype("timedelta64[ns]")
                if name == "time"
                else (times_s * 1e9).astype("timedelta64[ns]")
            ),
            dict(template[name].attrs),
            {
                k: template[name].encoding[k]
                for k in ("units", "dtype")
                if k in template[name].encoding
            }
            | ({"calendar": "proleptic_gregorian"} if name == "time" else {}),
        )
        for name in ("time", "lead_time")
    }
    data_vars: dict[str, xr.Variable] = {}
    encoding: dict[str, dict] = {}
    packing_lines = []
    for name, required in PACKED_REQUIREMENTS.items():
        values = coarse[name]
        scale, offset = packing(values)
        bound = 0.5 * scale
        error = float(np.max(np.abs(unpacked(values, scale, offset) - values)))
        if bound > required:
            raise ValueError(f"{name}: packing error bound {bound:.3g} exceeds {required:.3g}")
        attrs = dict(template[name].attrs)
        attrs.update(
            packing_error_bound=bound,
            packing_max_abs_error=error,
            packing_required_max_abs_error=required,
        )
        if name in ("precipitation_rate", "evaporation_rate"):
            attrs["comment"] = (
                f"{attrs.get('comment', '')}; instantaneous rate diagnosed from the "
                f"{grid.name} state by the simple physics, then coarse-grained"
            ).lstrip("; ")
        data_vars[name] = xr.Variable(template[name].dims, values, attrs)
        chunks = (1, *values.shape[1:])
        encoding[name] = {
            "dtype": "int16",
            "scale_factor": scale,
            "add_offset": offset,
            "_FillValue": FILL_VALUE,
            "zlib": True,
            "complevel": 6,
            "shuffle": True,
            "chunksizes": chunks,
        }
        units = attrs["units"]
        packing_lines.append(
            f"{name}: {error:.3g} {units} (bound {bound:.3g}, required {required:g})"
        )
        print(f"  packing {packing_lines[-1]}", flush=True)
    data_vars["surface_geopotential"] = xr.Variable(
        ("lat", "lon"),
        coarse_phi.astype(np.float32),
        dict(template["surface_geopotential"].attrs)
        | {
            "comment": f"the {grid.name} truth's surface geopotential averaged conservatively "
            f"over the {coarse_grid.name} Gauss cells (consistent with surface_pressure)"
        },
    )
    data_vars["baseline_surface_geopotential"] = xr.Variable(
        ("lat", "lon"),
        np.asarray(baseline_phi, np.float32),
        {
            "long_name": "surface geopotential of the baseline model",
            "units": "m2 s-2",
            "comment": f"ngcm_lab.orography.orography_on_grid({coarse_grid.name} grid)[0]: the "
            f"orography a {coarse_grid.name} model would use (truncated at {cut}, "
            "Sardeshmukh-Hoskins smoothed)",
        },
    )
    data_vars["ptop"] = template["ptop"].variable
    coords_out = {
        **time_coords,
        **{name: template[name].variable for name in ("lat", "lon", "sigma", "sigma_interfaces")},
    }
    for name in ("ptop", "sigma", "sigma_interfaces", "lat", "lon"):
        encoding.setdefault(name, {})["_FillValue"] = None
    for name in ("surface_geopotential", "baseline_surface_geopotential"):
        encoding[name] = {"_FillValue": None}

    train_end, eval_start, eval_end, forecast_days = 15.0, 16.0, 20.0, 5.0
    if args.evaluation_only:  # the first snapshot stands in for training; nothing trains on it
        train_end, eval_start, eval_end = 0.0, 1.0, args.record_days - forecast_days
    index = lambda day: int(round(day * outputs_per_day))  # noqa: E731
    attrs = dict(template.attrs)
    attrs.update(
        {
            "title": (
                f"ngcm_lab hybrid-model training data: {grid.name} L{coords.layers} moist "
                f"Held-Suarez truth over Earth orography, coarse-grained to {coarse_name}"
            ),
            "case": model.name,
            "resolution": coarse_grid.name,
            "truncation": int(cut),
            "layers": int(coords.layers),
            "dt_s": float(model.dt_s),
            "truth_resolution": grid.name,
            "truth_truncation": int(grid.truncation),
            "truth_layers": int(coords.layers),
            "truth_dt_s": float(model.dt_s),
            "truth_precision": "float32",
            "truth_physics": (
                "Held & Suarez (1994) Newtonian cooling (k_a = 1/40 d, k_s = 1/4 d, "
                "no Rayleigh drag: k_f = 0) + ngcm_lab.simple_physics.SimplePhysics() "
                "(Reed & Jablonowski 2012): large-scale condensation relaxed over 1 h, "
                "precipitating at once; bulk surface drag, sensible heat and evaporation into "
                "the lowest layer over the prescribed SST T_s = 271 K + 29 K exp(-lat^2 / "
                "(2 (26 deg)^2)) (Thatcher & Jablonowski 2016), everywhere (no land surface)"
            ),
            "truth_orography": (
                f"ngcm_lab.orography.orography_on_grid({grid.name}): {SOURCE_CREDIT}; "
                "conservatively regridded, truncated and Sardeshmukh-Hoskins smoothed "
                "(S(N) = 0.2, r = 1)"
            ),
            "orography_source": SOURCE_CREDIT,
            "truth_initial_state": (
                "moist_held_suarez case fields (rest, T = T_eq(sigma * 1000 hPa) + 0.1 K noise "
                "(seed 0), DCMIP2016 humidity capped at 80 % relative humidity) with p_s = "
                "p0 exp(-Phi_s / (R_d T_s)), p0 = 1000 hPa, R_d = 287.04 J/kg/K, T_s the "
                "initial lowest-layer temperature"
            ),
            "spinup_days": float(args.spinup_days),
            "record_days": float(args.record_days),
            "output_interval_hours": float(args.interval_hours),
            "time_origin": (
                f"time {START} (lead_time 0) is the end of the {args.spinup_days:g}-day "
                "spin-up; the calendar dates are nominal"
            ),
            "coarse_graining": (
                f"first-order conservative (area-weighted) regridding of the nodal SI fields "
                f"from the {grid.name} to the {coarse_grid.name} Gauss cells "
                "(ngcm_lab.regridding.conservative_regrid with gaussian_cell_edges of both "
                "grids), on the same sigma layers; u and v regridded as scalars"
            ),
            "packing": (
                "time-dependent variables: CF int16 with scale_factor = range / 65532 and "
                "add_offset = mid-range per variable, zlib level 6 with shuffle, one chunk "
                "per snapshot; max abs errors: " + "; ".join(packing_lines)
            ),
            "baseline_model": (
                f"{coarse_grid.name} L{coords.layers} (equidistant sigma), float32, dt "
                f"{baseline.dt_s:g} s (suggested_dt): PrimitiveEquationsModel.from_fields(fields, "
                f"Grid.from_name('{coarse_grid.name}'), SigmaCoordinates.equidistant("
                f"{coords.layers}), {baseline.dt_s:g}, physics=(MOIST_HELD_SUAREZ_FORCING, "
                "SimplePhysics(surface_fluxes=False))) with surface_geopotential = "
                "baseline_surface_geopotential: HS Newtonian cooling and condensation, but "
                "no surface fluxes"
            ),
            "withheld_physics": (
                "the surface fluxes of SimplePhysics: bulk drag on the lowest-layer wind, "
                "sensible heat and evaporation from the prescribed SST; since the HS forcing "
                "here has no Rayleigh drag, the baseline has no surface friction and no source "
                "of water at all"
            ),
            "truncation_removes": truncation_text,
            "split_train_initial_days": f"0-{train_end:g}",
            "split_train_time_indices": f"0-{index(train_end)}",
            "split_eval_initial_days": f"{eval_start:g}-{eval_end:g}",
            "split_eval_time_indices": f"{index(eval_start)}-{index(eval_end)}",
            "split_verification_only_days": f"{eval_end:g}-{args.record_days:g}",
            "split_max_forecast_days": forecast_days,
            "split_eval_stride_hours": 24.0 if args.evaluation_only else args.interval_hours,
            "split_note": (
                f"initial times in days 0-{train_end:g} train, {eval_start:g}-{eval_end:g} are "
                f"held out for evaluation; each needs up to {forecast_days:g} days of verifying "
                f"truth, so days {eval_end:g}-{args.record_days:g} only verify. Training rollouts "
                f"from late training times verify against states up to day "
                f"{train_end + forecast_days:g}; for targets strictly before the evaluation "
                f"initial times use training initial times <= {eval_start:g} - rollout length"
            ),
            "sanity": sanity_text,
            "spinup_log_day": np.asarray(spinup_log["day"]),
            "spinup_log_mean_ps_pa": np.asarray(spinup_log["mean_ps_pa"]),
            "spinup_log_max_zonal_u_sh": np.asarray(spinup_log["max_zonal_u_sh"]),
            "spinup_log_max_zonal_u_nh": np.asarray(spinup_log["max_zonal_u_nh"]),
            "spinup_log_water_path_kg_m2": np.asarray(spinup_log["water_path_kg_m2"]),
            "spinup_log_precip_mm_day": np.asarray(spinup_log["precip_mm_day"]),
            "spinup_log_evap_mm_day": np.asarray(spinup_log["evap_mm_day"]),
            "wall_time_spinup_s": round(spinup_wall, 1),
            "wall_time_truth_s": round(truth_wall, 1),
            "command": command,
            "licence": "own model output (ngcm_lab); same licence as the ngcm_lab repository",
        }
    )
    ds = xr.Dataset(data_vars, coords_out, attrs)

    # A T21 L8 moist model must restart from a snapshot (checked before writing).
    restart = xarray_io.dataset_to_state(baseline, ds, 0)
    decoded = baseline.decode(restart)
    round_trip = {
        k: float(
            np.sqrt(np.sum((decoded[k] - coarse[k][0]) ** 2 * w) / np.prod(decoded[k].shape[:-2]))
        )
        for k in ("u", "temperature", HUMIDITY, "surface_pressure")
    }
    ds.attrs["restart_check"] = (
        f"xarray_io.dataset_to_state of the {coarse_name} baseline reads snapshot 0; the "
        f"{coarse_grid.name} truncation of the cell averages differs from them by (rms) "
        + ", ".join(f"{k} {v:.3g}" for k, v in round_trip.items())
    )
    print(ds.attrs["restart_check"], flush=True)

    wall_total = time.perf_counter() - wall_start
    ds.attrs["wall_time_s"] = round(wall_total, 1)
    ds.attrs["wall_time"] = (
        f"{wall_total:.0f} s in all ({spinup_wall:.0f} s spin-up, {record_wall:.0f} s record and "
        "coarse-graining) on a shared 2-core CPU"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp.nc")
    ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
    tmp.replace(output)

    # Re-read: every packed value is within its bound of the float64 coarse-grained field.
    with xr.open_dataset(output, engine="h5netcdf") as reread:
        for name in PACKED_REQUIREMENTS:
            err = float(np.max(np.abs(reread[name].values - coarse[name])))
            bound = reread[name].attrs["packing_error_bound"]
            if err > bound * (1 + 1e-9):
                raise AssertionError(f"{name}: re-read error {err:.3g} > bound {bound:.3g}")
    size_mb = output.stat().st_size / 1e6
    print(f"wrote {output} ({size_mb:.2f} MB) in {wall_total:.0f} s", flush=True)


if __name__ == "__main__":
    main()
