"""Register figures in the web atlas: "< 5" and "afgeschermd" in tooltip and legend, drawn
distinctly, never as 0 or as missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pyogrio
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_atlas_browser import (  # noqa: E402
    MISSING_FILL,
    REPO,
    fills,
    hover,
    legend_rows,
    set_indicator,
    set_year,
)

from geo.maps import build_maps  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def real(atlas_dir, tmp_path_factory):
    from geo.maps.data import atlas_versions
    from geo.maps.specs import expand_specs, read_spec

    gpkg = atlas_dir / "atlas.gpkg"
    # the spec as drawn on index.html: "newest" resolved against the atlas's versions
    spec = expand_specs([read_spec(REPO / "maps" / "atlas.toml")], atlas_versions(gpkg))[0]
    pages = build_maps(gpkg, REPO / "maps", tmp_path_factory.mktemp("records_maps"))
    res = pyogrio.read_dataframe(gpkg, layer="results")
    res = res[(res["version"].astype(str) == spec.version) & (res["level"] == "wijk")
              & (res["source"] == "records")]
    inds = pyogrio.read_dataframe(gpkg, layer="indicators").set_index("code")
    return {"gpkg": gpkg, "spec": spec, "index": pages[0], "res": res, "inds": inds}


def _show(p, real, row):
    set_indicator(p.page, real["inds"].loc[row["variable"], "label"])
    set_year(p.page, int(row["year"]))
    return hover(p.page, real["gpkg"], row["unit_code"], real["spec"].version)


def test_small_count_shows_less_than_five(real, open_page):
    res, inds = real["res"], real["inds"]
    counts = set(inds.index[(inds["kind"] == "count") & (inds["threshold"] == 5)])
    small = res[(res["status"] == "small") & res["variable"].isin(counts)]
    assert len(small), "the sample registers have small counts"
    row = small.sort_values(["variable", "year"]).iloc[0]
    p = open_page(real["index"].as_uri())
    text = _show(p, real, row)
    assert f"< 5 {inds.loc[row['variable'], 'unit']}" in text  # e.g. "< 5 registraties"
    assert "geen gegevens" not in text and "\n0 " not in text
    legend = legend_rows(p.page)
    mine = [r for r in legend if r["status"] == "k"]
    assert mine and mine[0]["count"] >= 1
    assert "< 5" in p.page.locator("#wa-legend tr[data-status='k']").inner_text()
    fill = fills(p.page)[row["unit_code"]]
    assert fill not in (MISSING_FILL,) and fill == "#d9d9d9"
    assert p.console_errors == [] and p.js_errors == []
    p.shot("records_small")


def test_withheld_and_rates(real, open_page):
    res, inds = real["res"], real["inds"]
    withheld = res[res["status"] == "withheld"].sort_values(["variable", "year"])
    assert len(withheld)
    p = open_page(real["index"].as_uri())
    text = _show(p, real, withheld.iloc[0])
    assert "afgeschermd" in text
    assert "afgeschermd" in p.page.locator("#wa-legend").inner_text()
    rates = set(inds.index[inds["kind"] != "count"])
    small_rate = res[(res["status"] == "small") & res["variable"].isin(rates)]
    assert len(small_rate)
    text = _show(p, real, small_rate.iloc[0])
    assert "niet getoond: teller < 5" in text
    jobs = res[(res["status"] == "small") & (res["variable"] == "R_BANEN")]
    if len(jobs):  # a sum of jobs over fewer than 3 vestigingen is not "< 3 banen"
        text = _show(p, real, jobs.iloc[0])
        assert "< 3 vestigingen" in text and "< 3 banen" not in text
    assert p.console_errors == [] and p.js_errors == []
