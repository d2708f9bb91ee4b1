"""The physics terms by name: one dict, name → `physics_terms.PhysicsTerm` class.

Adding a term is its own module plus one line here. `physics_term("held_suarez", k_f=0.0)`
builds one with SI parameters; cases (`primitive_cases`) and models take the instances.
"""

from __future__ import annotations

from typing import Any

from ngcm_lab.held_suarez import HeldSuarezForcing
from ngcm_lab.newtonian_cooling import NewtonianCooling
from ngcm_lab.physics_terms import PhysicsTerm
from ngcm_lab.simple_physics import SimplePhysics

PHYSICS_TERMS: dict[str, type[PhysicsTerm]] = {
    "held_suarez": HeldSuarezForcing,  # Held & Suarez (1994) Newtonian cooling + Rayleigh drag
    "simple_physics": SimplePhysics,  # Reed & Jablonowski (2012) condensation + surface fluxes
    "newtonian_cooling": NewtonianCooling,  # relaxation to a standard atmosphere, one timescale
}


def physics_term(name: str, **parameters: Any) -> PhysicsTerm:
    """The term registered as `name`, with its SI `parameters` (its defaults otherwise)."""
    if name not in PHYSICS_TERMS:
        raise ValueError(f"unknown physics term {name!r}; terms: {', '.join(PHYSICS_TERMS)}")
    return PHYSICS_TERMS[name](**parameters)
