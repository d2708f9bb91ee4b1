"""Physical constants (SI) and the nondimensionalisation used inside the model.

Values follow the shallow-water test suite of Williamson et al. (1992, J. Comput. Phys.
102:211-224) and the dry-air constants common to the Jablonowski-Williamson (2006) and
Held-Suarez (1994) test cases, so that published initial conditions are reproduced exactly.
Inside the model lengths are measured in Earth radii and time in units of 1/Omega, so that
a = Omega = 1; :class:`Scales` converts between the two systems.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

# Scalars, numpy or jax arrays: conversions are plain arithmetic, so they also work under jit.
A = TypeVar("A")

EARTH_RADIUS = 6.37122e6  # m; mean Earth radius, Williamson et al. (1992)
ANGULAR_VELOCITY = 7.292e-5  # s^-1; Earth's rotation rate, Williamson et al. (1992)
GRAVITY = 9.80616  # m s^-2; gravitational acceleration, Williamson et al. (1992)
R_DRY = 287.04  # J kg^-1 K^-1; gas constant of dry air, Jablonowski & Williamson (2006)
KAPPA = 2.0 / 7.0  # 1; R_dry / c_p for an ideal diatomic gas, Held & Suarez (1994)
CP_DRY = R_DRY / KAPPA  # J kg^-1 K^-1; specific heat of dry air at constant pressure
P0 = 1.0e5  # Pa; reference pressure 1000 hPa, Held & Suarez (1994)
SECONDS_PER_DAY = 86400.0  # s; length of the (solar) day used by all test cases
R_VAPOUR = 461.5  # J kg^-1 K^-1; gas constant of water vapour, Reed & Jablonowski (2012)
LATENT_HEAT_VAPORISATION = 2.5e6  # J kg^-1; constant latent heat, Reed & Jablonowski (2012)
EPSILON = R_DRY / R_VAPOUR  # 1; molar mass of water over that of dry air (about 0.622)
VIRTUAL_FACTOR = R_VAPOUR / R_DRY - 1.0  # 1; T_v = T (1 + VIRTUAL_FACTOR q), about 0.608

# Every matrix product in traced code states this precision. Left unset, float32 products run as
# TF32 on recent NVIDIA GPUs and as one bfloat16 pass on TPUs (about 3 significant digits), which
# would silently spoil the spectral transforms; "highest" keeps them float32 on every backend and
# wins over a global `jax.default_matmul_precision`. CPUs compute float32 either way.
MATMUL_PRECISION = "highest"


@dataclasses.dataclass(frozen=True)
class Scales:
    """Units of the model's nondimensional system: a = Omega = 1.

    Length unit is the planetary radius, time unit is 1/Omega; velocity is then measured in
    a*Omega and geopotential (or g*h) in (a*Omega)**2. ``nondim_*`` maps SI to model units,
    ``dim_*`` maps back.
    """

    radius: float = EARTH_RADIUS  # m
    angular_velocity: float = ANGULAR_VELOCITY  # s^-1
    gravity: float = GRAVITY  # m s^-2

    @property
    def length_unit(self) -> float:
        """One model length unit in metres."""
        return self.radius

    @property
    def time_unit(self) -> float:
        """One model time unit in seconds."""
        return 1.0 / self.angular_velocity

    @property
    def velocity_unit(self) -> float:
        """One model velocity unit in m s^-1 (a*Omega)."""
        return self.radius * self.angular_velocity

    @property
    def geopotential_unit(self) -> float:
        """One model geopotential unit in m^2 s^-2 ((a*Omega)**2)."""
        return self.velocity_unit**2

    def nondim_length(self, x_m: A) -> A:
        """Metres -> Earth radii."""
        return x_m / self.length_unit

    def dim_length(self, x: A) -> A:
        """Earth radii -> metres."""
        return x * self.length_unit

    def nondim_time(self, t_s: A) -> A:
        """Seconds -> units of 1/Omega."""
        return t_s / self.time_unit

    def dim_time(self, t: A) -> A:
        """Units of 1/Omega -> seconds."""
        return t * self.time_unit

    def nondim_rate(self, r_per_s: A) -> A:
        """Rates and frequencies (s^-1, e.g. vorticity, damping) -> units of Omega."""
        return r_per_s * self.time_unit

    def dim_rate(self, r: A) -> A:
        """Units of Omega -> s^-1."""
        return r / self.time_unit

    def nondim_velocity(self, u: A) -> A:
        """m s^-1 -> units of a*Omega."""
        return u / self.velocity_unit

    def dim_velocity(self, u: A) -> A:
        """Units of a*Omega -> m s^-1."""
        return u * self.velocity_unit

    def nondim_geopotential(self, phi: A) -> A:
        """m^2 s^-2 -> units of (a*Omega)**2."""
        return phi / self.geopotential_unit

    def dim_geopotential(self, phi: A) -> A:
        """Units of (a*Omega)**2 -> m^2 s^-2."""
        return phi * self.geopotential_unit

    def nondim_gravity(self) -> float:
        """g in model units, g / (a * Omega**2); turns a depth (in radii) into g*h."""
        return self.gravity / (self.radius * self.angular_velocity**2)


SCALES = Scales()
