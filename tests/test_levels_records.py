"""Register figures (geo.records) per level: counted from the records on the kernen and
wijkteams too, and protected across wijken, levels and versions together."""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest


@pytest.fixture(scope="module")
def tables(atlas_dir):
    gpkg = atlas_dir / "atlas.gpkg"
    res = pyogrio.read_dataframe(gpkg, layer="results")
    lk = pyogrio.read_dataframe(gpkg, layer="levels")
    ind = pyogrio.read_dataframe(gpkg, layer="indicators")
    return res[res["source"] == "records"], lk, ind


def test_register_figures_on_every_level(tables):
    rec, _, _ = tables
    for version in ("2016", "2020"):
        levels = set(rec.loc[rec["version"] == version, "level"])
        assert {"wijk", "kern", "wijkteam", "gemeente"} <= levels
    kern = rec[rec["level"] == "kern"]
    assert kern["unit_name"].isin(["Drunen", "Vlijmen"]).any()


def test_a_kerns_register_count_is_the_sum_of_its_wijken(tables):
    rec, lk, ind = tables
    counts = set(ind.loc[(ind["kind"] == "count") & (ind["small_label"].fillna("") != ""),
                         "code"])
    checked = 0
    for version in ("2016", "2020"):
        to = lk[(lk["version"] == version) & (lk["level"] == "kern")].set_index(
            "wijk_code")["area_code"]
        wijk = rec[(rec["version"] == version) & (rec["level"] == "wijk")
                   & rec["variable"].isin(counts)]
        wijk = wijk.assign(kern=wijk["unit_code"].map(to))
        kern = rec[(rec["version"] == version) & (rec["level"] == "kern")
                   & rec["variable"].isin(counts)].set_index(["year", "variable", "unit_code"])
        for (year, variable, code), group in wijk.groupby(["year", "variable", "kern"]):
            k = kern.loc[(year, variable, code)]
            if (group["status"] == "observed").all() and k["status"] == "observed":
                assert k["value"] == pytest.approx(group["value"].sum())
                checked += 1
    assert checked > 50


def test_no_small_wijk_count_follows_from_the_published_levels(tables):
    """Within a version, a small wijk count must not be the difference of published figures
    of the wijken, kernen, wijkteams and the gemeente (a linear combination of them)."""
    rec, lk, ind = tables
    counts = set(ind.loc[(ind["kind"] == "count") & (ind["small_label"].fillna("") != ""),
                         "code"])
    tested = 0
    for version in ("2016", "2020"):
        look = lk[lk["version"] == version]
        wijken = sorted(look.loc[look["level"] == "wijk", "wijk_code"])
        pos = {w: i for i, w in enumerate(wijken)}
        member = {}
        for (level, area), rows in look.groupby(["level", "area_code"]):
            vec = np.zeros(len(wijken))
            vec[[pos[w] for w in rows["wijk_code"]]] = 1.0
            member[(level, area)] = vec
        sub = rec[(rec["version"] == version) & rec["variable"].isin(counts)]
        for _, group in sub.groupby(["year", "variable"]):
            small = group[(group["level"] == "wijk") & (group["status"] == "small")]
            if small.empty:
                continue
            shown = group[group["status"] == "observed"]
            published = np.array([member[(lv, code)] for lv, code in
                                  zip(shown["level"], shown["unit_code"], strict=True)
                                  if (lv, code) in member])
            rank = np.linalg.matrix_rank(published) if len(published) else 0
            for code in small["unit_code"]:
                e = np.zeros(len(wijken))
                e[pos[code]] = 1.0
                assert np.linalg.matrix_rank(np.vstack([published, e]) if rank else e[None]) \
                    > rank, (version, code)
                tested += 1
    assert tested > 10


def test_register_rates_carry_numerator_and_denominator(tables):
    rec, _, ind = tables
    rates = set(ind.loc[ind["kind"].isin(["share", "ratio"])
                        & (ind["small_label"].fillna("") != ""), "code"])
    shown = rec[rec["variable"].isin(rates) & (rec["status"] == "observed")
                & (rec["value"] > 0)]
    assert len(shown) and shown["denominator"].notna().all()
    assert set(shown["level"]) >= {"wijk", "kern", "wijkteam"}
    for _, group in shown.groupby("variable"):
        per = group["value"] / (group["numerator"] / group["denominator"])
        assert np.allclose(per, per.iloc[0]) and round(per.iloc[0]) in (100, 1000, 10000)
