"""The canonical reanalysis variables: their units, the source units accepted, plausible values.

This is the catalogue behind `ngcm_lab.reanalysis.open_reanalysis`: for every canonical variable
its kind (on levels, at the surface, static), its canonical unit, and the ways a file may store it
(CF `standard_name`, usual short names, accepted `units` spellings with their conversion). It also
holds `check_plausible`, the test that values, once converted to canonical units, are possible in
Earth's atmosphere, and which names the unit that would explain them when they are not.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import xarray as xr

from ngcm_lab.constants import GRAVITY, R_DRY
from ngcm_lab.errors import InputError


class ReanalysisError(InputError):
    """A reanalysis source could not be turned into the canonical Dataset (a `ValueError`)."""


class ReanalysisValueError(ReanalysisError):
    """Values outside what Earth's atmosphere can hold (often a wrong `units` attribute)."""


# ------------------------------------------------------------------------------------ units
@dataclasses.dataclass(frozen=True)
class Conversion:
    """canonical value = factor × source value + offset; `name` says in words what it reads."""

    factor: float = 1.0
    offset: float = 0.0
    name: str = dataclasses.field(default="", compare=False)

    def __call__(self, values: Any) -> Any:
        """Lazy on dask arrays; Python floats keep float32 data float32."""
        if self.factor != 1.0:
            values = values * self.factor
        if self.offset != 0.0:
            values = values + self.offset
        return values

    def inverse(self, values: Any) -> Any:
        return (values - self.offset) / self.factor


def _spelled(conversion: Conversion, *spellings: str) -> dict[str, Conversion]:
    return dict.fromkeys(spellings, conversion)


# Accepted spellings of units and their conversion to the canonical unit. Matching ignores case,
# "**" and "^", and repeated spaces, so "m s**-1", "M S-1" and "m s^-1" are the same. Where two
# spellings convert alike, the first is the one error messages suggest.
SPEED = _spelled(
    Conversion(name="m s-1"), "m s-1", "m/s", "m.s-1", "meters/second", "metres/second"
)
TEMPERATURE = _spelled(Conversion(name="kelvin"), "K", "degK", "deg K", "degrees K", "kelvin")
TEMPERATURE |= _spelled(
    Conversion(offset=273.15, name="degrees Celsius"),
    *("degC", "deg C", "°C", "C", "celsius", "degrees_Celsius", "degree_Celsius", "degrees C"),
)
GEOPOTENTIAL = _spelled(
    Conversion(name="geopotential (m2 s-2)"), "m2 s-2", "m**2 s**-2", "m2/s2", "J kg-1", "J/kg"
)
HEIGHT_TO_GEOPOTENTIAL = _spelled(
    Conversion(GRAVITY, name="geopotential height in metres"), "m", "gpm", "metres", "meters"
)
HUMIDITY = _spelled(Conversion(name="kg/kg"), "kg kg-1", "kg kg**-1", "kg/kg", "1")
HUMIDITY |= _spelled(Conversion(1e-3, name="g/kg"), "g kg-1", "g/kg")
PRESSURE_PA = _spelled(Conversion(name="Pa"), "Pa", "pascal", "pascals")
PRESSURE_PA |= _spelled(Conversion(100.0, name="hPa"), "hPa", "millibar", "millibars", "mbar", "mb")
DEPTH = _spelled(Conversion(name="metres"), "m", "metres", "meters")
DEPTH |= _spelled(Conversion(1e-3, name="millimetres"), "mm")
WATER_MASS_PER_AREA = _spelled(  # ÷ 1000 kg m-3 → m
    Conversion(1e-3, name="kg m-2 of water"), "kg m-2", "kg/m2", "kg m**-2"
)


def _normalise_units(text: Any) -> str:
    return " ".join(str(text).replace("**", "").replace("^", "").lower().split())


def find_conversion(table: dict[str, Conversion], found: Any) -> Conversion | None:
    """The conversion of the `units` spelling `found` in `table`, or None if it is not there."""
    if found is None:
        return None
    wanted = _normalise_units(found)
    return next((c for spelling, c in table.items() if _normalise_units(spelling) == wanted), None)


