"""The primitive-equation case registry: what each case declares matches what it builds."""

from __future__ import annotations

import numpy as np
import pytest

from ngcm_lab.fields import CATALOGUE
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.primitive_cases import PRIMITIVE_CASES, case_names, get_case
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid

GRID = Grid.from_name("T21")
COORDS = SigmaCoordinates.equidistant(3)


@pytest.mark.parametrize("name", case_names())
def test_case_fields_match_what_it_declares(name: str) -> None:
    case = get_case(name)
    fields = case.initial_fields(GRID, COORDS)
    assert (fields.specific_humidity is not None) == case.moist
    assert fields.temperature.shape == (COORDS.layers, *GRID.nodal_shape)
    assert np.all(np.isfinite(fields.temperature)) and case.days > 0 and case.description
    assert all(isinstance(term, PhysicsTerm) for term in case.physics)
    assert case.moist or not any(term.needs_humidity for term in case.physics)
    assert all(field in CATALOGUE for term in case.physics for field in term.diagnosed)


def test_from_case_takes_the_case_physics() -> None:
    model = PrimitiveEquationsModel.from_case("moist_held_suarez", GRID, layers=COORDS.layers)
    assert model.physics == get_case("moist_held_suarez").physics
    assert model.moist_physics is model.physics[1]
    fields = model.decode(model.initial_state)
    assert "precipitation_rate" in fields and "evaporation_rate" in fields


def test_unknown_case_lists_the_cases() -> None:
    with pytest.raises(ValueError, match="valid cases: jw_steady, jablonowski_williamson"):
        get_case("nope")
    with pytest.raises(ValueError, match="unknown case 'nope'"):
        PrimitiveEquationsModel.from_case("nope", GRID)
    assert list(PRIMITIVE_CASES) == case_names()
