"""The incijfers (Swing) export, its checker, and the open data per level."""

from __future__ import annotations

import csv
import io
import shutil

import numpy as np
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.publish.incijfers import (
    MISSING,
    SUPPRESSED,
    check_export,
    export_tables,
    write_incijfers,
)
from geo.publish.opendata import CSV_FILE, GPKG_FILE, README_FILE


def _read(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=";"))


@pytest.fixture(scope="module")
def results(atlas_dir) -> pd.DataFrame:
    return pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="results")


@pytest.mark.parametrize("version", ["2016", "2020"])
def test_the_build_writes_a_valid_export_per_version(atlas_dir, version):
    folder = atlas_dir / "incijfers" / version
    assert check_export(folder) == []
    rows = _read(folder / "data.csv")
    assert rows[0][:3] == ["period", "geolevel", "geoitem"]
    geolevels = {r[1] for r in rows[1:]}
    assert geolevels == {f"wijk{version}", f"kern{version}", f"wijkteam{version}", "gemeente"}
    # one row per period and area of the atlas: 14 CBS years x (wijken + 8 kernen + 3
    # wijkteams + gemeente), and the register years beyond them
    res = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="results")
    res = res[res["version"] == version]
    assert len(rows) - 1 == len(res[["year", "level", "unit_code"]].drop_duplicates())
    n_wijken = 15 if version == "2020" else 14
    cbs = res[res["source"] == "cbs"]
    assert len(cbs[["year", "level", "unit_code"]].drop_duplicates()) == 14 * (
        n_wijken + 8 + 3 + 1)
    meta = _read(folder / "metadata.csv")
    assert meta[0] == ["Onderwerpcode", "Naam", "Beschrijving", "Eenheid", "Bron"]
    codes = [m[0] for m in meta[1:]]
    assert codes == rows[0][3:]
    for share in ("p_65_eo_jr", "p_koopwon"):
        assert {f"{share}_teller", f"{share}_noemer"} <= set(codes)
    assert {"woz_teller", "woz_gewicht", "bev_dichth_teller", "bev_dichth_noemer"} <= set(codes)


def test_every_exported_value_matches_the_atlas(atlas_dir, results):
    folder = atlas_dir / "incijfers" / "2020"
    rows = _read(folder / "data.csv")
    header = rows[0]
    data = pd.DataFrame(rows[1:], columns=header)
    lk = pyogrio.read_dataframe(atlas_dir / "atlas.gpkg", layer="levels")
    lk = lk[lk["version"] == "2020"]
    level_of = dict(zip(lk["geolevel"], lk["level"], strict=False))
    long = data.melt(id_vars=["period", "geolevel", "geoitem"], var_name="code",
                     value_name="cell")
    long["cell"] = long["cell"].astype(float)
    long["level"] = long["geolevel"].map(level_of)
    long["year"] = long["period"].astype(int)
    res = results[results["version"] == "2020"].copy()
    res["code"] = res["variable"].str.lower()
    parts = []
    for column, suffixes in (("value", [""]), ("numerator", ["_teller"]),
                             ("denominator", ["_noemer", "_gewicht"])):
        for suffix in suffixes:
            parts.append(res.assign(code=res["code"] + suffix, expected=res[column]))
    expected = pd.concat(parts)
    merged = long.merge(expected, left_on=["year", "level", "geoitem", "code"],
                        right_on=["year", "level", "unit_code", "code"], how="left")
    # every cell of the export is a figure (or a part of one) of the atlas, or -99999 where
    # the atlas has no figure for that year and area
    assert len(merged) == len(long)
    assert (merged.loc[merged["status"].isna(), "cell"] == MISSING).all()
    known = merged[merged["status"].notna()]
    assert len(known) > 0.8 * len(merged)
    shown = known[known["status"].isin(["observed", "partial"]) & known["expected"].notna()]
    np.testing.assert_allclose(shown["cell"], shown["expected"], rtol=1e-9, atol=1e-6)
    withheld = known[known["status"].isin(["suppressed", "too_few", "small", "withheld"])]
    assert (withheld["cell"] == SUPPRESSED).all() and len(withheld) > 0
    missing = known[known["status"] == "missing"]
    assert (missing["cell"] == MISSING).all() and len(missing) > 0
    # percentages 0-100 on every level
    pct = known[(known["code"] == "p_65_eo_jr") & (known["cell"] > -99990)]
    assert pct["cell"].between(0, 100).all() and set(pct["level"]) == {
        "wijk", "kern", "wijkteam", "gemeente"}


