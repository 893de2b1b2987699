"""A small, untimed smoke run of the crosswalk benchmark (``python -m bench``)."""

from __future__ import annotations

import numpy as np

from bench.crosswalk_bench import APPLY, markdown, run
from bench.pairs import nested_pair, year_pair


def test_pairs_look_like_cbs_years():
    source, target = year_pair(300, seed=1, vertices=10, changed=0.1)
    unchanged = np.isin(source.geometry.to_wkb(), target.geometry.to_wkb()).mean()
    assert 0.8 <= unchanged < 1.0
    assert source.geometry.is_valid.all() and target.geometry.is_valid.all()
    np.testing.assert_allclose(source.area.sum(), target.area.sum(), rtol=1e-9)
    source, target = nested_pair(300, seed=1, vertices=10, per_target=5)
    assert len(target) == 60
    np.testing.assert_allclose(source.area.sum(), target.area.sum(), rtol=1e-9)


def test_bench_smoke(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.crosswalk_bench.CACHE", tmp_path / "cache")
    table = run(runs=1, n=150, cases=["voronoi ~6 vertices", APPLY], out=tmp_path / "r.md")
    assert table["agree"].all()
    text = (tmp_path / "r.md").read_text()
    assert "| case | tobler | wijkatlas | ratio | memory |" in text
    assert markdown(table, 1, 150).count("\n| ") == 3
