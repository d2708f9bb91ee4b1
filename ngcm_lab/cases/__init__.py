"""Published initial conditions as numpy functions of latitude/longitude (radians) in SI units."""

from ngcm_lab.cases.galewsky import galewsky
from ngcm_lab.cases.williamson import (
    ShallowWaterFields,
    rossby_haurwitz_nondivergent_phase_speed,
    williamson2,
    williamson2_coriolis,
    williamson5,
    williamson6,
)

__all__ = [
    "ShallowWaterFields",
    "galewsky",
    "rossby_haurwitz_nondivergent_phase_speed",
    "williamson2",
    "williamson2_coriolis",
    "williamson5",
    "williamson6",
]