def _broken(atlas_dir, tmp_path, edit_header=None, edit_row=None, column=None):
    folder = tmp_path / "export"
    shutil.copytree(atlas_dir / "incijfers" / "2020", folder)
    rows = _read(folder / "data.csv")
    if edit_header:
        rows[0] = edit_header(rows[0])
    if edit_row:
        j = rows[0].index(column) if column else None
        rows[5] = edit_row(rows[5], j)
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    (folder / "data.csv").write_text(buf.getvalue(), encoding="utf-8")
    return folder


def _set(row, j, value):
    row = list(row)
    row[j] = value
    return row


@pytest.mark.parametrize(("kind", "expected"), [
    ("capital", "indicator code 'AANT_INW' has a capital letter"),
    ("space", "indicator code 'aant inw' has a space"),
    ("period", "period '2020-01' is not a year"),
    ("geolevel", "the geolevel is missing"),
    ("percentage", "p_65_eo_jr = 104.2 is a percentage outside 0-100"),
    ("number", "aant_inw = '1.234,5' is not a number"),
    ("duplicate", "the same period and area as line"),
])
def test_the_checker_fails_broken_files_with_a_clear_line(atlas_dir, tmp_path, kind, expected):
    edits = {
        "capital": {"edit_header": lambda h: [c.upper() if c == "aant_inw" else c for c in h]},
        "space": {"edit_header": lambda h: ["aant inw" if c == "aant_inw" else c for c in h]},
        "period": {"edit_row": lambda r, j: _set(r, 0, "2020-01")},
        "geolevel": {"edit_row": lambda r, j: _set(r, 1, "")},
        "percentage": {"edit_row": lambda r, j: _set(r, j, "104.2"), "column": "p_65_eo_jr"},
        "number": {"edit_row": lambda r, j: _set(r, j, "1.234,5"), "column": "aant_inw"},
        "duplicate": {"edit_row": lambda r, j: _set(r, 2, "W01") if r[1].startswith("wijk")
                      else r},
    }
    folder = _broken(atlas_dir, tmp_path, **edits[kind])
    problems = check_export(folder)
    assert problems, kind
    assert any(expected in p for p in problems), problems[:3]
    assert all("Fix:" in p and "\n" not in p for p in problems)
    result = CliRunner().invoke(app, ["export", "check", str(folder)])
    assert result.exit_code == 1
    assert expected in result.output


