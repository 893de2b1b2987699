"""Import directions: geo never imports the plugin; the plugin never imports the engine."""

from __future__ import annotations

import ast

from tests.helpers import REPO


def imported_modules(folder):
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield path, [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, [node.module]


def test_plugin_never_imports_the_engine_or_geopandas():
    banned = ("geo", "geopandas", "shapely", "pyogrio", "fiona", "pandas")
    for path, names in imported_modules(REPO / "qgis_plugin"):
        for name in names:
            assert name.split(".")[0] not in banned, f"{path} imports {name}"


def test_engine_never_imports_the_plugin_or_qgis():
    for path, names in imported_modules(REPO / "geo"):
        for name in names:
            assert name.split(".")[0] not in ("qgis", "qgis_plugin", "wijkatlas"), \
                f"{path} imports {name}"


def test_every_module_imports_on_its_own_and_the_cli_starts_light():
    """The public API is loaded lazily (geo/__init__.py), so no import order can hide a
    circular import: each module of the engine must import in a fresh set of geo modules.
    And ``import geo.cli`` must not pull in the whole engine (the command line's start-up)."""
    import subprocess
    import sys

    modules = sorted(
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in (REPO / "geo").rglob("*.py"))
    script = """
import importlib, sys
for name in sys.argv[1:]:
    for key in [k for k in sys.modules if k == "geo" or k.startswith("geo.")]:
        del sys.modules[key]
    importlib.import_module(name)
"""
    done = subprocess.run([sys.executable, "-c", script, *modules], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    light = """
import sys
import geo.cli
heavy = sorted(k for k in ("geo.atlas", "geo.survey", "geo.publish", "geopandas", "scipy")
               if k in sys.modules)
assert not heavy, heavy
"""
    done = subprocess.run([sys.executable, "-c", light], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
