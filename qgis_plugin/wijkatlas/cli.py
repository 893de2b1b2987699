"""Run the ``wijkatlas`` command line as a subprocess.

QGIS runs on its own Python, so the plugin never imports the engine (geopandas and friends):
every check goes through the command line. Which executable is used, first match wins:

1. the path given to the function (e.g. an algorithm parameter),
2. the plugin setting ``wijkatlas/cli_path``,
3. the environment variable ``WIJKATLAS_CLI``,
4. ``wijkatlas`` on ``PATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .i18n import tr

ENV_VAR = "WIJKATLAS_CLI"
DEFAULT_NAME = "wijkatlas"
TIMEOUT_S = 3600


class CliError(Exception):
    """The command line is not installed, refused its input or failed."""


@dataclass
class CliResult:
    """Outcome of one command-line run."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict | list:
        """Return stdout parsed as JSON.

        Raises
        ------
        CliError
            When stdout is not JSON (e.g. an older command line without ``--json``).
        """
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise CliError(tr("cli_bad_json", command=" ".join(self.args),
                              output=(self.stdout or self.stderr)[:500])) from exc


def _configured() -> str:
    try:
        from . import settings

        return settings.get("cli_path")
    except Exception:  # noqa: BLE001 - settings unavailable outside a QGIS application
        return ""


def find_cli(path: str | None = None) -> str:
    """Return the full path of the ``wijkatlas`` executable.

    Parameters
    ----------
    path
        An explicit executable (path or name); empty or ``None`` falls back to the plugin
        setting, then ``$WIJKATLAS_CLI``, then ``wijkatlas`` on ``PATH``.

    Raises
    ------
    CliError
        When the executable cannot be found, saying where it was looked for and how to
        install or configure it.
    """
    candidate = path or _configured() or os.environ.get(ENV_VAR, "") or DEFAULT_NAME
    candidate = os.path.expanduser(candidate)
    found = shutil.which(candidate)
    if found is None and Path(candidate).is_file() and os.access(candidate, os.X_OK):
        found = candidate
    if found is None:
        raise CliError(tr("cli_not_found", cli=candidate, env=ENV_VAR))
    return str(Path(found).resolve()) if os.sep in found else found


def run_cli(
    args: list[str],
    cli: str | None = None,
    root: str | None = None,
    ok_codes: tuple[int, ...] = (0,),
    feedback=None,
) -> CliResult:
    """Run ``wijkatlas [--root ROOT] ARGS`` and return its result.

    Parameters
    ----------
    args
        Arguments after the global options, e.g. ``["validate", "x.gpkg", "--json"]``.
    cli
        Executable to use (see :func:`find_cli`).
    root
        Atlas repository passed as ``--root`` (omitted when empty).
    ok_codes
        Exit codes that count as success (``validate`` exits 1 when it found errors).
    feedback
        Optional ``QgsProcessingFeedback``; the command is logged to it.

    Raises
    ------
    CliError
        When the executable is missing, or exits with a code not in ``ok_codes``; the message
        holds the command's own error output.
    """
    command = [find_cli(cli)]
    if root:
        command += ["--root", str(root)]
    command += [str(a) for a in args]
    if feedback is not None:
        feedback.pushCommandInfo(" ".join(command))
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                              encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CliError(tr("cli_not_runnable", cli=command[0], error=exc)) from exc
    except subprocess.TimeoutExpired as exc:
        raise CliError(tr("cli_timeout", command=" ".join(command), seconds=TIMEOUT_S)) from exc
    result = CliResult(command, proc.returncode, proc.stdout, proc.stderr)
    if proc.returncode not in ok_codes:
        message = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise CliError(tr("cli_failed", command=" ".join(command), code=proc.returncode,
                          message=message))
    return result
