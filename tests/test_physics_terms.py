"""Physics terms as components: forcings add in order, and a model's list of terms is checked."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ngcm_lab.cases.jablonowski_williamson import jablonowski_williamson
from ngcm_lab.held_suarez import HeldSuarezForcing
from ngcm_lab.newtonian_cooling import NewtonianCooling
from ngcm_lab.physics_terms import HUMIDITY, PhysicsTerm, checked_terms, sum_forcings
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.simple_physics import SimplePhysics
from ngcm_lab.spherical_harmonics import Grid


def _constant(du, dv, dt, dx):
    return lambda u, v, t, log_ps, tracers: (du, dv, dt, dx)


def test_sum_forcings_adds_every_tendency_and_tracer() -> None:
    total = sum_forcings(
        _constant(1.0, 2.0, 3.0, {HUMIDITY: 4.0}), _constant(10.0, 20.0, 30.0, {"other": 5.0})
    )
    du, dv, dt, dx = total(0, 0, 0, 0, {})
    assert (du, dv, dt) == (11.0, 22.0, 33.0) and dx == {HUMIDITY: 4.0, "other": 5.0}


def test_checked_terms_says_what_is_wrong() -> None:
    with pytest.raises(TypeError, match=r"physics=\(HeldSuarezForcing\(...\),\)"):
        checked_terms(HeldSuarezForcing(), moist=False)
    with pytest.raises(TypeError, match="physics_term"):
        checked_terms(["held_suarez"], moist=False)
    with pytest.raises(ValueError, match="SimplePhysics .* needs fields with specific_humidity"):
        checked_terms([HeldSuarezForcing(), SimplePhysics()], moist=False)
    terms = [HeldSuarezForcing(), SimplePhysics()]
    assert checked_terms(terms, moist=True) == tuple(terms)


def test_base_term_has_no_forcing_and_diagnoses_nothing() -> None:
    @dataclasses.dataclass(frozen=True)
    class Empty(PhysicsTerm):
        pass

    grid, coords = Grid.from_name("T21"), SigmaCoordinates.equidistant(2)
    with pytest.raises(NotImplementedError, match="Empty must define forcing"):
        Empty().forcing(grid, coords, None)
    assert Empty().diagnose({}, grid, coords) == {}


def test_model_keeps_its_terms_and_finds_its_moist_physics() -> None:
    grid, coords = Grid.from_name("T21"), SigmaCoordinates.equidistant(3)
    lat, lon = grid.latitudes[:, None], grid.longitudes[None, :]
    fields = jablonowski_williamson(lat, lon, coords.centers, perturbed=False)
    terms = (HeldSuarezForcing(k_f=0.0), NewtonianCooling())
    model = PrimitiveEquationsModel.from_fields(fields, grid, coords, physics=terms)
    assert model.physics == terms and model.moist_physics is None
    assert set(model.decode(model.initial_state)) == {"u", "v", "temperature", "surface_pressure"}
    bare = PrimitiveEquationsModel.from_fields(fields, grid, coords)
    assert bare.physics == () and bare.equation.forcing is None
    assert np.isfinite(model.decode(model.rollout(model.initial_state, 2))["temperature"]).all()
