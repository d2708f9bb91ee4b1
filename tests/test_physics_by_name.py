"""Physics terms by name: a term registered in `physics_registry.PHYSICS_TERMS` appears in
`ngcm-lab forecast --physics`, in the `ForecastStepper`'s physics selector and in the netCDF
`physics` attribute with no other edit (issue 13's "one file plus one registry line")."""

from __future__ import annotations

import dataclasses

import pytest
import xarray as xr

from ngcm_lab import cli
from ngcm_lab.constants import SECONDS_PER_DAY
from ngcm_lab.newtonian_cooling import NewtonianCooling
from ngcm_lab.physics_registry import PHYSICS_TERMS, describe_physics, terms_by_name
from ngcm_lab.widgets import ForecastStepper

SHORT = ["--resolution", "T21", "--layers", "3", "--days", "0.25", "--no-progress"]
SHORT += ["--output-interval-hours", "6"]


@dataclasses.dataclass(frozen=True)
class UniformCooling(NewtonianCooling):
    """The toy term of the demonstration: Newtonian cooling on a 10-day timescale."""

    timescale_s: float = 10.0 * SECONDS_PER_DAY


@pytest.fixture
def toy_registered(monkeypatch):
    """The "one registry line", made at test time."""
    monkeypatch.setitem(PHYSICS_TERMS, "uniform_cooling", UniformCooling)
    return "uniform_cooling"


def forecast(tmp_path, *extra: str) -> int:
    argv = ["forecast", "--case", "held_suarez", *SHORT, *extra]
    return cli.main([*argv, "--output", str(tmp_path / "out.nc")])


def test_cli_physics_replaces_the_case_terms_and_is_recorded(tmp_path, capsys):
    assert forecast(tmp_path, "--physics", "newtonian_cooling") == 0, capsys.readouterr().err
    with xr.open_dataset(tmp_path / "out.nc", engine="h5netcdf") as ds:
        physics = ds.attrs["physics"]
    assert physics.startswith("newtonian_cooling(timescale_s=3456000.0")
    assert "held_suarez" not in physics


def test_default_physics_is_the_case_own_and_none_is_none():
    assert describe_physics(()) == "none" and terms_by_name("none") == ()
    assert describe_physics(terms_by_name("held_suarez")).startswith("held_suarez(k_a=")
    two = terms_by_name(" held_suarez , newtonian_cooling")
    assert [type(t) for t in two] == [PHYSICS_TERMS["held_suarez"], NewtonianCooling]


def test_a_term_registered_by_one_line_appears_everywhere(tmp_path, capsys, toy_registered):
    assert cli.main(["forecast", "--help"]) == 0
    assert toy_registered in " ".join(capsys.readouterr().out.split())

    assert forecast(tmp_path, "--physics", toy_registered) == 0, capsys.readouterr().err
    with xr.open_dataset(tmp_path / "out.nc", engine="h5netcdf") as ds:
        assert ds.attrs["physics"].startswith(f"{toy_registered}(timescale_s=864000.0")

    stepper = ForecastStepper("held_suarez", "T21", layers=3, build=False)
    assert toy_registered in [value for _, value in stepper.physics.options]
    assert stepper.physics_names is None  # default: the case's own
    stepper.physics.value = (toy_registered,)
    assert stepper.build(), stepper.last_error
    assert [type(t) for t in stepper.model.physics] == [UniformCooling]
    chosen = ForecastStepper("held_suarez", "T21", layers=3, physics=[toy_registered], build=False)
    assert chosen.physics_names == (toy_registered,)


def test_stepper_physics_change_asks_for_a_rebuild():
    stepper = ForecastStepper("held_suarez", "T21", layers=3, physics=("none",))
    assert stepper.model.physics == () and stepper.last_error is None
    stepper.physics.value = ("the case's own", "newtonian_cooling")
    assert "press Build / reset" in stepper.status.value
    assert stepper.build(), stepper.last_error
    assert [type(t) for t in stepper.model.physics] == [
        PHYSICS_TERMS["held_suarez"],
        NewtonianCooling,
    ]
    with pytest.raises(ValueError, match="unknown physics term 'radiation'"):
        ForecastStepper("held_suarez", physics=("radiation",), build=False)


def test_unknown_name_is_one_line_listing_the_terms(tmp_path, capsys):
    assert forecast(tmp_path, "--physics", "newtonian_cooling,radiation") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "'radiation'" in err
    assert all(name in err for name in PHYSICS_TERMS)
    assert not (tmp_path / "out.nc").exists()


def test_physics_with_a_shallow_water_case_is_one_line(tmp_path, capsys):
    argv = ["forecast", "--case", "galewsky", "--resolution", "T21", "--physics", "held_suarez"]
    assert cli.main([*argv, "--output", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--physics" in err and "shallow-water" in err


def test_moist_term_on_a_dry_case_is_a_usage_error(tmp_path, capsys):
    assert forecast(tmp_path, "--physics", "simple_physics") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "specific_humidity" in err
