"""`TrainingDashboard`: watch a training loop — loss, curriculum stage, learning rate,
checkpoints — and stop or resume it.

The dashboard does not train anything: a loop reports to it through a small protocol, so any loop
(the package's, a notebook's, a test's fake one) can use it::

    dashboard = TrainingDashboard()
    dashboard                                   # display it
    for step in range(start, total):
        if dashboard.stop_requested:            # the Stop button (or dashboard.request_stop())
            break
        loss = ...                              # one optimisation step
        dashboard.record(step, loss, rollout_steps, learning_rate, checkpoint=path_or_None)
    dashboard.finish()                          # optional: "finished" in the status line

- ``record(step, loss, rollout_steps, learning_rate, checkpoint=None)`` appends one point; the
  rollout length is the curriculum stage (a change starts a new stage, drawn as a vertical
  line); ``checkpoint`` (a path, or True) says a checkpoint was written at this step. A
  non-finite loss is recorded and flagged in red, never raised.
- ``stop_requested`` is True once Stop was pressed; the loop should stop at its next check.
- Resume clears the flag and calls every ``on_resume(callback)`` callback (e.g. one that
  restarts the loop from its last checkpoint in a thread); `resume()` does the same.

`record` may be called from a background thread. The figure is redrawn at most every
``redraw_interval_s`` seconds (and by `redraw()`), so a fast loop is not slowed by plotting.
"""

from __future__ import annotations

import html
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ngcm_lab.widgets._common import Shown, error_text, show_figure, status_html


