"""The package works installed: build the wheel, install it in a fresh virtual environment
(uv, from its cache) and run ``wijkatlas reaggregate`` in an empty folder, away from the
repository (no ``layers/``, no source tree on the path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests import broken
from tests.helpers import REPO

UV = Path(sys.executable).parent / "uv"


def run(*args, cwd=None, env=None, timeout=300):
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_wheel_installs_and_reaggregates_in_an_empty_folder(tmp_path):
    uv = str(UV) if UV.exists() else shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed; `make venv` installs it")
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the repository
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "geo", src / "geo",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built = run(uv, "build", "--wheel", "--out-dir", tmp_path / "dist", src)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("wijkatlas-*.whl"))
    venv = tmp_path / "venv"
    made = run(uv, "venv", "-q", venv, "--python", sys.executable)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    install = run(uv, "pip", "install", "-q", "--offline", "--python", python, wheel)
    if install.returncode != 0:  # not everything in uv's cache yet: use the index
        install = run(uv, "pip", "install", "-q", "--python", python, wheel)
    assert install.returncode == 0, install.stderr[-2000:]

    inputs = broken.good_inputs(tmp_path / "inputs")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WIJKATLAS_ROOT")}
    res = run(venv / "bin" / "wijkatlas", "reaggregate", "--source", inputs["src"],
              "--source-code", "statcode", "--values", inputs["values"], "--target",
              inputs["tgt"], "--target-code", "code", "--out", "result.csv", cwd=empty,
              env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    table = pd.read_csv(empty / "result.csv")
    inw = table[table["variable"] == "AANT_INW"]
    source_total = pd.read_csv(inputs["values"])["AANT_INW"].sum()
    assert len(inw) == 15 and inw["value"].sum() == pytest.approx(source_total)
    # The catalog came from the installed package data (no repository on the path).
    installed = list(venv.glob("lib/python3*/site-packages/geo/data/indicators.toml"))
    assert len(installed) == 1
