"""Area levels (kern, wijkteam, gemeente): declared as data, validated, and computed from the
inputs by kind, never as averages of wijk figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.atlas import load_year_inputs, read_config
from geo.catalog import load_catalog
from geo.errors import WijkatlasError
from geo.levels import compose_crosswalk, load_levels, read_levels
from geo.register import load_version
from tests.helpers import REPO, copy_repo

KERNEN = ["Drunen", "Vlijmen", "Nieuwkuijk", "Haarsteeg", "Elshout", "Heusden", "Oudheusden",
          "Andere kernen"]


@pytest.fixture(scope="module")
def results(atlas_dir) -> pd.DataFrame:
    return pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="results")


@pytest.fixture(scope="module")
def lookup(atlas_dir) -> pd.DataFrame:
    return pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="levels")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(read_config(REPO).catalog)


def _wijk_to(lookup, version, level):
    rows = lookup[(lookup["version"] == version) & (lookup["level"] == level)]
    return dict(zip(rows["wijk_code"], rows["area_code"], strict=True))


def test_sample_levels_on_both_versions(atlas_dir, lookup):
    gpkg = atlas_dir / "atlas.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    for version, n_wijken in (("2016", 14), ("2020", 15)):
        kern = pyogrio.read_dataframe(gpkg, layer=f"level_kern_{version}")
        assert kern["name"].tolist() == KERNEN
        assert kern["n_wijken"].sum() == n_wijken
        team = pyogrio.read_dataframe(gpkg, layer=f"level_wijkteam_{version}")
        assert len(team) == 3 and team["n_wijken"].sum() == n_wijken
        assert f"level_gemeente_{version}" in layers
        wijk = pyogrio.read_dataframe(gpkg, layer=f"wijkindeling_{version}")
        # the dissolved areas cover exactly the wijken
        assert np.isclose(kern.geometry.area.sum(), wijk.geometry.union_all().area, rtol=1e-6)
        assert set(_wijk_to(lookup, version, "kern")) == set(wijk["code"])
    # Geerpark/de Grassen (2020) belongs to Vlijmen like the Vliedberg it was carved from
    assert _wijk_to(lookup, "2020", "kern")["W15"] == _wijk_to(lookup, "2020", "kern")["W08"]


def test_a_kerns_count_is_the_sum_of_its_wijken(results, lookup, catalog):
    counts = [c for c in catalog.indicators if catalog[c].kind == "count"]
    checked = 0
    for version in ("2016", "2020"):
        for level in ("kern", "wijkteam", "gemeente"):
            to = _wijk_to(lookup, version, level)
            wijk = results[(results["version"] == version) & (results["level"] == "wijk")
                           & results["variable"].isin(counts)
                           & (results["status"] == "observed")]
            summed = (wijk.assign(area=wijk["unit_code"].map(to))
                      .groupby(["year", "variable", "area"])
                      .agg(value=("value", "sum"), n=("value", "size")))
            n_wijken = pd.Series(to).value_counts()
            complete = summed[summed["n"].to_numpy() ==
                              n_wijken.reindex(summed.index.get_level_values("area")).to_numpy()]
            got = (results[(results["version"] == version) & (results["level"] == level)]
                   .set_index(["year", "variable", "unit_code"])["value"])
            got.index.names = ["year", "variable", "area"]
            joined = complete.join(got.rename("level_value"), how="inner")
            assert len(joined) == len(complete) > 0
            np.testing.assert_allclose(joined["level_value"], joined["value"], rtol=1e-9)
            checked += len(joined)
    assert checked > 2000


def test_a_kerns_share_is_numerator_over_denominator_not_a_mean_of_wijken(results, lookup):
    differ = 0
    for version in ("2016", "2020"):
        to = _wijk_to(lookup, version, "kern")
        wijk = results[(results["version"] == version) & (results["level"] == "wijk")
                       & (results["variable"] == "P_65_EO_JR")
                       & results["status"].isin(["observed", "partial"])]
        wijk = wijk.assign(kern=wijk["unit_code"].map(to))
        per_kern = wijk.groupby(["year", "kern"]).agg(
            num=("numerator", "sum"), den=("denominator", "sum"), mean=("value", "mean"))
        # numerator is persons 65+ (share x inhabitants / 100)
        np.testing.assert_allclose(wijk["numerator"] / wijk["denominator"] * 100,
                                   wijk["value"], rtol=1e-9)
        kern = (results[(results["version"] == version) & (results["level"] == "kern")
                        & (results["variable"] == "P_65_EO_JR")]
                .set_index(["year", "unit_code"]))
        kern.index.names = ["year", "kern"]
        joined = per_kern.join(kern[["value", "numerator", "denominator"]], how="inner")
        assert len(joined) == len(per_kern) > 0
        np.testing.assert_allclose(joined["value"], joined["num"] / joined["den"] * 100,
                                   rtol=1e-9)
        np.testing.assert_allclose(joined["value"],
                                   joined["numerator"] / joined["denominator"] * 100, rtol=1e-9)
        differ += int((np.abs(joined["value"] - joined["mean"]) > 0.1).sum())
    assert differ > 10  # averaging wijk percentages would give other figures


def test_kern_share_from_the_source_buurten(results, catalog):
    """Version 2016 is a union of the 2016 buurten: Drunen's share of 65+ in 2016 is the
    buurten's persons 65+ over their inhabitants, straight from the Kerncijfers file."""
    config = read_config(REPO)
    values = {i.year: i.values for i in load_year_inputs(config, catalog)}[2016]
    units = load_version(REPO, "2016").units
    levels = load_levels(REPO, "2016", units["code"])
    kern = levels.get("kern")
    buurten = [b for code, bs in zip(units["code"], units["buurten"], strict=True)
               if kern.lookup[code] == "K01" for b in bs]
    wide = values[values["code"].isin(buurten)].pivot(index="code", columns="variable",
                                                     values="value")
    expected = (wide["P_65_EO_JR"] * wide["AANT_INW"]).sum() / wide["AANT_INW"].sum()
    got = results[(results["version"] == "2016") & (results["level"] == "kern")
                  & (results["unit_code"] == "K01") & (results["year"] == 2016)
                  & (results["variable"] == "P_65_EO_JR")]["value"].item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_the_gemeente_level_equals_the_source_totals(results, catalog):
    config = read_config(REPO)
    inputs = load_year_inputs(config, catalog)
    counts = [c for c in catalog.indicators if catalog[c].kind == "count"]
    checked = 0
    for item in inputs:
        src = item.values
        for version in ("2016", "2020"):
            gem = results[(results["version"] == version) & (results["level"] == "gemeente")
                          & (results["year"] == item.year)].set_index("variable")
            for variable in counts:
                rows = src[src["variable"] == variable]
                if rows.empty or (rows["status"] != "observed").any():
                    continue
                assert gem.loc[variable, "value"] == pytest.approx(rows["value"].sum(),
                                                                   rel=1e-9)
                checked += 1
            x = src[src["variable"] == "P_65_EO_JR"].set_index("code")["value"]
            d = src[src["variable"] == "AANT_INW"].set_index("code")["value"]
            if len(x) and x.notna().all():
                assert gem.loc["P_65_EO_JR", "value"] == pytest.approx(
                    (x * d).sum() / d.sum(), rel=1e-9)
    assert checked > 200
    # and the real CBS gemeente totals of 2019 that the sample reproduces
    kwb = pd.read_csv(REPO / "layers" / "cbs" / "kwb_2019_gemeente_GM0797.csv").iloc[0]
    gem = results[(results["level"] == "gemeente") & (results["year"] == 2019)]
    for version in ("2016", "2020"):
        g = gem[gem["version"] == version].set_index("variable")["value"]
        for code, column in (("AANT_INW", "population"), ("AANT_MAN", "men"),
                             ("A_00_14", "b_00_14"), ("A_65_OO", "b_65_oo")):
            assert g[code] == pytest.approx(kwb[column], abs=1e-6)


