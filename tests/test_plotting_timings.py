"""plot_step_times: time per step against resolution, a colour per device and precision and a
line style per kind of step."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ngcm_lab.plotting import plot_step_times
from ngcm_lab.plotting.timings import truncation

TIMES = {
    ("cpu", "float32", "dycore"): {"T42": 0.004, "T21": 0.001},
    ("cpu", "float32", "hybrid"): {"T21": 0.0015, "T42": 0.005},
    ("cpu", "float64", "dycore"): {"T21": 0.002, "T42": 0.008},
}


def test_lines_share_a_colour_per_device_and_precision_and_a_style_per_step():
    fig = plot_step_times(TIMES, title="cost")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"cpu float32 dycore", "cpu float32 hybrid", "cpu float64 dycore"}
    f32, hybrid, f64 = (lines[name] for name in lines)
    assert f32.get_color() == hybrid.get_color() != f64.get_color()
    assert f32.get_linestyle() == f64.get_linestyle() != hybrid.get_linestyle()
    # Sorted by resolution, in milliseconds, on log axes labelled with the grid names.
    np.testing.assert_allclose(f32.get_xdata(), [21, 42])
    np.testing.assert_allclose(f32.get_ydata(), [1.0, 4.0])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["T21", "T42"]
    assert ax.get_ylabel() == "ms per step" and ax.get_title() == "cost"
    plt.close(fig)


def test_plain_labels_units_and_existing_axes():
    _, ax = plt.subplots()
    fig = plot_step_times({"gpu": {"TL63": 2e-4, 21: 1e-4}}, unit="µs", ax=ax)
    assert fig is ax.figure
    (line,) = ax.get_lines()
    assert line.get_label() == "gpu"
    np.testing.assert_allclose(line.get_ydata(), [100.0, 200.0])
    plt.close(fig)


def test_truncation_and_bad_inputs():
    assert truncation("T21") == 21 and truncation("TL255") == 255 and truncation(85) == 85
    with pytest.raises(ValueError, match="resolution name"):
        truncation("fine")
    with pytest.raises(ValueError, match="unit"):
        plot_step_times(TIMES, unit="min")
    with pytest.raises(ValueError, match="empty"):
        plot_step_times({})
