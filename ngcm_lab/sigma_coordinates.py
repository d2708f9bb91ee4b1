"""σ = p/p_s vertical coordinates: layer interfaces, centres and thicknesses.

The model's levels are layers between interfaces 0 = σ_{1/2} < σ_{3/2} < … < σ_{L+1/2} = 1 (top to
surface), with prognostic variables at the layer centres, as in the vertical discretisation of
Simmons & Burridge (1981, Mon. Wea. Rev. 109:758) restricted to pure σ (their A = 0, B = σ).
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class SigmaCoordinates:
    """Layers given by their interface values of σ, top (0) to surface (1)."""

    boundaries: tuple[float, ...]

    def __post_init__(self):
        b = np.asarray(self.boundaries, dtype=np.float64)
        object.__setattr__(self, "boundaries", tuple(float(x) for x in b))
        if b.ndim != 1 or b.size < 2:
            raise ValueError("σ boundaries need at least two values (one layer)")
        if abs(b[0]) > 1e-12 or abs(b[-1] - 1.0) > 1e-12:
            raise ValueError(
                f"σ boundaries must run from 0 (top) to 1 (surface), got {b[0]}…{b[-1]}"
            )
        if np.any(np.diff(b) <= 0):
            raise ValueError("σ boundaries must increase strictly from the top to the surface")

    @classmethod
    def equidistant(cls, layers: int) -> SigmaCoordinates:
        """`layers` layers of equal thickness Δσ = 1/layers (NeuralGCM uses 32)."""
        if layers < 1:
            raise ValueError(f"need at least one layer, got {layers}")
        return cls(tuple(np.linspace(0.0, 1.0, layers + 1)))

    @property
    def layers(self) -> int:
        return len(self.boundaries) - 1

    @property
    def interfaces(self) -> np.ndarray:
        """σ at the L + 1 layer interfaces, shape (L + 1,)."""
        return np.asarray(self.boundaries)

    @property
    def centers(self) -> np.ndarray:
        """σ at the L layer centres (mid-points of the interfaces), shape (L,)."""
        b = self.interfaces
        return 0.5 * (b[1:] + b[:-1])

    @property
    def thickness(self) -> np.ndarray:
        """Δσ of each layer, shape (L,); they sum to 1."""
        return np.diff(self.interfaces)
