"""Per-level diagnostics of the hybrid evaluation (`evaluation_levels`, `plotting.evaluation`).

One `evaluate` of a tiny perfect-model learn-drag rung (T21 L3 dry Held–Suarez, an untrained
network, three evaluation starts, one day) is shared by the tests; its per-start arrays are
recorded on the way through `errors_by_start`.
"""

import dataclasses
import json

import jax
import numpy as np
import pytest
from matplotlib.figure import Figure

from ngcm_lab import cli_training, evaluation, evaluation_levels, experiments, learned_physics
from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.plotting import plot_kinetic_energy_spectra, plot_rmse_by_level, plot_zonal_mean_bias
from ngcm_lab.training_data import TruthData

FORECASTS = ("baseline", "hybrid", "oracle")
LAYERED = ("u", "v", "temperature")


@pytest.fixture(scope="module")
def evaluated(tiny_drag_truth_file):
    """(result, per-start errors by forecast, trained) of a one-day evaluation from the starts
    at days 2, 2.25 and 2.5 of a 3.5-day learn-drag truth (training starts days 0–1.5)."""
    path = tiny_drag_truth_file
    config = dataclasses.replace(
        experiments.CONFIGS["learn-drag"],
        network=ColumnNetworkConfig(width=8, blocks=1),
        output_scales="fixed",
    )
    hybrid, truth = experiments.build(config, path)
    params = hybrid.init_params(jax.random.key(0))
    trained = experiments.TrainedHybrid(hybrid, params, truth, config, 0)
    recorded = []
    original = evaluation.errors_by_start

    def recording(*args, **kwargs):
        recorded.append(original(*args, **kwargs))
        return recorded[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(evaluation, "errors_by_start", recording)
        result = evaluation.evaluate(path.parent, path, days=1.0, trained=trained)
    return result, dict(zip(FORECASTS, recorded, strict=True)), trained


def test_anomaly_correlation_of_truth_climatology_and_opposite():
    rng = np.random.default_rng(0)
    observed = rng.normal(size=(2, 3, 8, 16)).astype(np.float32)
    climatology = rng.normal(size=(3, 8, 16)).astype(np.float32)
    weights = np.broadcast_to(rng.uniform(0.5, 1.5, (8, 1)), (8, 16))
    weights = weights / weights.sum()

    def acc(forecast):
        return np.asarray(
            evaluation_levels.anomaly_correlation(forecast, observed, climatology, weights)
        )

    assert acc(observed).shape == (2, 3)
    np.testing.assert_allclose(acc(observed), 1.0, atol=1e-6)
    np.testing.assert_allclose(acc(climatology + 3.0 * (observed - climatology)), 1.0, atol=1e-6)
    np.testing.assert_allclose(acc(climatology - (observed - climatology)), -1.0, atol=1e-6)
    assert np.all(acc(np.broadcast_to(climatology, observed.shape)) == 0.0)
    # The weighted formula, by hand, for an unrelated forecast.
    forecast = rng.normal(size=observed.shape).astype(np.float32)
    f, o = forecast - climatology, observed - climatology
    expected = (weights * f * o).sum((-2, -1)) / np.sqrt(
        (weights * f**2).sum((-2, -1)) * (weights * o**2).sum((-2, -1))
    )
    np.testing.assert_allclose(acc(forecast), expected, rtol=1e-4, atol=1e-6)


def test_climatology_is_the_training_time_mean_of_layered_fields():
    rng = np.random.default_rng(1)
    targets = {
        "u": rng.normal(size=(6, 2, 4, 8)).astype(np.float32),
        "precipitation_rate": rng.normal(size=(6, 4, 8)).astype(np.float32),
    }
    train = np.array([0, 1, 2])
    truth = TruthData(None, targets, np.arange(6.0), 1.0, train, np.array([4]))
    clim = evaluation_levels.training_climatology(truth, ("u", "precipitation_rate"))
    assert set(clim) == {"u"}
    np.testing.assert_allclose(clim["u"], targets["u"][:3].mean(0), rtol=1e-6)


def test_per_start_arrays_and_levels_average_to_the_all_level_error(evaluated):
    result, errors, trained = evaluated
    starts, outputs, layers = 3, 4, trained.hybrid.layers
    nlat = trained.hybrid.grid.nlat
    for name in FORECASTS:
        e = errors[name]
        assert set(e["mse_by_level"]) == set(e["acc_by_level"]) == set(LAYERED)
        for k in LAYERED:
            assert e["mse_by_level"][k].shape == (starts, outputs, layers)
            assert e["acc_by_level"][k].shape == (starts, outputs, layers)
            assert e["zonal_bias"][k].shape == (starts, outputs, layers, nlat)
            # The area mean over all levels is the mean of the per-level area means.
            np.testing.assert_allclose(e["mse_by_level"][k].mean(-1), e["mse"][k], rtol=1e-5)
            by_level = np.asarray(result["rmse_by_level"][name][k])
            assert by_level.shape == (outputs, layers)
            np.testing.assert_allclose(
                (by_level**2).mean(-1), np.asarray(result["rmse"][name][k]) ** 2, rtol=1e-5
            )
    assert len(result["sigma"]) == layers and np.all(np.diff(result["sigma"]) > 0)
    assert len(result["latitude"]) == nlat and -90 < result["latitude"][0] < 0


def test_anomaly_correlation_by_level(evaluated):
    result, _, trained = evaluated
    acc = result["acc_by_level"]
    for name in FORECASTS:
        for k in LAYERED:
            values = np.asarray(acc[name][k])
            assert values.shape == (4, trained.hybrid.layers)
            assert np.all(np.isfinite(values)) and np.all(values <= 1.0 + 1e-6)
    # Perfect model: the oracle is the truth's own model, while the baseline lacks the drag that
    # acts at the lowest levels.
    lowest_6h = {name: acc[name]["u"][0][-1] for name in FORECASTS}
    assert lowest_6h["oracle"] > lowest_6h["baseline"], lowest_6h
    assert lowest_6h["oracle"] > 0.999, lowest_6h


def test_zonal_mean_bias_at_whole_days(evaluated):
    result, errors, trained = evaluated
    layers, nlat = trained.hybrid.layers, trained.hybrid.grid.nlat
    for name in FORECASTS:
        for k in LAYERED:
            by_lead = result["zonal_mean_bias"][name][k]
            assert list(by_lead) == ["24"]  # leads 6, 12, 18, 24 h: one whole day
            bias = np.asarray(by_lead["24"])
            assert bias.shape == (layers, nlat)
            np.testing.assert_allclose(bias, errors[name]["zonal_bias"][k][:, 3].mean(0))
    u = {name: np.abs(result["zonal_mean_bias"][name]["u"]["24"]).max() for name in FORECASTS}
    assert u["oracle"] < 0.01 * u["baseline"], u


def test_kinetic_energy_spectra_in_si(evaluated):
    result, _, trained = evaluated
    spectra = result["kinetic_energy_spectrum_at_last_lead"]
    truncation = trained.hybrid.grid.truncation
    assert set(spectra) == {"truth", *FORECASTS}
    for name, values in spectra.items():
        assert len(values) == truncation - 1 and np.all(np.asarray(values) > 0), name
    for name in FORECASTS:
        np.testing.assert_allclose(
            np.asarray(spectra[name]) / np.asarray(spectra["truth"]),
            result["kinetic_energy_ratio_at_last_lead"][name],
            rtol=1e-10,
        )
        # The interval over resampled starts brackets the ratio of the mean spectra.
        ratio = np.asarray(result["kinetic_energy_ratio_at_last_lead"][name])
        low, high = np.asarray(result["kinetic_energy_ratio_at_last_lead_90"][name])
        assert low.shape == ratio.shape and np.all(low < high), name
        assert np.all((low <= ratio) & (ratio <= high)), name
    # m² s⁻², not the model's (aΩ)²: the spectrum sums (n = 1 … N − 1 of n = 0 … N; n = 0 holds
    # no wind, little is left at n = N) to the truth's global-mean ½(u² + v²) at the last lead,
    # mean over levels and starts.
    truth = trained.truth
    finals = [i + 4 for i in evaluation.evaluation_starts(truth, 4)]
    u, v = truth.targets["u"][finals], truth.targets["v"][finals]
    weights = trained.hybrid.grid.area_weights
    kinetic = np.mean(np.sum(0.5 * (u**2 + v**2) * weights, axis=(-2, -1)))
    np.testing.assert_allclose(np.sum(spectra["truth"]), kinetic, rtol=0.01)


def test_plots_after_a_json_round_trip(evaluated, tmp_path):
    result = json.loads(json.dumps(evaluated[0]))
    fig = plot_rmse_by_level(result, "u")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    (ax,) = fig.axes
    assert len(ax.lines) == 3 and ax.yaxis_inverted()
    assert "24 h" in ax.get_title() and "m s-1" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(FORECASTS)
    fig = plot_rmse_by_level(result, "temperature", lead_hours=6.0)
    assert "6 h" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="no lead of 7 h"):
        plot_rmse_by_level(result, "u", lead_hours=7.0)

    fig = plot_zonal_mean_bias(result, "u")
    assert isinstance(fig, Figure) and len(fig.axes) == 3 + 1  # a panel per forecast, colorbar
    assert [ax.get_title().split("\n")[0] for ax in fig.axes[:3]] == list(FORECASTS)
    assert all(ax.yaxis_inverted() for ax in fig.axes[:3])
    levels = [ax.collections[0].levels for ax in fig.axes[:3]]  # one shared symmetric scale
    assert all(np.array_equal(x, levels[0]) for x in levels)
    np.testing.assert_allclose(levels[0], -levels[0][::-1])
    assert "m s-1" in fig.axes[3].get_ylabel()
    with pytest.raises(ValueError, match="24 h only"):
        plot_zonal_mean_bias(result, "u", lead_hours=12.0)
    with pytest.raises(ValueError, match="precipitation_rate"):
        plot_zonal_mean_bias(result, "precipitation_rate")

    fig = plot_kinetic_energy_spectra(result)
    (ax,) = fig.axes
    assert len(ax.lines) == 4 and ax.get_xscale() == ax.get_yscale() == "log"
    fig.savefig(tmp_path / "spectra.png")


