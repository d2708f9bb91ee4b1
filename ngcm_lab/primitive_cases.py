"""The named primitive-equation cases: initial fields, physics terms and run length by name.

A case is a `PrimitiveCase` in `PRIMITIVE_CASES`; `PrimitiveEquationsModel.from_case(name, ...)`
builds its fields on the grid and σ layers and passes its physics terms to `from_fields`. The
command line and the widgets list the cases, their default length and whether they are moist
from here. Adding a case is one entry (and, if it needs one, its initial-field builder).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ngcm_lab.cases.jablonowski_williamson import (
    PrimitiveFields,
    jablonowski_williamson,
    moist_specific_humidity,
)
from ngcm_lab.constants import P0, VIRTUAL_FACTOR
from ngcm_lab.held_suarez import HeldSuarezForcing
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.simple_physics import SimplePhysics
from ngcm_lab.spherical_harmonics import Grid

# Moist Held–Suarez: the radiation stand-in (Newtonian cooling) of HS94, with the boundary layer's
# drag, heat and moisture fluxes from the simple physics' bulk formulas instead of Rayleigh drag.
MOIST_HELD_SUAREZ_FORCING = HeldSuarezForcing(k_f=0.0)

# Initial relative humidity cap of the moist wave: DCMIP2016's profile exceeds saturation near the
# tropical surface of JW06's colder atmosphere; capping it avoids a spurious first-hour downpour.
MOIST_INITIAL_MAX_RELATIVE_HUMIDITY = 0.8


def held_suarez_initial_fields(grid: Grid, coords: SigmaCoordinates, seed: int = 0):
    """Rest, p_s = 1000 hPa, T = T_eq(p) plus 0.1 K white noise (breaks zonal symmetry)."""
    lat = grid.latitudes[:, None] * np.ones((1, grid.nlon))
    sigma = coords.centers[:, None, None]
    ps = np.full(grid.nodal_shape, P0)
    t_eq = np.asarray(HeldSuarezForcing().equilibrium_temperature(lat, sigma, ps), np.float64)
    noise = 0.1 * np.random.default_rng(seed).standard_normal(t_eq.shape)
    zeros = np.zeros_like(t_eq)
    return PrimitiveFields(zeros, zeros, t_eq + noise, ps, np.zeros(grid.nodal_shape), zeros, zeros)


def moist_fields(
    fields: PrimitiveFields, lat: np.ndarray, coords: SigmaCoordinates, physics: SimplePhysics
) -> PrimitiveFields:
    """Dry fields made moist: DCMIP2016 humidity (capped at 80 % relative humidity), and T
    lowered so that the virtual temperature is the dry T, which keeps a balanced state balanced.
    """
    t_virtual = fields.temperature
    q = np.broadcast_to(moist_specific_humidity(lat, coords.centers), t_virtual.shape)
    pressure = coords.centers[:, None, None] * fields.surface_pressure
    for _ in range(3):  # T depends on q through T_v; a fixed point converges in a few passes
        t = t_virtual / (1.0 + VIRTUAL_FACTOR * q)
        q_sat = np.asarray(physics.saturation_specific_humidity(t, pressure), np.float64)
        q = np.minimum(q, MOIST_INITIAL_MAX_RELATIVE_HUMIDITY * q_sat)
    t = t_virtual / (1.0 + VIRTUAL_FACTOR * q)
    return dataclasses.replace(fields, temperature=t, specific_humidity=q)


def _jablonowski_williamson(perturbed: bool) -> Callable[[Grid, SigmaCoordinates], PrimitiveFields]:
    def fields(grid: Grid, coords: SigmaCoordinates) -> PrimitiveFields:
        lat, lon = grid.latitudes[:, None], grid.longitudes[None, :]
        return jablonowski_williamson(lat, lon, coords.centers, perturbed=perturbed)

    return fields


def _moist_baroclinic_fields(grid: Grid, coords: SigmaCoordinates) -> PrimitiveFields:
    dry = _jablonowski_williamson(perturbed=True)(grid, coords)
    return moist_fields(dry, grid.latitudes[:, None], coords, SimplePhysics())


def _moist_held_suarez_fields(grid: Grid, coords: SigmaCoordinates) -> PrimitiveFields:
    dry = held_suarez_initial_fields(grid, coords)
    return moist_fields(dry, grid.latitudes[:, None], coords, SimplePhysics())


@dataclasses.dataclass(frozen=True)
class PrimitiveCase:
    """A named primitive-equation case.

    Attributes:
      description: one line for listings (paper and what happens).
      initial_fields: `(grid, coords) -> PrimitiveFields`, nodal SI fields on the σ layers.
      physics: the physics terms of its model (`physics_terms.PhysicsTerm`), summed in order.
      days: default forecast length in days (CLI `forecast`, the stepper widget).
    """

    description: str
    initial_fields: Callable[[Grid, SigmaCoordinates], PrimitiveFields]
    physics: tuple[PhysicsTerm, ...] = ()
    days: float = 10.0

    @property
    def moist(self) -> bool:
        """Whether its fields carry specific humidity (before a model exists to ask): exactly
        when one of its physics terms reads water vapour (`needs_humidity`). A case carries
        humidity only for physics that uses it, so this cannot disagree with its terms."""
        return any(term.needs_humidity for term in self.physics)


# Default lengths: JW06 judge the steady state over 30 days and show the wave breaking around
# days 8–10; Held–Suarez spins up from rest into its climate in ~100 days.
PRIMITIVE_CASES: dict[str, PrimitiveCase] = {
    "jw_steady": PrimitiveCase(
        "Jablonowski & Williamson (2006) steady zonal state (no perturbation)",
        _jablonowski_williamson(perturbed=False),
        days=30.0,
    ),
    "jablonowski_williamson": PrimitiveCase(
        "Jablonowski & Williamson (2006) baroclinic wave",
        _jablonowski_williamson(perturbed=True),
        days=10.0,
    ),
    "held_suarez": PrimitiveCase(
        "Held & Suarez (1994) dry climate: rest, T = T_eq + noise, HS forcing",
        held_suarez_initial_fields,
        physics=(HeldSuarezForcing(),),
        days=100.0,
    ),
    "moist_baroclinic": PrimitiveCase(
        "baroclinic wave with DCMIP2016 humidity, condensation and ocean fluxes",
        _moist_baroclinic_fields,
        physics=(SimplePhysics(),),
        days=10.0,
    ),
    "moist_held_suarez": PrimitiveCase(
        "Held–Suarez relaxation + simple moist physics (bulk drag, no Rayleigh)",
        _moist_held_suarez_fields,
        physics=(MOIST_HELD_SUAREZ_FORCING, SimplePhysics()),
        days=100.0,
    ),
}


def case_names() -> list[str]:
    """The names of the primitive-equation cases, in listing order."""
    return list(PRIMITIVE_CASES)


def get_case(name: str) -> PrimitiveCase:
    """The case called `name`; ValueError naming the valid cases otherwise."""
    if name not in PRIMITIVE_CASES:
        raise ValueError(f"unknown case {name!r}; valid cases: {', '.join(PRIMITIVE_CASES)}")
    return PRIMITIVE_CASES[name]
