"""TrainingDashboard with a fake training loop: the record / stop / resume protocol."""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from ngcm_lab.widgets import TrainingDashboard


def fake_loop(dashboard, start=0, steps=40, delay=0.0):
    """A stand-in for a training loop: curriculum 1 → 2 → 4 steps, decaying loss and rate,
    a checkpoint every 10 steps; stops when asked. Returns the next step to run."""
    for step in range(start, start + steps):
        if dashboard.stop_requested:
            return step
        rollout = 1 if step < 10 else 2 if step < 20 else 4
        checkpoint = f"/tmp/ckpt_{step}.npz" if step % 10 == 9 else None
        dashboard.record(
            step, 5.0 * math.exp(-step / 10) + 0.01, rollout, 1e-3 / (1 + step), checkpoint
        )
        time.sleep(delay)
    return start + steps


def shown_png(dashboard) -> str:
    (output,) = dashboard.output.outputs
    return output["data"]["image/png"]


def test_records_and_redraws():
    dashboard = TrainingDashboard("fake", redraw_interval_s=0.0)
    assert "waiting for the first step" in dashboard.status.value
    empty = shown_png(dashboard)
    assert fake_loop(dashboard, steps=25) == 25
    assert dashboard.history["step"] == list(range(25))
    assert dashboard.history["rollout_steps"][-1] == 4
    assert dashboard.checkpoints == [(9, "/tmp/ckpt_9.npz"), (19, "/tmp/ckpt_19.npz")]
    text = dashboard.status.value
    assert "step 24" in text and "rollout 4 steps (curriculum stage 3)" in text
    assert "last checkpoint at step 19: /tmp/ckpt_19.npz" in text
    assert shown_png(dashboard) != empty
    loss_ax = dashboard.figure.axes[0]
    (line,) = [line for line in loss_ax.lines if line.get_label() == "loss"]
    np.testing.assert_allclose(line.get_ydata(), dashboard.history["loss"])
    assert loss_ax.get_yscale() == "log"
    stages = [t.get_text() for t in loss_ax.texts]
    assert stages == ["rollout 1", "rollout 2", "rollout 4"]


def test_stop_and_resume_buttons_drive_the_loop():
    dashboard = TrainingDashboard(redraw_interval_s=0.2)
    state = {"next": 0, "thread": None}

    def start():
        def work():
            state["next"] = fake_loop(dashboard, state["next"], steps=1000, delay=0.002)

        state["thread"] = threading.Thread(target=work, daemon=True)
        state["thread"].start()

    dashboard.on_resume(start)
    start()
    deadline = time.monotonic() + 30
    while len(dashboard.history["step"]) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    dashboard.stop_button.click()
    assert dashboard.stop_requested and dashboard.resume_button.disabled is False
    state["thread"].join(30)
    stopped_at = state["next"]
    assert 20 <= stopped_at < 1000
    assert "stop requested" in dashboard.status.value
    time.sleep(0.05)
    assert len(dashboard.history["step"]) == stopped_at  # nothing recorded after the stop
    dashboard.resume_button.click()
    assert not dashboard.stop_requested and dashboard.stop_button.disabled is False
    while len(dashboard.history["step"]) < stopped_at + 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    dashboard.request_stop()
    state["thread"].join(30)
    steps = dashboard.history["step"]
    assert steps == list(range(len(steps)))  # resumed where it stopped, no gap or repeat
    assert len(steps) >= stopped_at + 10


def test_record_return_value_stops_a_loop():
    dashboard = TrainingDashboard()
    assert dashboard.record(0, 1.0, 1, 1e-3)
    dashboard.request_stop()
    assert not dashboard.record(1, 0.9, 1, 1e-3)


def test_bad_values_are_shown_not_raised():
    dashboard = TrainingDashboard(redraw_interval_s=0.0)
    dashboard.record(0, 1.0, 1, 1e-3)
    dashboard.record(1, float("nan"), 1, 1e-3)
    assert "diverged" in dashboard.last_error and "color:#b00020" in dashboard.status.value
    dashboard.record(2, "not a number", 1, 1e-3)
    assert "not a number" in dashboard.last_error
    assert len(dashboard.history["step"]) == 2

    def broken():
        raise RuntimeError("no checkpoint to resume from")

    dashboard.on_resume(broken)
    dashboard.request_stop()
    assert not dashboard.resume()
    assert "no checkpoint to resume from" in dashboard.status.value


def test_finish_and_checkpoint_true():
    dashboard = TrainingDashboard()
    dashboard.record(0, 1.0, 2, 1e-3, checkpoint=True)
    dashboard.finish("done: 1 step")
    assert "done: 1 step" in dashboard.status.value
    assert "last checkpoint at step 0" in dashboard.status.value
    assert dashboard.stop_button.disabled
