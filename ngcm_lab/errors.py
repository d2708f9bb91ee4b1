"""The package's error classes: what front ends catch and report in one line.

Every mistake a user can make (a wrong name, an implausible input file, an output that would
destroy data, a checkpoint that does not fit its configuration) raises an `InputError`; a run that
fails on its own (a forecast that leaves physical bounds, training that diverges) raises a
`RunError`. Their messages name the problem and the fix in one sentence, so a front end prints
`error: {message}` and exits with `exit_code` (2 for bad input, 1 for a failed run, as Unix
tools do) — no traceback for an ordinary mistake. Both derive from familiar built-ins
(`ValueError`, `RuntimeError`) so library callers may catch those instead.
"""

from __future__ import annotations


class NgcmLabError(Exception):
    """Base class of the errors the package raises on purpose, with their exit code."""

    exit_code = 1


class InputError(NgcmLabError, ValueError):
    """The user's input is wrong: a name, a number, a file's contents or its place."""

    exit_code = 2


class OutputExistsError(InputError, FileExistsError):
    """Writing would replace an existing file or run that was not meant to be replaced."""


class CheckpointError(InputError):
    """A checkpoint directory cannot be read, or does not fit its configuration."""


class RunError(NgcmLabError, RuntimeError):
    """A run failed on its own: a forecast left physical bounds, training diverged."""

    exit_code = 1