# -------------------------------------------------------------------------------- variables
@dataclasses.dataclass(frozen=True)
class Source:
    """One way a canonical variable appears in a file: CF standard_name, units, usual names."""

    standard_name: str
    units: dict[str, Conversion]
    names_text: str = ""  # usual variable names, space-separated

    @property
    def names(self) -> list[str]:
        return self.names_text.split()


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    kind: str  # "level" (time, level, lat, lon), "surface" (time, lat, lon), "static" (lat, lon)
    units: str
    sources: tuple[Source, ...]  # the first names the canonical standard_name

    @property
    def standard_name(self) -> str:
        return self.sources[0].standard_name

    @property
    def attrs(self) -> dict[str, str]:
        """The CF attributes of the canonical variable (what `open_reanalysis` and
        `pressure_levels.state_to_pressure_levels` write)."""
        return {
            "standard_name": self.standard_name,
            "long_name": self.name.replace("_", " "),
            "units": self.units,
        }


def _var(name: str, kind: str, units: str, *sources: Source) -> tuple[str, Variable]:
    return name, Variable(name, kind, units, sources)


VARIABLES = dict(
    (
        _var("u_component_of_wind", "level", "m s-1", Source("eastward_wind", SPEED, "u uwnd")),
        _var("v_component_of_wind", "level", "m s-1", Source("northward_wind", SPEED, "v vwnd")),
        _var("temperature", "level", "K", Source("air_temperature", TEMPERATURE, "t air")),
        _var(
            "geopotential",
            "level",
            "m2 s-2",
            Source("geopotential", GEOPOTENTIAL, "z"),
            Source("geopotential_height", HEIGHT_TO_GEOPOTENTIAL, "hgt gh"),
        ),
        _var(
            "specific_humidity", "level", "kg kg-1", Source("specific_humidity", HUMIDITY, "q shum")
        ),
        _var(
            "surface_pressure",
            "surface",
            "Pa",
            Source("surface_air_pressure", PRESSURE_PA, "sp pres"),
        ),
        _var(
            "total_precipitation",
            "surface",
            "m",
            Source("lwe_thickness_of_precipitation_amount", DEPTH, "tp"),
            Source("precipitation_amount", WATER_MASS_PER_AREA),
        ),
        _var(
            "geopotential_at_surface",
            "static",
            "m2 s-2",
            Source("surface_geopotential", GEOPOTENTIAL),
            Source("surface_altitude", HEIGHT_TO_GEOPOTENTIAL),
        ),
    )
)
CANONICAL_VARIABLES = tuple(VARIABLES)
# CF attributes of the canonical coordinates.
COORDINATE_ATTRS = {
    "level": {
        "standard_name": "air_pressure",
        "long_name": "pressure level",
        "units": "hPa",
        "positive": "down",
    },
    "latitude": {"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north"},
    "longitude": {"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east"},
}


