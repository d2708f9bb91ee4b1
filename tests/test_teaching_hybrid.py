"""The exercise self-checks of notebooks 6–8: a right answer passes, a wrong one fails with a
hint, and input that is not a number (or a name) gets one line instead of an exception."""

from __future__ import annotations

import pytest

from ngcm_lab import teaching as th
from ngcm_lab.teaching import hybrid as teaching_hybrid


def verdict(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one line
    return out


def test_surface_fluxes_references(capsys):
    """The references computed from the shipped learn-surface-fluxes hybrid (one load)."""
    extreme = th.tropical_feature_extreme()
    assert 3 < extreme < 30  # standardised: far below raw values (geopotential ~1e4)
    assert th.check_tropical_feature_extreme(extreme * 1.1)
    verdict(capsys)
    assert not th.check_tropical_feature_extreme(4e4)
    assert "unstandardised" in verdict(capsys)
    fresh = th.untrained_output_ratio(1.0)
    assert 0.001 < fresh < 0.05  # the small last layer: about a hundredth of σ_X
    assert th.untrained_output_ratio(100.0) == pytest.approx(100 * fresh, rel=1e-3)
    assert th.check_untrained_output_ratio(100 * fresh, 100.0)
    verdict(capsys)
    assert not th.check_untrained_output_ratio(fresh, 100.0)
    assert "Hint" in verdict(capsys)
    hybrid, params, state = teaching_hybrid._surface_fluxes_hybrid()
    top = list(th.column_input_gradient(hybrid, params, state))[:5]
    assert th.check_top_inputs(top[:3] + ["toa_insolation", "land_fraction"])
    verdict(capsys)
    assert not th.check_top_inputs(["toa_insolation"])
    assert "Hint" in verdict(capsys)
    assert not th.check_top_inputs("u[7]")
    verdict(capsys)


def test_capped_drag_and_second_layer(capsys):
    assert th.check_capped_drag_slope(0.08)
    verdict(capsys)
    assert not th.check_capped_drag_slope(0.97)
    assert "fixed" in verdict(capsys)
    assert th.check_second_layer_withheld(0.0)
    verdict(capsys)
    assert not th.check_second_layer_withheld(0.4)
    assert "layers − 2" in verdict(capsys)
    assert not th.check_second_layer_withheld("zero")
    verdict(capsys)


def test_online_training_checks(capsys):
    from ngcm_lab.errors import InputError

    assert th.check_learning_rate_slopes(0.3, 0.9)
    verdict(capsys)
    assert not th.check_learning_rate_slopes(0.9, 0.3)
    assert "Hint" in verdict(capsys)
    reference = th.fixed_scale_ratio()
    assert 3 < reference < 20  # 2 K/day against the data's ~0.3 K/day
    assert th.check_fixed_scale_ratio(reference)
    verdict(capsys)
    assert not th.check_fixed_scale_ratio(1 / reference)
    assert "invert" in verdict(capsys)
    assert th.check_resumed_losses([1.0, 0.5], [1.0, 0.5 + 1e-7])
    verdict(capsys)
    assert not th.check_resumed_losses([1.0], [1.0, 0.5])
    verdict(capsys)
    assert not th.check_resumed_losses([1.0, 0.6], [1.0, 0.5])
    verdict(capsys)
    error = InputError("the truth's training initial times reach its evaluation window (...)")
    assert th.check_split_refusal(error)
    verdict(capsys)
    assert not th.check_split_refusal(ValueError("something else"))
    verdict(capsys)
    assert th.most_energetic_forecast() == "baseline"  # no drag: too much energy
    assert th.check_most_energetic_forecast("Baseline")
    verdict(capsys)
    assert not th.check_most_energetic_forecast("oracle")
    assert "Hint" in verdict(capsys)


def test_stochastic_checks(capsys):
    assert th.check_first_lead_dispersion(0.66, 1.0)
    verdict(capsys)
    assert not th.check_first_lead_dispersion(1.2, 1.0)
    verdict(capsys)
    assert th.check_ar1_correlation(0.35, 24, 24)
    verdict(capsys)
    assert not th.check_ar1_correlation(0.9, 24, 6)
    assert "Hint" in verdict(capsys)
    assert th.check_fair_crps_members({2: 1.0, 4: 1.04, 8: 0.98})
    verdict(capsys)
    assert not th.check_fair_crps_members({2: 1.0, 16: 0.6})
    verdict(capsys)
    assert not th.check_fair_crps_members([1.0])
    verdict(capsys)
    assert th.check_proper_forecast(0.52, 0.97)
    verdict(capsys)
    assert not th.check_proper_forecast(0.0, 1.0)
    assert "Hint" in verdict(capsys)
