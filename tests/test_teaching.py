"""The exercise self-checks: a right answer passes, a wrong one fails with a hint, and input that
is not a number gets one line instead of an exception."""

from __future__ import annotations

import numpy as np
import pytest

from ngcm_lab import teaching


def verdict(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one line
    return out


def test_round_trip_float64(capsys):
    assert teaching.check_round_trip_float64(3e-15)
    assert verdict(capsys).startswith("✓")
    assert not teaching.check_round_trip_float64(1.8e-7)
    assert "jax_enable_x64" in verdict(capsys)


def test_orography_slope(capsys):
    reference = teaching.orography_spectral_slope("T85")
    assert -4 < reference < -1  # a power law, shallower than a smooth field's
    assert teaching.check_orography_slope(reference + 0.2)
    verdict(capsys)
    assert not teaching.check_orography_slope(-reference)
    assert "negative" in verdict(capsys)


def test_gibbs_overshoot(capsys):
    reference = teaching.gibbs_overshoot(42)
    assert 0.08 < reference < 0.15
    assert teaching.check_gibbs_overshoot(np.float32(reference), 42)
    verdict(capsys)
    assert not teaching.check_gibbs_overshoot(100 * reference, 42)
    assert "fraction" in verdict(capsys)
    assert not teaching.check_gibbs_overshoot(0.02, 42)
    assert "Hint" in verdict(capsys)


def test_courant_number(capsys):
    assert teaching.check_courant_number(100 * 42 * 3600 / 6.371e6, 100, 42, 3600)
    verdict(capsys)
    assert not teaching.check_courant_number(0.5, 100, 42, 3600)
    assert "Hint" in verdict(capsys)


def test_rossby_haurwitz_phase_speed(capsys):
    reference = teaching.rossby_haurwitz_reference_speed()
    assert 10.5 < reference < 12.0  # slower than the nondivergent 12.2° per day
    assert teaching.check_rossby_haurwitz_phase_speed(reference - 0.05)
    verdict(capsys)
    assert not teaching.check_rossby_haurwitz_phase_speed(12.2)
    assert "nondivergent" in verdict(capsys)


def test_jablonowski_williamson(capsys):
    assert teaching.check_jw_minimum_surface_pressure(947.5, 42)
    verdict(capsys)
    assert teaching.check_jw_minimum_surface_pressure(970.0, 21)
    verdict(capsys)
    assert not teaching.check_jw_minimum_surface_pressure(947.5, 21)
    verdict(capsys)
    assert not teaching.check_jw_minimum_surface_pressure(990.0, 42)
    assert "Hint" in verdict(capsys)
    assert not teaching.check_jw_minimum_surface_pressure(94750.0, 42)
    assert "hPa" in verdict(capsys)
    assert teaching.check_jw_steady_eddy_wind(1e-13)
    verdict(capsys)
    assert not teaching.check_jw_steady_eddy_wind(2.0)
    assert "Hint" in verdict(capsys)


def test_eddy_heat_flux_peak(capsys):
    reference = teaching.eddy_heat_flux_peak_latitude()
    assert 25 < reference < 55
    assert teaching.check_eddy_heat_flux_peak(-reference)  # the southern peak counts too
    verdict(capsys)
    assert not teaching.check_eddy_heat_flux_peak(reference + 30)
    assert "Hint" in verdict(capsys)


def test_acc_without_climatology(capsys):
    reference = teaching.acc_without_climatology()
    assert reference > 0.99
    assert teaching.check_acc_without_climatology(reference)
    verdict(capsys)
    assert not teaching.check_acc_without_climatology(0.6)
    assert "climatology=0" in verdict(capsys)


@pytest.mark.parametrize("bad", ["0.1", None, [1.0, 2.0], float("nan"), True])
def test_bad_input_is_one_line(capsys, bad):
    assert teaching.check_round_trip_float64(bad) is False
    out = verdict(capsys)
    assert out.startswith("check_round_trip_float64:"), out


# ------------------------------------------------------------- notebook 9: sensitivities


def test_upstream_speed(capsys):
    reference = teaching.steering_wind()
    assert 12 < reference < 20  # the jet's westerlies at σ = 0.85, 50°N
    assert teaching.check_upstream_speed(17.6)  # the notebook's full run
    verdict(capsys)
    assert not teaching.check_upstream_speed(17.6 * 3.6)
    assert "km/h" in verdict(capsys)
    assert not teaching.check_upstream_speed(-15.0)
    assert "positive" in verdict(capsys)
    assert not teaching.check_upstream_speed(8.8)  # 380 km in 12 hours: one grid column
    assert "grid column" in verdict(capsys)


def test_warming_as_surface_pressure(capsys):
    reference = teaching.warming_as_surface_pressure(8)
    by_hand = 1000.0 * np.log(0.875 / 0.75) / 268.0  # hPa: p_s ln(σ_b/σ_t) ΔT / T_s
    assert reference == pytest.approx(by_hand, rel=0.01)
    assert teaching.check_warming_as_surface_pressure(0.55)
    verdict(capsys)
    assert not teaching.check_warming_as_surface_pressure(100 * reference)
    assert "Pa" in verdict(capsys)
    assert not teaching.check_warming_as_surface_pressure(6.0)  # a whole column
    assert "whole column" in verdict(capsys)
    assert not teaching.check_warming_as_surface_pressure(0.55, layers=1.5)
    assert verdict(capsys).startswith("check_warming_as_surface_pressure:")


def test_linearity_limit(capsys):
    assert teaching.check_linearity_limit({24: 74.0, 48: 35.0, 96: 7.6})
    verdict(capsys)
    assert not teaching.check_linearity_limit({24: 7.6, 96: 74.0})
    assert "shrink" in verdict(capsys)
    for bad in ({24: "a"}, [24, 48], {48: 30.0}):
        assert not teaching.check_linearity_limit(bad)
        assert verdict(capsys).startswith("check_linearity_limit:")


def test_noisy_drag_fit(capsys):
    assert teaching.check_noisy_drag_fit(np.float32(1.02))
    verdict(capsys)
    assert not teaching.check_noisy_drag_fit(1.02 / 86400)
    assert "86400" in verdict(capsys)
    assert not teaching.check_noisy_drag_fit(0.4)
    assert "velocity_unit" in verdict(capsys)


def test_temperature_sensitivity_ratio(capsys):
    assert teaching.check_temperature_sensitivity_ratio(1.75)
    verdict(capsys)
    assert not teaching.check_temperature_sensitivity_ratio(0.08)  # the wind's ratio
    assert "wind" in verdict(capsys)


# ------------------------------------------------------------- notebook 10: accelerators


def test_cost_slope(capsys):
    cubic = {"T21": 1e-3, "T42": 8e-3, "TL85": 1e-3 * (85 / 21) ** 3}
    assert teaching.cost_slope(cubic) == pytest.approx(3.0, abs=1e-6)
    assert teaching.check_cost_slope(3.1, cubic)
    assert "N³" in verdict(capsys)
    assert teaching.check_cost_slope(2.0, {"T21": 1.0, "T42": 4.0})
    assert "N²" in verdict(capsys)
    assert not teaching.check_cost_slope(2.0, cubic)
    assert "Hint" in verdict(capsys)
    assert not teaching.check_cost_slope(2.0, {"L42": 1.0})
    assert verdict(capsys).startswith("check_cost_slope:")


def test_device_speedup(capsys):
    assert teaching.check_device_speedup(1.3, devices=2, cores=2)
    assert "faster" in verdict(capsys)
    assert not teaching.check_device_speedup(3.0, devices=2, cores=2)
    assert "cannot beat" in verdict(capsys)
    assert not teaching.check_device_speedup(0.2, devices=2, cores=2)
    assert "compil" in verdict(capsys)


def test_batch_saturation(capsys):
    times = {1: 10.0, 2: 6.0, 4: 4.0, 8: 3.9, 16: 3.95}
    assert teaching.batch_saturation(times) == 4
    assert teaching.batch_saturation({1: 1.0, 2: 1.1}) == 1  # a busy CPU: no gain at all
    assert teaching.check_batch_saturation(4, times)
    verdict(capsys)
    assert not teaching.check_batch_saturation(16, times)
    assert "Hint" in verdict(capsys)


def test_float32_drift(capsys):
    reference = teaching.williamson2_height_error(1.0)
    assert 1e-9 < reference < 1e-6  # float32 round-off, far above float64's ~1e-15
    assert teaching.check_float32_drift(2 * reference, days=1.0)
    verdict(capsys)
    assert not teaching.check_float32_drift(1.6e-15, days=1.0)
    assert "float64" in verdict(capsys)