# ------------------------------------------------------------------------------ plausibility
# Bounds in canonical units: generous physical limits of Earth's atmosphere anywhere on the
# levels reanalyses publish (1000 hPa up to 1 hPa for ERA5, 0.1 hPa for MERRA-2), below-ground
# extrapolation included, not climatology. They only have to catch data that cannot be right,
# chiefly a wrong unit, which puts values out by a factor of 9.8 to 1000 or by 273 K.
PLAUSIBLE = {
    # Strongest observed jets are ~110 m s-1 (tropospheric) and ~150 m s-1 (polar-night jet near
    # 1 hPa); tornado winds are far below any reanalysis grid scale.
    "u_component_of_wind": (-200.0, 200.0),
    "v_component_of_wind": (-200.0, 200.0),
    # Coldest: ~175 K at the tropical tropopause and in the polar-night stratosphere (the ~130 K
    # summer mesopause lies near 0.001 hPa, far above); warmest: 330 K surface record, a little
    # more where 1000 hPa is extrapolated under hot plateaus. Celsius values (< 60) fall below,
    # Kelvin read as Celsius (> 400) above.
    "temperature": (150.0, 350.0),
    # Saturation at a 35 °C dew point near 1000 hPa is q ≈ 0.036; spectral truncation and
    # interpolation leave small negative values (ERA5 ~ -1e-5).
    "specific_humidity": (-1e-4, 0.04),
    # Highest ground (Everest summit) has ~330 hPa, grid-box means far more; the record
    # sea-level pressure is 1084.8 hPa, and the Dead Sea shore (-430 m) sees ~1080 hPa at most.
    "surface_pressure": (3e4, 1.15e5),
    # The wettest hour on record is 0.305 m; accumulations cannot be negative.
    "total_precipitation": (0.0, 0.5),
    # Dead Sea shore -430 m (-4.2e3) with room for spectral ringing; Everest 8849 m (8.7e4).
    "geopotential_at_surface": (-5e3, 9.5e4),
    # Used only without a level coordinate (else per level, below): ~-2 km to ~100 km.
    "geopotential": (-2e4, 1e6),
}
# Geopotential depends on the level: Φ(p) = Φ(1000 hPa) + R_d T̄ ln(1000 hPa / p), T̄ the mean
# virtual temperature of the layer between. Φ(1000 hPa) stays within ±1.5 km of sea level in
# practice (Typhoon Tip's 870 hPa put it ~1.2 km below; a 1085 hPa high ~0.7 km above); layer
# means lie within 180–330 K (coldest: Antarctic winter column, ~205 K; warmest: a Saharan summer
# column 1000–500 hPa, ~290 K). A flat range could not tell geopotential height in m from
# geopotential (heights 0–48 km look like Φ of 0–4.8e5); per level it can (500 hPa height
# ~5600 lies well under Φ ≥ 1.6e4 there).
_PHI_1000_HPA = (-2e4, 1.5e4)
_LAYER_TEMPERATURE = (180.0, 330.0)
# A hint at another unit is given only when the data are out by more than this fraction of the
# plausible range: values just outside it are bad values, not a wrong unit.
_GROSS = 0.05
_PLACES = ("time", "level", "latitude", "longitude")  # the coordinates a message locates by
# How open_reanalysis labels a Dataset passed in (no file to reopen, so the fix says less).
DATASET_PASSED_IN = "the Dataset passed in"