class TrainingDashboard(Shown):
    """Live loss curve, curriculum stage, learning rate and checkpoint status of a training loop.

    Attributes: ``history`` (dict of lists: step, loss, rollout_steps, learning_rate),
    ``checkpoints`` (list of (step, description)), ``stop_requested``, ``figure``,
    ``last_error`` (e.g. a non-finite loss, or an error raised by an `on_resume` callback).
    """

    def __init__(self, title: str = "training", *, redraw_interval_s: float = 0.5) -> None:
        self.title = title
        self.redraw_interval_s = float(redraw_interval_s)
        self.history: dict[str, list[float]] = {
            "step": [],
            "loss": [],
            "rollout_steps": [],
            "learning_rate": [],
        }
        self.checkpoints: list[tuple[int, str]] = []
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._finished: str | None = None
        self._resume_callbacks: list[Callable[[], Any]] = []
        self._lock = threading.RLock()
        self._last_draw = -math.inf
        self._started = time.monotonic()

        self.figure = Figure(figsize=(10.0, 3.6))
        FigureCanvasAgg(self.figure)
        gs = self.figure.add_gridspec(
            1, 2, width_ratios=[2.0, 1.0], left=0.07, right=0.98, bottom=0.15, top=0.88, wspace=0.3
        )
        self._loss_ax = self.figure.add_subplot(gs[0])
        self._lr_ax = self.figure.add_subplot(gs[1])

        self.stop_button = widgets.Button(
            description="Stop", icon="stop", button_style="danger", disabled=False
        )
        self.resume_button = widgets.Button(
            description="Resume", icon="play", button_style="success", disabled=True
        )
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(min_height="330px"))
        self.stop_button.on_click(lambda _: self.request_stop())
        self.resume_button.on_click(lambda _: self.resume())
        self.widget = widgets.VBox(
            [widgets.HBox([self.stop_button, self.resume_button]), self.status, self.output]
        )
        self._update_text()
        self.redraw()

    # -------------------------------------------------------------------------- protocol
    @property
    def stop_requested(self) -> bool:
        """True once Stop was pressed (until Resume)."""
        return self._stop.is_set()

    def record(
        self,
        step: int,
        loss: float,
        rollout_steps: int,
        learning_rate: float,
        checkpoint: str | os.PathLike | bool | None = None,
    ) -> bool:
        """Report one training step; returns ``not stop_requested`` (so ``if not
        dashboard.record(...): break`` also works)."""
        try:
            step, loss = int(step), float(loss)
            rollout_steps, learning_rate = int(rollout_steps), float(learning_rate)
        except (TypeError, ValueError) as err:
            self._set_error(f"record() got a value that is not a number: {err}")
            return not self.stop_requested
        with self._lock:
            self.history["step"].append(step)
            self.history["loss"].append(loss)
            self.history["rollout_steps"].append(rollout_steps)
            self.history["learning_rate"].append(learning_rate)
            if checkpoint is not None and checkpoint is not False:
                where = "" if checkpoint is True else os.fspath(checkpoint)
                self.checkpoints.append((step, where))
            self._finished = None
            if not math.isfinite(loss):
                self.last_error = f"the loss is {loss} at step {step}: training has diverged"
        now = time.monotonic()
        if now - self._last_draw >= self.redraw_interval_s:
            self.redraw()
        else:
            self._update_text()
        return not self.stop_requested

    def on_resume(self, callback: Callable[[], Any]) -> None:
        """Register ``callback()`` to be called when Resume is pressed."""
        self._resume_callbacks.append(callback)

    def request_stop(self) -> None:
        """What Stop does: ask the loop to stop at its next check of `stop_requested`."""
        self._stop.set()
        self.stop_button.disabled = True
        self.resume_button.disabled = False
        self._update_text()

    def resume(self) -> bool:
        """What Resume does: clear the stop request and call the `on_resume` callbacks.
        False if a callback raised (its error is shown)."""
        self._stop.clear()
        self.stop_button.disabled = False
        self.resume_button.disabled = True
        self._finished = None
        self.last_error = None
        ok = True
        for callback in self._resume_callbacks:
            try:
                callback()
            except Exception as err:  # shown, never raised to the student
                self.last_error = error_text(err)
                ok = False
        self._update_text()
        return ok

    def finish(self, message: str = "finished") -> None:
        """Mark the run as over (shown in the status line) and draw the final state."""
        self._finished = message
        self.stop_button.disabled = True
        self.resume_button.disabled = False
        self.redraw()

    # -------------------------------------------------------------------------- drawing
    def redraw(self) -> None:
        """Draw the loss curve (log scale, curriculum stages marked) and the learning rate."""
        with self._lock:
            steps = np.asarray(self.history["step"], float)
            loss = np.asarray(self.history["loss"], float)
            rollout = np.asarray(self.history["rollout_steps"], float)
            lr = np.asarray(self.history["learning_rate"], float)
            checkpoints = list(self.checkpoints)
        ax, lr_ax = self._loss_ax, self._lr_ax
        ax.clear()
        lr_ax.clear()
        ax.set_title(f"{self.title}: loss")
        ax.set_xlabel("step")
        lr_ax.set_title("learning rate")
        lr_ax.set_xlabel("step")
        finite = np.isfinite(loss)
        if steps.size:
            positive = finite & (loss > 0)
            ax.plot(steps[finite], loss[finite], color="C0", linewidth=1.2, label="loss")
            if positive.any() and positive.sum() == finite.sum():
                ax.set_yscale("log")
            bad = ~finite
            if bad.any():
                ax.plot(steps[bad], np.full(bad.sum(), np.nanmax(loss[finite], initial=1.0)), "rx")
            changes = np.flatnonzero(np.diff(rollout) != 0) + 1
            for index in changes:
                ax.axvline(steps[index], color="0.5", linestyle=":", linewidth=1.0)
            starts = np.concatenate([[0], changes])
            for index in starts:
                ax.annotate(
                    f"rollout {int(rollout[index])}",
                    (steps[index], 1.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, -12),
                    textcoords="offset points",
                    fontsize=8,
                    color="0.3",
                )
            for number, (step, _) in enumerate(checkpoints):
                label = "checkpoint" if number == 0 else None
                ax.axvline(step, color="C2", alpha=0.35, linewidth=2.0, label=label)
            ax.legend(frameon=False, fontsize=8, loc="upper right")
            lr_ax.plot(steps, lr, color="C1")
            lr_ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
        else:
            ax.text(0.5, 0.5, "waiting for the first step…", ha="center", transform=ax.transAxes)
        ax.grid(True, alpha=0.3)
        lr_ax.grid(True, alpha=0.3)
        self._last_draw = time.monotonic()
        show_figure(self.output, self.figure)
        self._update_text()

    # ---------------------------------------------------------------------- internals
    def _set_error(self, text: str) -> None:
        self.last_error = text
        self._update_text()

    def _update_text(self) -> None:
        with self._lock:
            history = {k: list(v[-1:]) for k, v in self.history.items()}
            n = len(self.history["step"])
            stages = len(set(self.history["rollout_steps"]))
            checkpoint = self.checkpoints[-1] if self.checkpoints else None
        if self._finished:
            state = self._finished
        elif self.stop_requested:
            state = "stop requested: the loop stops at its next check; press Resume to continue"
        elif n:
            state = "running"
        else:
            state = "waiting for the first step"
        parts = [f"<b>{html.escape(state)}</b>"]
        if n:
            parts.append(
                f"step {history['step'][0]} · loss {history['loss'][0]:.4g} · rollout "
                f"{history['rollout_steps'][0]} steps (curriculum stage {stages}) · learning "
                f"rate {history['learning_rate'][0]:.3g} · {n} steps recorded"
            )
        if checkpoint is not None:
            where = f": {checkpoint[1]}" if checkpoint[1] else ""
            parts.append(f"last checkpoint at step {checkpoint[0]}{html.escape(where)}")
        else:
            parts.append("no checkpoint yet")
        text = " · ".join(parts)
        if self.last_error:
            text += "<br>" + status_html(self.last_error, error=True)
        self.status.value = text
