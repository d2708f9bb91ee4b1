"""The physics terms by name: one dict, name → `physics_terms.PhysicsTerm` class.

Adding a term is its own module plus one line here. `physics_term("held_suarez", k_f=0.0)`
builds one with SI parameters; cases (`primitive_cases`) and models take the instances.
Everything outside reads the names here: `ngcm-lab forecast --physics NAME,...` (`terms_by_name`),
the `ForecastStepper`'s physics selector, and the netCDF `physics` attribute
(`describe_physics`), so a new line shows up in all three with no other edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
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


def terms_by_name(names: str | Iterable[str]) -> tuple[PhysicsTerm, ...]:
    """The registered terms called `names` (a sequence, or one string separated by commas;
    "none" for no terms), in order, with their default parameters; ValueError naming the
    valid terms on an unknown name."""
    if isinstance(names, str):
        names = names.split(",")
    names = [name.strip().lower() for name in names if name.strip()]
    if names == ["none"]:
        return ()
    return tuple(physics_term(name) for name in names)


def term_name(term: PhysicsTerm) -> str:
    """The registry name of `term`'s class (its class name if it is not registered)."""
    cls = type(term)
    return next((name for name, known in PHYSICS_TERMS.items() if known is cls), cls.__name__)


def describe_physics(terms: Sequence[PhysicsTerm]) -> str:
    """One line naming `terms` with their parameters, summed in order, e.g.
    ``"newtonian_cooling(timescale_s=3456000.0, ...)"``; ``"none"`` for no terms."""
    if not terms:
        return "none"
    parts = []
    for term in terms:
        values = ", ".join(
            f"{f.name}={getattr(term, f.name)!r}" for f in dataclasses.fields(term) if f.init
        )
        parts.append(f"{term_name(term)}({values})")
    return " + ".join(parts)