def _bounds(name: str, level_hpa: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest plausible values, per level for level variables."""
    shape = () if level_hpa is None else level_hpa.shape
    if name == "geopotential" and level_hpa is not None:
        log = np.log(1000.0 / np.maximum(level_hpa, 1e-6))  # > 0 above 1000 hPa
        cold, warm = _LAYER_TEMPERATURE
        low = _PHI_1000_HPA[0] + R_DRY * np.where(log > 0, cold, warm) * log
        high = _PHI_1000_HPA[1] + R_DRY * np.where(log > 0, warm, cold) * log
        return low, high
    low, high = PLAUSIBLE[name]
    return np.full(shape, low), np.full(shape, high)


def check_plausible(ds: xr.Dataset) -> None:
    """Raise `ReanalysisValueError` if a canonical variable of `ds` holds impossible values.

    `ds` is canonical (names, dims and units of `open_reanalysis`), lazy or loaded; variables
    with other names are ignored. The minimum and maximum of every variable (per level, NaNs
    skipped) come from one dask compute; only on failure is the offending value located. The
    one-line message names the variable, the value, where it is, its source units and, when
    another accepted unit would make every value plausible, that unit and how to set it. A
    variable that is NaN everywhere is an error too.
    """
    names = [n for n in VARIABLES if n in ds.data_vars and ds[n].size > 0]
    stats = {}
    for name in names:
        da = ds[name]
        others = [d for d in da.dims if d != "level"]
        stats[f"{name}:min"] = da.min(others, skipna=True)
        stats[f"{name}:max"] = da.max(others, skipna=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        computed = xr.Dataset(stats).compute()
    for name in names:
        da = ds[name]
        mins = np.asarray(computed[f"{name}:min"].values, np.float64).reshape(-1)
        maxs = np.asarray(computed[f"{name}:max"].values, np.float64).reshape(-1)
        if np.all(np.isnan(mins)):
            raise ReanalysisValueError(
                f"{name} ({_described(ds, name)[0]}) holds no valid value: it is NaN everywhere "
                "in the selection; select times and levels that have data, or check the file"
            )
        level_hpa = None
        if "level" in da.dims and "level" in da.coords:
            level_hpa = np.asarray(da["level"].values, np.float64)
        low, high = (np.broadcast_to(b, mins.shape) for b in _bounds(name, level_hpa))
        with np.errstate(invalid="ignore"):
            excess = np.stack([low - mins, maxs - high]) / (high - low)  # > 0: implausible
        if np.nanmax(excess) > 0:
            raise ReanalysisValueError(_message(ds, name, mins, maxs, low, high, excess))


def _described(ds: xr.Dataset, name: str) -> tuple[str, str, str]:
    """For a message: "'t' in FILE, units 'K'", the variable a fix applies to, and its units."""
    attrs = ds[name].attrs
    variable = str(attrs.get("source_variable", name))
    units = str(attrs.get("source_units", attrs.get("units", VARIABLES[name].units)))
    origin = ds.attrs.get("source")
    return f"'{variable}'{f' in {origin}' if origin else ''}, units '{units}'", variable, units


def _message(ds, name, mins, maxs, low, high, excess) -> str:
    """The one-line message for the worst value of `name` outside its plausible range."""
    spec, da = VARIABLES[name], ds[name]
    described, variable, units = _described(ds, name)
    side, k = np.unravel_index(np.nanargmax(excess), excess.shape)  # 0: too low, 1: too high
    value = float((mins, maxs)[side][k])
    field = da.isel(level=k) if "level" in da.dims else da
    values = np.asarray(field.values, np.float64)
    find = np.nanargmin if side == 0 else np.nanargmax
    index = np.unravel_index(find(values), values.shape)
    point = field.isel(dict(zip(field.dims, index, strict=True)))
    where = ", ".join(filter(None, (_place(point, c) for c in _PLACES)))
    at_level = " at that level" if name == "geopotential" and "level" in da.dims else ""
    text = (
        f"implausible {name} ({described}): {('minimum', 'maximum')[side]} {value:.6g} "
        f"{spec.units} at {where}, outside the plausible {low[k]:.6g} … {high[k]:.6g} "
        f"{spec.units}{at_level}"
    )
    hint = _other_unit(spec, units, mins, maxs, low, high) if excess[side, k] > _GROSS else None
    if hint is None:
        return (
            f"{text}; no other accepted unit explains the values: the data look corrupt, or "
            f"'{variable}' is not {name.replace('_', ' ')}"
        )
    source, spelling, conversion = hint
    if source is _source_of(spec, units)[0]:
        fix = f"ds['{variable}'].attrs['units'] = '{spelling}'"
    else:
        fix = (
            f"ds['{variable}'].attrs.update(units='{spelling}', "
            f"standard_name='{source.standard_name}')"
        )
    origin = ds.attrs.get("source", "")
    reopen = "" if origin in ("", DATASET_PASSED_IN) else "open it with xarray, "
    return (
        f"{text}; the values look like {conversion.name}: {reopen}set {fix} and pass the "
        "Dataset to open_reanalysis"
    )


def _place(point: xr.DataArray, coord: str) -> str:
    if coord not in point.coords or point[coord].ndim != 0:
        return ""
    value = point[coord].values
    if coord == "time":
        text = (
            np.datetime_as_string(value, unit="m")
            if np.issubdtype(value.dtype, np.datetime64)
            else str(value)
        )
        return f"time {text}"
    return f"{coord} {float(value):g}" + (" hPa" if coord == "level" else "")


def _source_of(spec: Variable, units: str) -> tuple[Source, Conversion]:
    """The source whose table holds `units`, and its conversion (canonical if none does)."""
    for src in spec.sources:
        conversion = find_conversion(src.units, units)
        if conversion is not None:
            return src, conversion
    return spec.sources[0], Conversion()


def _other_unit(spec, units, mins, maxs, low, high) -> tuple[Source, str, Conversion] | None:
    """An accepted unit, other than `units`, under which every value would be plausible."""
    current_source, current = _source_of(spec, units)
    raw_min, raw_max = current.inverse(mins), current.inverse(maxs)  # values as in the file
    tried = {(current.factor, current.offset)}
    sources = sorted(spec.sources, key=lambda s: s is not current_source)  # same source first
    for src in sources:
        for spelling, conversion in src.units.items():
            if (conversion.factor, conversion.offset) in tried:
                continue
            tried.add((conversion.factor, conversion.offset))
            new_min, new_max = conversion(raw_min), conversion(raw_max)
            valid = ~np.isnan(new_min)
            if np.all(np.isfinite(new_max[valid])) and np.all(
                (new_min[valid] >= low[valid]) & (new_max[valid] <= high[valid])
            ):
                return src, spelling, conversion
    return None
