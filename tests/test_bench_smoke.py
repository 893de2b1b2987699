"""A small, untimed smoke run of the benchmark (``python -m bench``), seconds long."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.__main__ import NOTES, main
from bench.country import country_run
from bench.crosswalk_bench import APPLY, FULL, markdown, run
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
    cases = ["voronoi ~6 vertices", APPLY, FULL]
    table = run(runs=1, n=150, cases=cases, out=tmp_path / "r.md")
    # The engine's public path agrees with tobler, also the full long-table path.
    assert table["agree"].all() and (table["max_rel_diff"] <= 1e-6).all()
    full = table.set_index("case").loc[FULL]
    assert pd.isna(full["ratio"]) and full["wijkatlas_mb"] >= full["wijkatlas_loaded_mb"]
    text = (tmp_path / "r.md").read_text()
    assert "| case | tobler | wijkatlas | ratio | loaded | peak memory | memory over inputs" in text
    assert f"| {FULL} | - |" in text
    assert markdown(table, 1, 150).count("\n| ") == 1 + len(cases)


def test_country_run_goes_through_the_command_line(tmp_path):
    out = tmp_path / "country.csv"
    figures = country_run(out, n=200, variables=4, cache=tmp_path / "cache")
    result = pd.read_csv(out)
    assert {"code", "variable", "value", "status", "lower", "upper"} <= set(result.columns)
    assert sorted(result["variable"].unique()) == ["V000", "V001", "V002", "V003"]
    assert figures["max_rel_diff"] < 1e-9 and figures["peak_mb"] > 0


def test_command_reruns_keep_hand_written_notes(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.crosswalk_bench.CACHE", tmp_path / "cache")
    out = tmp_path / "results.md"
    out.write_text(f"old table\n\n{NOTES}\nwhere the time goes\n")
    main(["--runs", "1", "--n", "100", "--case", APPLY, "--out", str(out)])
    text = out.read_text()
    assert "old table" not in text and f"| {APPLY} |" in text
    assert text.endswith(f"{NOTES}\nwhere the time goes\n")


def test_records_bench_smoke(tmp_path):
    """The register bench's two tools at toy size (in this process): their counts agree."""
    import json

    from bench.records_bench import _agree, worker

    for case in ("points", "addresses"):
        got = {}
        for tool in ("geopandas", "wijkatlas"):
            out = tmp_path / f"{tool}_{case}.json"
            worker(tool, case, n=20_000 if case == "points" else 4_000, units_n=200, out=out)
            assert json.loads(out.read_text())["seconds"] > 0
            got[tool] = pd.read_csv(out.with_suffix(".csv"), dtype={"unit_code": str})
        agree, published, _ = _agree(got["wijkatlas"], got["geopandas"])
        assert agree and published > 0, case
