"""Physics terms: the components a primitive-equation model sums into its column forcing.

A physics term is a frozen (hashable) dataclass of SI parameters that subclasses `PhysicsTerm`.
It brings two things:

* `forcing(grid, coords, scales)`: its tendencies as a model-unit `Forcing` — a function of
  the nodal `(u cos φ, v cos φ, T, ln p_s, tracers)` in model units returning their tendencies
  per unit model time — which the model adds to the explicit terms of the equations;
* `diagnose(fields, grid, coords)`: the SI fields it diagnoses from a decoded state (e.g. the
  precipitation of the moist physics), named in `diagnosed`; none by default.

`PrimitiveEquationsModel.from_fields(..., physics=(term, ...))` sums the forcings of its terms
(`sum_forcings`); switching a term off or on is an edit of that tuple. Terms are found by name
in `physics_registry.PHYSICS_TERMS`. A term that reads or moistens water vapour says so with
`needs_humidity` and uses the tracer `HUMIDITY`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ngcm_lab.constants import Scales
from ngcm_lab.primitive_equations import Forcing
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

HUMIDITY = "specific_humidity"  # the tracer name of water vapour (kg kg⁻¹)


class PhysicsTerm:
    """Base of the physics components (subclasses are frozen dataclasses of SI parameters).

    Class attributes:
      needs_humidity: True when the term reads the `HUMIDITY` tracer (a moist model only).
      diagnosed: the SI fields `diagnose` adds to a decoded state, in that order.
    """

    needs_humidity: ClassVar[bool] = False
    diagnosed: ClassVar[tuple[str, ...]] = ()

    def forcing(self, grid: Grid, coords: SigmaCoordinates, scales: Scales) -> Forcing:
        """The term's tendencies as a model-unit `Forcing` on `grid` and σ layers `coords`."""
        raise NotImplementedError(f"{type(self).__name__} must define forcing()")

    def diagnose(
        self, fields: dict[str, np.ndarray], grid: Grid, coords: SigmaCoordinates
    ) -> dict[str, np.ndarray]:
        """The `diagnosed` SI fields from the decoded SI `fields` of a state; none by default."""
        return {}


def sum_forcings(*forcings: Forcing) -> Forcing:
    """One `Forcing` whose tendencies are the sums of those of `forcings`, in their order."""

    def apply(u_cos, v_cos, temperature, log_ps, tracers):
        du = dv = dt = 0.0
        dx: dict = {}
        for forcing in forcings:
            a, b, c, d = forcing(u_cos, v_cos, temperature, log_ps, tracers)
            du, dv, dt = du + a, dv + b, dt + c
            for name, value in d.items():
                dx[name] = dx.get(name, 0.0) + value
        return du, dv, dt, dx

    return apply


def checked_terms(physics: Sequence[PhysicsTerm], moist: bool) -> tuple[PhysicsTerm, ...]:
    """`physics` as a tuple, after checking that it holds terms that the model's moisture
    allows; raises TypeError or ValueError saying what was given and what is expected."""
    if isinstance(physics, PhysicsTerm):
        raise TypeError(
            f"physics takes a sequence of terms; write physics=({type(physics).__name__}(...),)"
        )
    terms = tuple(physics)
    for term in terms:
        if not isinstance(term, PhysicsTerm):
            raise TypeError(
                f"physics holds {type(term).__name__}, not a PhysicsTerm; build terms by name "
                "with physics_registry.physics_term(name, **parameters)"
            )
        if term.needs_humidity and not moist:
            raise ValueError(
                f"{type(term).__name__} (moist physics) needs fields with specific_humidity"
            )
    return terms
