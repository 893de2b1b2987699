"""The sample survey editions in the atlas (one build per session, ``atlas_dir``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.units import RESULT_COLUMNS

REPO = Path(__file__).resolve().parent.parent
SURVEY_CODES = ["P_VRIJWIL", "P_LID_VER", "C_WOONOMG", "P_TEVR_GR", "P_VERLOED", "P_ONVEILIG"]
EDITIONS = [2008, 2011, 2013, 2016, 2019]


@pytest.fixture(scope="module")
def survey(atlas_dir):
    res = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="results")
    return res[res["source"] == "survey"].copy()


def test_every_edition_on_both_versions_with_n_interval_status(survey):
    assert list(survey.columns[:len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert set(survey["version"]) == {"2016", "2020"}
    assert sorted(survey["year"].unique()) == EDITIONS
    assert set(SURVEY_CODES) <= set(survey["variable"])
    observed = survey[survey["status"] == "observed"]
    assert (observed["lower"] < observed["value"]).all()
    assert (observed["value"] < observed["upper"]).all()
    assert (observed["n"] >= 30).all()
    few = survey[survey["status"] == "too_few"]
    assert few["value"].isna().all() and (few["n"] < 30).all()
    assert (few["reason"] == "n < 30").all()
    # indicative under 100 valid answers
    ind = observed[observed["n"] < 100]
    assert (ind["approximate"] == 1).all() and ind["reason"].str.startswith("indicatief").all()
    first = survey[survey["year"] == 2008]
    assert (first["significance"].fillna("") == "").all()
    later = survey[(survey["year"] > 2008) & (survey["level"] == "wijk")
                   & (survey["status"] == "observed")]
    assert later["significance"].isin(["significant gestegen", "significant gedaald",
                                       "geen significante verandering", ""]).all()
    assert (later["significance"] != "").mean() > 0.8


def test_retabulation_same_respondents_on_2016_and_2020(survey):
    wijk = survey[survey["level"] == "wijk"]
    n = wijk.groupby(["version", "year", "variable"])["n"].sum().unstack("version")
    assert (n["2016"] == n["2020"]).all()
    gem = survey[survey["level"] == "gemeente"].pivot_table(
        index=["year", "variable"], columns="version", values=["value", "lower", "upper", "n"])
    for column in ("value", "lower", "upper", "n"):
        assert np.allclose(gem[(column, "2016")], gem[(column, "2020")], rtol=1e-6), column
    # the gemeente n is the sum of the wijk n's
    gem_n = gem[("n", "2020")]
    assert np.array_equal(gem_n.to_numpy(), n["2020"].reindex(gem_n.index).to_numpy())


def test_geerpark_2016_figures_on_the_2020_version(survey):
    geer = survey[(survey["version"] == "2020") & (survey["unit_name"] == "Geerpark/de Grassen")]
    assert set(geer["year"]) == set(EDITIONS)
    y2016 = geer[geer["year"] == 2016]
    assert (y2016["n"] >= 30).all() and (y2016["status"] == "observed").all()
    assert (geer[geer["year"] == 2008]["status"] == "too_few").all()  # a handful of houses
    assert "Geerpark/de Grassen" not in set(survey[survey["version"] == "2016"]["unit_name"])


def test_old_buurt_share_modelling_is_gone(atlas_dir):
    catalog = tomllib.loads((REPO / "geo/data/indicators.toml").read_text(encoding="utf-8"))
    assert not set(SURVEY_CODES) & {i["code"] for i in catalog["indicator"]}
    header = (REPO / "layers/kerncijfers/kerncijfers_2019_GM0797.csv").read_text().split("\n")[0]
    assert not set(SURVEY_CODES) & set(header.split(","))
    res = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="results")
    cbs = res[res["source"] == "cbs"]
    assert not set(SURVEY_CODES) & set(cbs["variable"])
    inds = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="indicators").set_index("code")
    assert inds.loc["P_ONVEILIG", "theme"] == "veiligheid"
    assert "bewonersenquête" in inds.loc["P_ONVEILIG", "source"]
    assert "synthetisch" in inds.loc["P_ONVEILIG", "source"]


def test_trend_table_says_whether_the_change_is_significant(atlas_dir):
    trend = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="trend_2020")
    rows = trend[trend["variable"] == "P_ONVEILIG"]
    assert "W01" in set(rows["unit_code"])
    assert rows["significance"].isin(["significant gestegen", "significant gedaald",
                                      "geen significante verandering", ""]).all()
    assert (rows["significance"] != "").mean() > 0.8  # first -> last edition, per wijk
    assert (trend.loc[trend["variable"] == "AANT_INW", "significance"] == "").all()
    assert rows["y2019"].notna().any() and rows["y2009"].isna().all()


def test_design_effect_and_effective_n_per_unit(atlas_dir):
    w = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="survey_weights")
    assert {"version", "year", "level", "unit_code", "n", "population", "method", "deff",
            "n_eff"} <= \
        set(w.columns)
    ok = w[w["method"] == "rake"]
    assert (ok["deff"] >= 1 - 1e-9).all() and (ok["deff"] < 5).all()
    assert np.allclose(ok["n_eff"], ok["n"] / ok["deff"])
    assert set(w["version"]) == {"2016", "2020"} and sorted(w["year"].unique()) == EDITIONS


def test_unplaced_respondents_are_reported(atlas_dir):
    report = pd.read_csv(atlas_dir / "exports" / "enquete_niet_geplaatst.csv")
    assert set(report["reason"]) >= {"geen locatie", "adres niet gevonden", "buiten de gemeente"}
    per = report[report["version"] == 2020].groupby("year").size()
    assert (per > 0).all() and (per < 60).all()
