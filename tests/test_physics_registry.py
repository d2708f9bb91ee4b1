"""The physics-term registry: every entry is a frozen, hashable term with working defaults."""

from __future__ import annotations

import dataclasses

import pytest

from ngcm_lab.constants import SCALES
from ngcm_lab.fields import CATALOGUE
from ngcm_lab.physics_registry import PHYSICS_TERMS, physics_term
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.sigma_coordinates import SigmaCoordinates
from ngcm_lab.spherical_harmonics import Grid


@pytest.mark.parametrize("name", list(PHYSICS_TERMS))
def test_every_registered_term_builds_a_forcing_by_name(name: str) -> None:
    term = physics_term(name)
    assert isinstance(term, PhysicsTerm) and dataclasses.is_dataclass(term)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(term, dataclasses.fields(term)[0].name, 0.0)
    hash(term)  # a static argument of jax.jit
    assert callable(term.forcing(Grid.from_name("T21"), SigmaCoordinates.equidistant(2), SCALES))
    assert all(field in CATALOGUE for field in term.diagnosed)


def test_parameters_pass_through_and_unknown_names_list_the_terms() -> None:
    assert physics_term("held_suarez", k_f=0.0).k_f == 0.0
    with pytest.raises(ValueError, match="unknown physics term 'radiation'; terms: held_suarez"):
        physics_term("radiation")