def test_the_checker_wants_the_parts_of_every_percentage(atlas_dir, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(atlas_dir / "incijfers" / "2020", folder)
    data = pd.read_csv(folder / "data.csv", sep=";", dtype=str)
    data.drop(columns=["p_65_eo_jr_noemer"]).to_csv(folder / "data.csv", sep=";",
                                                     index=False)
    problems = check_export(folder)
    assert any("p_65_eo_jr has no p_65_eo_jr_teller and p_65_eo_jr_noemer" in p
               for p in problems)
    assert any("p_65_eo_jr_noemer has no column" in p for p in problems)


def test_the_checker_catches_a_value_that_is_not_numerator_over_denominator(atlas_dir,
                                                                          tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(atlas_dir / "incijfers" / "2020", folder)
    data = pd.read_csv(folder / "data.csv", sep=";", dtype=str)
    row = data.index[data["p_65_eo_jr"].astype(float) > 0][0]
    data.loc[row, "p_65_eo_jr"] = "50"
    data.to_csv(folder / "data.csv", sep=";", index=False)
    assert any("p_65_eo_jr_teller / p_65_eo_jr_noemer x 100" in p
               for p in check_export(folder))


def test_export_command_writes_and_refuses(atlas_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "swing"
    result = runner.invoke(app, ["export", "incijfers", "--version", "2016", "--out", str(out),
                                 "--atlas", str(atlas_dir / "atlas.gpkg")])
    assert result.exit_code == 0, result.output
    assert (out / "data.csv").read_text(encoding="utf-8") == (
        atlas_dir / "incijfers" / "2016" / "data.csv").read_text(encoding="utf-8")
    result = runner.invoke(app, ["export", "incijfers", "--version", "1999", "--out",
                                 str(tmp_path / "x"), "--atlas", str(atlas_dir / "atlas.gpkg")])
    assert result.exit_code == 2
    assert "no results for version '1999'" in result.output and "2016, 2020" in result.output
    assert not (tmp_path / "x").exists()
    result = runner.invoke(app, ["export", "check", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "data.csv not found" in result.output


def test_export_tables_codes_follow_swing_rules(atlas_dir):
    data, meta = export_tables(atlas_dir / "atlas.gpkg", "2020")
    assert meta["Onderwerpcode"].str.fullmatch(r"[a-z0-9_]{1,50}").all()
    assert not data.duplicated(["period", "geolevel", "geoitem"]).any()


def test_write_incijfers_refuses_before_writing(atlas_dir, tmp_path, monkeypatch):
    import geo.publish.incijfers as mod

    monkeypatch.setattr(mod, "check_texts", lambda *a, **k: ["synthetic problem. Fix: none"])
    with pytest.raises(mod.WijkatlasError, match="synthetic problem"):
        write_incijfers(atlas_dir / "atlas.gpkg", "2020", tmp_path / "out")
    assert not (tmp_path / "out" / "data.csv").exists()


# --- open data --------------------------------------------------------------------------------

def test_open_data_csv_gpkg_and_readme(atlas_dir, results):
    folder = atlas_dir / "opendata"
    table = pd.read_csv(folder / CSV_FILE, dtype={"version": str})
    assert len(table) == len(results)
    assert set(table["level"]) == {"wijk", "kern", "wijkteam", "gemeente"}
    assert {"status_label", "numerator", "denominator", "label", "unit"} <= set(table.columns)
    merged = table.merge(results, on=["version", "level", "unit_code", "year", "variable"],
                         suffixes=("", "_atlas"))
    assert len(merged) == len(table)
    shown = merged["status"].isin(["observed", "partial"])
    np.testing.assert_allclose(merged.loc[shown, "value"], merged.loc[shown, "value_atlas"],
                               rtol=1e-12)
    assert merged.loc[~shown, "value"].isna().all()
    layers = {name for name, _ in pyogrio.list_layers(folder / GPKG_FILE)}
    assert layers == {f"{lv}_{v}" for lv in ("wijk", "kern", "wijkteam", "gemeente")
                      for v in ("2016", "2020")}
    kern = pyogrio.read_dataframe(folder / GPKG_FILE, layer="kern_2020")
    assert kern.crs.to_epsg() == 28992
    years = table.loc[(table["version"] == "2020") & (table["level"] == "kern"), "year"]
    assert len(kern) == 8 * years.nunique() and {"AANT_INW", "AANT_INW_status"} <= set(
        kern.columns)
    k = kern[(kern["unit_code"] == "K02") & (kern["year"] == 2020)]["AANT_INW"].item()
    r = results[(results["version"] == "2020") & (results["level"] == "kern")
                & (results["unit_code"] == "K02") & (results["year"] == 2020)
                & (results["variable"] == "AANT_INW")]["value"].item()
    assert k == pytest.approx(r)
    readme = (folder / README_FILE).read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "Bron: CBS / PDOK", "synthetische", "`numerator`",
                   "geheim", "afgeschermd", "kern"):
        assert needle in readme
