"""Shared fixtures: one real atlas build per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="session")
def atlas_dir(tmp_path_factory) -> Path:
    """A folder with ``atlas.gpkg`` and ``exports/`` built from the repository's sample."""
    from geo.atlas import build_atlas

    out = tmp_path_factory.mktemp("atlas")
    build_atlas(REPO, out)
    return out
