"""The field catalogue: every field the models decode, once, with its units and how to show it.

A field's name is its key in `model.decode(state)`. The catalogue gives its CF attributes for
netCDF output (`xarray_io`) and how front ends show it: a label, a symbol for tendencies, the
factor from SI to display units, those units, and whether a diverging colour map fits. SI units
are spelled as CF writes them ("m s-1"). Display units use superscripts ("m s⁻¹").
"""

from __future__ import annotations

import dataclasses

from ngcm_lab.constants import SECONDS_PER_DAY


@dataclasses.dataclass(frozen=True)
class Field:
    """One decoded field (see the module docstring)."""

    name: str
    long_name: str
    units: str
    standard_name: str | None
    label: str
    symbol: str
    display_scale: float
    display_units: str
    diverging: bool
    on_levels: bool = False
    comment: str | None = None

    @property
    def attrs(self) -> dict[str, str]:
        """CF attributes for netCDF output."""
        attrs = {"long_name": self.long_name, "units": self.units}
        if self.standard_name:
            attrs = {"standard_name": self.standard_name, **attrs}
        if self.comment:
            attrs["comment"] = self.comment
        return attrs

    @property
    def tendency_label(self) -> str:
        return f"∂{self.symbol}/∂t"

    @property
    def tendency_display_units(self) -> str:
        """Display units of the field's tendency, per day."""
        return f"{self.display_units} day⁻¹"

    @property
    def tendency_display_scale(self) -> float:
        """From SI per second to the display units per day."""
        return self.display_scale * SECONDS_PER_DAY


def _field(*args, **kwargs) -> tuple[str, Field]:
    field = Field(*args, **kwargs)
    return field.name, field


_WIND = "m s-1", "m s⁻¹"
_FLUX = "kg m-2 s-1"

CATALOGUE: dict[str, Field] = dict(
    [
        _field("u", "eastward wind", _WIND[0], "eastward_wind", "zonal wind u", "u", 1.0,
               _WIND[1], True, on_levels=True),
        _field("v", "northward wind", _WIND[0], "northward_wind", "meridional wind v", "v", 1.0,
               _WIND[1], True, on_levels=True),
        _field("temperature", "air temperature", "K", "air_temperature", "temperature T", "T",
               1.0, "K", False, on_levels=True),
        _field("surface_pressure", "surface pressure", "Pa", "surface_air_pressure",
               "surface pressure pₛ", "pₛ", 0.01, "hPa", False),
        _field("specific_humidity", "specific humidity", "kg kg-1", "specific_humidity",
               "specific humidity q", "q", 1e3, "g kg⁻¹", False, on_levels=True),
        _field("precipitation_rate", "precipitation rate (large-scale condensation)", _FLUX,
               "precipitation_flux", "precipitation", "P", SECONDS_PER_DAY, "mm day⁻¹", False,
               comment="multiply by 86400 for mm per day"),
        _field("evaporation_rate", "surface evaporation rate", _FLUX, "water_evaporation_flux",
               "evaporation", "E", SECONDS_PER_DAY, "mm day⁻¹", False),
        _field("depth", "fluid depth", "m", None, "fluid depth h", "h", 1.0, "m", False,
               comment="free-surface height = h + orography"),
        _field("free_surface", "free-surface height", "m", None, "free surface h + hₛ",
               "h + hₛ", 1.0, "m", False),
        _field("vorticity", "relative vorticity", "s-1", "atmosphere_relative_vorticity",
               "relative vorticity ζ", "ζ", 1e5, "10⁻⁵ s⁻¹", True),
        _field("divergence", "horizontal divergence", "s-1", "divergence_of_wind",
               "divergence δ", "δ", 1e6, "10⁻⁶ s⁻¹", True),
    ]
)  # fmt: skip


def field(name: str) -> Field:
    """The catalogue's entry for `name`, or a ValueError listing the names it knows."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"unknown field {name!r}; known: {', '.join(CATALOGUE)}") from None