def test_level_values_and_parts_agree_for_every_kind(results, catalog):
    shown = results[results["status"].isin(["observed", "partial"])]
    for kind in ("share", "mean", "density", "ratio"):
        variables = [c for c in catalog.indicators if catalog[c].kind == kind]
        part = shown[shown["variable"].isin(variables) & (shown["denominator"] > 0)]
        per = part["variable"].map({c: catalog[c].per if kind in ("share", "ratio") else 1.0
                                    for c in variables})
        np.testing.assert_allclose(part["numerator"] / part["denominator"] * per,
                                   part["value"], rtol=1e-9)
    counts = shown[shown["variable"] == "AANT_INW"]
    assert counts["numerator"].isna().all()


def test_composed_weights_sum_to_one_and_whole_sources_are_exact():
    cw = pd.DataFrame({"source_code": ["B1", "B1", "B2", "B2", "B3"],
                       "target_code": ["W1", "W2", "W2", "W3", "W3"],
                       "weight": [0.25, 0.75, 0.5, 0.5, 1.0],
                       "method": ["address", "address", "area", "area", "exact"]})
    out = compose_crosswalk(cw, {"W1": "K1", "W2": "K1", "W3": "K2"})
    got = {(r.source_code, r.target_code): (r.weight, r.method) for r in out.itertuples()}
    assert got == {("B1", "K1"): (1.0, "exact"), ("B2", "K1"): (0.5, "area"),
                   ("B2", "K2"): (0.5, "area"), ("B3", "K2"): (1.0, "exact")}


