"""QGIS test session: one QgsApplication (offscreen), the plugin on sys.path, fixtures.

Run with Debian's Python (``QT_QPA_PLATFORM=offscreen /usr/bin/python3 -m pytest tests/qgis``);
nothing from the project's virtual env is imported here. Without QGIS the tests are skipped,
except under CI (env ``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN_ROOT = REPO / "qgis_plugin"
HERE = Path(__file__).resolve().parent
QGIS_PLUGINS = Path("/usr/share/qgis/python/plugins")  # Debian: the processing plugin
IN_CI = bool(os.environ.get("CI"))

for extra in (PLUGIN_ROOT, HERE, QGIS_PLUGINS):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WIJKATLAS_LANG", "nl")


def missing(reason: str) -> None:
    """Skip the test, or fail it under CI (no test may be skipped for a missing tool)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI: not skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def qgis_app():
    """Start QGIS once per session (own temp profile) and exit it cleanly."""
    if any(".venv" in p for p in sys.path):
        pytest.fail("tests/qgis must run under /usr/bin/python3 without the project venv")
    try:
        from qgis.core import QgsApplication, QgsProject
    except ImportError as exc:
        missing(f"QGIS Python bindings not available ({exc}); install python3-qgis")
    profile = tempfile.mkdtemp(prefix="wijkatlas-qgis-profile-")
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], True, profile)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    yield app
    QgsProject.instance().removeAllMapLayers()
    QgsProject.instance().clear()
    Processing.deinitialize()
    app.processEvents()
    app.exitQgis()


@pytest.fixture(autouse=True)
def clean_project():
    """Start every test with an empty project."""
    from qgis.core import QgsProject

    QgsProject.instance().clear()
    yield
    QgsProject.instance().removeAllMapLayers()
    QgsProject.instance().clear()


def _runs(cli: Path, *args: str) -> bool:
    try:
        return subprocess.run([str(cli), *args], capture_output=True, timeout=120).returncode == 0
    except OSError:
        return False


@pytest.fixture(scope="session")
def cli() -> str:
    """The real ``wijkatlas`` command line ($WIJKATLAS_CLI or the repository's venv)."""
    path = Path(os.environ.get("WIJKATLAS_CLI") or REPO / ".venv" / "bin" / "wijkatlas")
    if not _runs(path, "--help"):
        missing(f"the wijkatlas command line {path} does not run; run 'make venv'")
    return str(path)


@pytest.fixture(scope="session")
def atlas_path(tmp_path_factory) -> Path:
    """An atlas GeoPackage: the real ``wijkatlas build`` when available, else a fixture.

    The fixture (``atlas_fixture.py``) follows the same contract; it is used only while the
    engine cannot build the atlas yet.
    """
    if os.environ.get("WIJKATLAS_TEST_ATLAS"):  # a prebuilt atlas, e.g. build/atlas.gpkg
        return Path(os.environ["WIJKATLAS_TEST_ATLAS"]).resolve()
    out = tmp_path_factory.mktemp("atlas")
    path = Path(os.environ.get("WIJKATLAS_CLI") or REPO / ".venv" / "bin" / "wijkatlas")
    problem = "the wijkatlas command line has no build command"
    if _runs(path, "build", "--help"):
        proc = subprocess.run([str(path), "--root", str(REPO), "build", "--out", str(out),
                               "--no-maps"], capture_output=True, text=True, timeout=900)
        if proc.returncode == 0:
            return out / "atlas.gpkg"
        problem = f"wijkatlas build failed: {proc.stderr[-2000:]}"
    if IN_CI:
        pytest.fail(f"{problem} (CI needs the real atlas)", pytrace=False)
    warnings.warn(f"{problem}; using the contract fixture atlas instead", stacklevel=1)
    from atlas_fixture import write_atlas

    write_atlas(out / "atlas.gpkg")
    return out / "atlas.gpkg"


@pytest.fixture(scope="session")
def provider(qgis_app):
    """The wijkatlas Processing provider, registered once."""
    from qgis.core import QgsApplication
    from wijkatlas.processing_provider.provider import WijkatlasProvider

    registry = QgsApplication.processingRegistry()
    if registry.providerById("wijkatlas") is None:
        registry.addProvider(WijkatlasProvider())
    yield registry.providerById("wijkatlas")


@pytest.fixture
def failing_cli(tmp_path) -> str:
    """A stand-in executable that refuses its input like the CLI does (exit 2, stderr)."""
    script = tmp_path / "wijkatlas"
    script.write_text("#!/bin/sh\necho 'error: units.gpkg: no CRS. Fix: set the CRS.' >&2\n"
                      "exit 2\n")
    script.chmod(0o755)
    return str(script)