def test_text_report_names_the_hybrids_worst_level(evaluated):
    result = evaluated[0]
    text = cli_training._evaluation_text(result)
    lines = text.splitlines()
    # header, legend, a line per variable, the fit at the starts, its bound (the residual's)
    # and the fit in the forecasts, the kinetic energy at the last lead over n = 10 … resolved
    # degree
    assert len(lines) == 2 + 3 + 3 + 1
    top = result["resolved_degree"]
    assert top == evaluated[2].hybrid.dycore.resolved_degree()
    assert lines[-1].startswith("kinetic energy over")
    ratio = result["kinetic_energy_ratio_at_last_lead"]["hybrid"][9:top]
    low, high = (
        np.asarray(b)[9:top] for b in result["kinetic_energy_ratio_at_last_lead_90"]["hybrid"]
    )
    assert (
        f"hybrid {min(ratio):.2f}–{max(ratio):.2f} [{low.min():.2f}, {high.max():.2f}]" in lines[-1]
    )
    for name in LAYERED:
        (line,) = [x for x in lines if x.startswith(f"  {name} ")]
        rmse = np.asarray(result["rmse_by_level"]["hybrid"][name])[-1]
        worst = int(np.argmax(rmse))
        assert f"hybrid worst at σ {result['sigma'][worst]:.2f}" in line, line