# --- validation -------------------------------------------------------------------------------

GOOD = """
[[level]]
id = "kern"
label = "Kernen"
areas = [{ code = "K1", name = "Noord" }, { code = "K2", name = "Zuid" }]
[level.wijken]
W1 = "K1"
W2 = "K1"
W3 = "K2"
"""


def _levels(tmp_path, text):
    path = tmp_path / "levels.toml"
    path.write_text(text, encoding="utf-8")
    return read_levels(path, "2024", ["W1", "W2", "W3"])


def test_a_good_file_reads(tmp_path):
    levels = _levels(tmp_path, GOOD)
    assert levels.ids() == ["wijk", "kern"]
    assert levels.get("kern").geolevel == "kern2024"
    assert levels.get("kern").lookup == {"W1": "K1", "W2": "K1", "W3": "K2"}


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace('W3 = "K2"\n', ""), "wijk W3 is in no area"),
    (lambda t: t + 'W1 = "K2"\n', "not valid TOML"),  # a wijk in two areas
    (lambda t: t + 'W9 = "K2"\n', "wijk W9 is not a unit of version 2024"),
    (lambda t: t.replace('W3 = "K2"', 'W3 = "K7"'), "area 'K7', which the level does not"),
    (lambda t: t.replace('code = "K2"', 'code = "K1"'), "area code K1 is used twice"),
    (lambda t: t.replace('"Zuid"', '"noord"'), "area name 'noord' is used twice"),
    (lambda t: t.replace('W3 = "K2"', 'W3 = "K1"'), "area K2 has no wijk"),
    (lambda t: t.replace('id = "kern"', 'id = "Kern 1"'), "is not a lower-case code"),
    (lambda t: t.replace('id = "kern"', 'id = "wijk"'), "used twice"),
    (lambda t: t + '[[level]]\nid = "kern"\nlabel = "x"\n', "used twice"),
    (lambda t: t.replace('"Noord"', '""'), "name is missing"),
    (lambda t: t.replace('id = "kern"', 'id = "kern"\ngeolevel = "Kern 2024"'),
     "is not a code of a-z"),
])
def test_bad_levels_are_refused_with_one_clear_line(tmp_path, edit, expected):
    with pytest.raises(WijkatlasError) as info:
        _levels(tmp_path, edit(GOOD))
    message = info.value.message
    assert expected in message
    assert "levels.toml" in message and "Fix:" in message and "\n" not in message


def test_star_maps_every_wijk_of_a_one_area_level(tmp_path):
    levels = _levels(tmp_path, '[[level]]\nid = "gemeente"\nlabel = "Gemeente"\n'
                               'areas = [{ code = "GM9999", name = "X" }]\n'
                               '[level.wijken]\n"*" = "GM9999"\n')
    assert set(levels.get("gemeente").lookup.values()) == {"GM9999"}
    assert len(levels.get("gemeente").lookup) == 3


def test_build_refuses_a_broken_levels_file_and_keeps_the_atlas(tmp_path):
    from typer.testing import CliRunner

    from geo.cli import app

    root = copy_repo(tmp_path / "repo")
    path = root / "boundaries" / "2016" / "levels.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('W14 = "K08"\n', ""),
                    encoding="utf-8")
    out = tmp_path / "build"
    result = CliRunner().invoke(app, ["--root", str(root), "build", "--out", str(out),
                                      "--no-maps"])
    assert result.exit_code == 2
    assert "wijk W14 is in no area" in result.output and "levels.toml" in result.output
    assert not (out / "atlas.gpkg").exists()


def test_levels_survive_a_draft_edit(tmp_path):
    from geo.register import draft_version, reassign_buurten, rename_draft
    from geo.sources import load_cbs_buurten

    root = copy_repo(tmp_path / "repo")
    draft_version(root, "2016b", "2016", valid_from="2024-01-01")
    (root / "boundaries" / "2016b" / "levels.toml").write_text(
        (root / "boundaries" / "2016" / "levels.toml").read_text(encoding="utf-8"),
        encoding="utf-8")
    buurten = load_cbs_buurten(root / "layers" / "cbs" / "cbs_buurten_2016_GM0797.geojson", 2016)
    reassign_buurten(root, "2016b", {"BU07970900": "W13"}, buurten)
    assert (root / "boundaries" / "2016b" / "levels.toml").exists()
    rename_draft(root, "2016b", "2016c")
    assert (root / "boundaries" / "2016c" / "levels.toml").exists()
