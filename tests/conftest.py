"""Shared fixtures: one real atlas build per test session.

This file is also loaded by Debian's Python for tests/qgis, where the engine's packages
(geopandas ...) are not installed: import them inside fixtures only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def atlas_dir(tmp_path_factory) -> Path:
    """A folder with ``atlas.gpkg`` and ``exports/`` built from the repository's sample."""
    from geo.atlas import build_atlas

    out = tmp_path_factory.mktemp("atlas")
    build_atlas(REPO, out)
    return out


@pytest.fixture(scope="session")
def hostile_atlas(tmp_path_factory) -> dict:
    """A small atlas built (with maps) from wijk, version and title names that are template
    and formula payloads (tests/hostile.py); one build for the whole session."""
    import hostile

    return hostile.build_hostile(tmp_path_factory.mktemp("hostile"))
