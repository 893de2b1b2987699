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
