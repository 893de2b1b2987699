"""Survey figures (geo.survey) per level: the respondents are re-tabulated in the kernen and
wijkteam areas (placed, weighted to the area's population, estimated), not averaged."""

from __future__ import annotations

import pyogrio
import pytest


@pytest.fixture(scope="module")
def survey(atlas_dir):
    gpkg = atlas_dir / "atlas.gpkg"
    res = pyogrio.read_dataframe(gpkg, layer="results")
    lk = pyogrio.read_dataframe(gpkg, layer="levels")
    return res[res["source"] == "survey"], lk


def test_survey_figures_on_every_level(survey):
    rows, _ = survey
    for version in ("2016", "2020"):
        levels = set(rows.loc[rows["version"] == version, "level"])
        assert {"wijk", "kern", "wijkteam", "gemeente"} <= levels
    kern = rows[(rows["level"] == "kern") & (rows["status"] == "observed")]
    assert kern["n"].notna().all() and (kern["n"] >= 30).all()


def test_a_kerns_respondents_are_those_of_its_wijken(survey):
    rows, lk = survey
    checked = 0
    for version in ("2016", "2020"):
        to = lk[(lk["version"] == version) & (lk["level"] == "kern")].set_index(
            "wijk_code")["area_code"]
        wijk = rows[(rows["version"] == version) & (rows["level"] == "wijk")]
        wijk = wijk.assign(kern=wijk["unit_code"].map(to))
        n_wijk = wijk.groupby(["year", "variable", "kern"])["n"].sum()
        kern = rows[(rows["version"] == version) & (rows["level"] == "kern")].set_index(
            ["year", "variable", "unit_code"])["n"]
        kern.index.names = ["year", "variable", "kern"]
        joined = n_wijk.to_frame("wijken").join(kern.rename("kern"), how="inner")
        assert len(joined) > 0
        assert (joined["kern"] == joined["wijken"]).all()
        checked += len(joined)
    assert checked > 50