def test_regressions_carry_bootstrap_intervals(evaluated):
    """Each learned/residual-vs-withheld regression carries 90 % intervals of its slope and r
    from resampling the starts, which hold the estimate; the text report prints them."""
    result = evaluated[0]
    for key in ("learned_vs_withheld", "residual_vs_withheld", "learned_vs_withheld_in_forecast"):
        for name, fit in result[key].items():
            if fit is None:
                continue
            for stat in ("slope", "r"):
                low, high = fit[stat + "_90"]
                assert low <= fit[stat] <= high, (key, name, stat, fit)
            assert -1.0 <= fit["r_90"][0] <= fit["r_90"][1] <= 1.0
    fit = result["learned_vs_withheld"]["u"]
    text = cli_training._evaluation_text(result)
    assert f"u slope {fit['slope']:.2f} [{fit['slope_90'][0]:.2f}, " in text, text


def test_regression_intervals_on_a_known_relation():
    """Learned = 2 × withheld + noise on 40 states: the slope's interval holds 2 and is narrow;
    an exact relation gives a zero-width interval at 2 and r 1."""
    rng = np.random.default_rng(1)
    withheld = [{"u": rng.normal(size=16)} for _ in range(40)]
    noisy = [{"u": 2.0 * w["u"] + 0.5 * rng.normal(size=16)} for w in withheld]
    fit = learned_physics._regressions(withheld, noisy)["u"]
    low, high = fit["slope_90"]
    assert low < 2.0 < high and high - low < 0.2, fit
    exact = learned_physics._regressions(withheld, [{"u": 2.0 * w["u"]} for w in withheld])["u"]
    assert np.allclose(exact["slope_90"], 2.0) and np.allclose(exact["r_90"], 1.0), exact
    assert learned_physics._regressions([{"u": np.zeros(4)}], [{"u": np.ones(4)}])["u"] is None
