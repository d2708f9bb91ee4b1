"""A real browser: JupyterLab in headless Chromium runs a notebook with a ForecastStepper, clicks
"Step" and checks that the map image the widget shows changes.

Needs Debian's Chromium (``apt install chromium``) and Playwright's Python package (``pip install
playwright``, in the ``test`` extra); Playwright's own browser download is not used. Skipped with
a message when either is missing. Set ``NGCM_LAB_SCREENSHOTS`` to a folder to keep screenshots of
the page before and after the click.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
MAP_IMAGE = ".jupyter-widgets .jp-RenderedImage img"  # the PNG inside the widget's Output
STARTUP_TIMEOUT_S = 60

# One cell: a run that JupyterLab drops halfway (while its session still connects) cannot leave
# the stepper's line without its import.
NOTEBOOK_CELLS = [
    "from ngcm_lab.widgets import ForecastStepper\n\n"
    'stepper = ForecastStepper("jablonowski_williamson", "T21", layers=2)\nstepper',
]
# The kernel in the status bar: "Python 3 (ipykernel) | Idle".
KERNEL_STATUS = re.compile(r"\(ipykernel\) \| (\w+)")
RUN_TIMEOUT_S = 240


def _requirements() -> object:
    """Playwright's sync API, or a pytest.skip saying how to install what is missing."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install it with `apt install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is missing: `pip install playwright` (or the `test` extra)")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_notebook(path: Path) -> None:
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for source in NOTEBOOK_CELLS
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook))


@contextlib.contextmanager
def running_jupyterlab(tmp_path: Path):
    """A JupyterLab server on a free local port, token disabled, serving a temp folder."""
    _write_notebook(tmp_path / "stepper.ipynb")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        MPLBACKEND="Agg",
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
    )
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--allow-root",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={tmp_path}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            log.close()
            raise RuntimeError(
                "JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:]
            )
        time.sleep(0.5)
    try:
        yield url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def jupyterlab(tmp_path):
    try:
        with running_jupyterlab(tmp_path) as url:
            yield url
    except RuntimeError as err:
        pytest.fail(str(err))


def _map_src(page) -> str | None:
    return page.evaluate(
        "(selector) => { const img = document.querySelector(selector);"
        " return img ? img.src : null; }",
        MAP_IMAGE,
    )


def test_step_button_changes_the_map_in_jupyterlab(jupyterlab, tmp_path):
    sync_playwright = _requirements()
    shots = os.environ.get("NGCM_LAB_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            before, after = _run_and_step(page, jupyterlab, shots, tmp_path)
        finally:
            browser.close()
    assert before and after and before.startswith("data:image/png")
    assert after != before


def _run_and_step(page, url: str, shots: str | None, tmp_path: Path) -> tuple[str, str]:
    """Open the notebook, run all cells, click Step; the map's image source before and after.
    On a failure the page's screenshot and text are kept in ``tmp_path`` and reported."""
    try:
        return _drive(page, url, shots)
    except Exception as err:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        text = page.evaluate("() => document.body.innerText")
        (tmp_path / "failure.txt").write_text(text)
        raise AssertionError(
            f"{err}\n--- page text (screenshot: {tmp_path / 'failure.png'}) ---\n{text[-3000:]}"
        ) from err


def _kernel_status(page) -> str | None:
    match = KERNEL_STATUS.search(page.evaluate("() => document.body.innerText"))
    return match.group(1) if match else None


def _menu(page, menu: str, item: str) -> None:
    try:
        page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click(timeout=5_000)
        page.locator(".lm-Menu-itemLabel", has_text=item).first.click(timeout=5_000)
    except Exception as err:  # a dialog opened over the menu: it is accepted next pass
        if type(err).__name__ != "TimeoutError":
            raise


def _drive(page, url: str, shots: str | None) -> tuple[str, str]:
    page.goto(f"{url}/lab/tree/stepper.ipynb")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    # Run → Run All Cells once the kernel says it is idle. While the session still connects,
    # JupyterLab may ask for a kernel (accept the preselected one), drop a run, or swap kernels
    # and leave the page on one that no longer exists ("Disconnected"): reload the page then.
    # Ask again whenever the cell is back at "[ ]:" with the kernel idle, and restart the kernel
    # and run again after an error.
    deadline = time.monotonic() + RUN_TIMEOUT_S
    last_run, lost_since = -math.inf, None
    while page.locator(MAP_IMAGE).count() == 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the stepper's map did not appear within {RUN_TIMEOUT_S} s")
        accept = page.locator(".jp-Dialog .jp-mod-accept")
        if accept.count() and accept.first.is_visible():
            accept.first.click()
            last_run = time.monotonic()
        status = _kernel_status(page)
        if status in (None, "Disconnected", "Dead", "Unknown"):  # None: no kernel shown
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since > 15:
                page.reload()
                page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
                last_run, lost_since = -math.inf, None
            page.wait_for_timeout(500)
            continue
        lost_since = None
        prompts = page.locator(".jp-Cell .jp-InputArea-prompt").all_inner_texts()
        waiting = not prompts or any(p.strip() in ("", "[ ]:") for p in prompts)
        failed = page.locator(".jp-OutputArea-output", has_text="Traceback").count() > 0
        if status == "Idle" and (failed or waiting) and time.monotonic() - last_run > 10:
            if failed:
                _menu(page, "Kernel", "Restart Kernel and Run All Cells")
            else:
                _menu(page, "Run", "Run All Cells")
            last_run = time.monotonic()
        page.wait_for_timeout(500)
    page.wait_for_function("() => document.body.innerText.includes('day 0, 00:00')")
    before = _map_src(page)
    if shots:
        page.screenshot(path=str(Path(shots) / "browser_before_step.png"), full_page=True)
    page.locator("button", has_text=re.compile(r"^\s*Step\s*$")).click()
    page.wait_for_function(
        "([selector, old]) => { const img = document.querySelector(selector);"
        " return img && img.src !== old; }",
        arg=[MAP_IMAGE, before],
        timeout=60_000,
    )
    page.wait_for_function("() => document.body.innerText.includes('day 0, 06:00')")
    after = _map_src(page)
    if shots:
        page.screenshot(path=str(Path(shots) / "browser_after_step.png"), full_page=True)
    return before, after


def test_skip_message_names_the_install_commands(monkeypatch):
    """Without Chromium the test is skipped with the apt command in the message."""
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    with pytest.raises(pytest.skip.Exception, match="apt install chromium"):
        _requirements()
