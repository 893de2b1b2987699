"""Untrusted text stays data: template payloads, spreadsheet formulas and control characters
in wijk and version names are found back as literal text in the GeoPackage, the HTML and the
Excel/CSV files, and nothing runs (issue 9, items 1, 6 and 7)."""

from __future__ import annotations

from pathlib import Path

import hostile
import pyogrio
import pytest

from geo.atlas import build_atlas

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def built(hostile_atlas):
    return hostile_atlas


def test_no_name_is_ever_compiled_as_a_template_and_nothing_runs(built):
    assert built["compiled"], "the spy saw no template at all"
    payloads = [*built["names"].values(), hostile.TEMPLATE_VERSION, "Wijkatlas {{7*7}}"]
    for source in built["compiled"]:
        for payload in payloads:
            assert payload not in source
    assert not built["marker"].exists(), "a name ran a shell command"


def test_names_are_literal_in_the_geopackage(built):
    gpkg = built["out"] / "atlas.gpkg"
    units = pyogrio.read_dataframe(gpkg, layer="wijkindeling_2020")
    got = dict(zip(units["code"], units["name"], strict=True))
    for code, name in built["names"].items():
        assert got[code] == name
    versions = pyogrio.read_dataframe(gpkg, layer="versions")
    assert hostile.TEMPLATE_VERSION in set(versions["name"])
    trend = pyogrio.read_dataframe(gpkg, layer="trend_2020")
    assert set(built["names"].values()) <= set(trend["unit_name"])
    results = pyogrio.read_dataframe(gpkg, layer="results", columns=["unit_name"])
    assert set(built["names"].values()) <= set(results["unit_name"])


def test_names_are_literal_in_the_html(built):
    index = hostile.html_data(built["out"] / "maps" / "index.html")
    got = dict(zip(index["units"]["code"], index["units"]["name"], strict=True))
    for code, name in built["names"].items():
        assert got[code] == name
    assert index["versionName"] == hostile.TEMPLATE_VERSION
    text = (built["out"] / "maps" / "index.html").read_text(encoding="utf-8")
    assert "<title>Wijkatlas {{7*7}}</title>" in text
    assert "V42" not in text and "Wijkatlas 49" not in text
    grenzen = hostile.html_data(built["out"] / "maps" / "grenzen.html")
    assert {v["name"] for v in grenzen["versions"]} == {"V{{ 7*6 }}b", hostile.TEMPLATE_VERSION}
    assert set(built["names"].values()) <= set(grenzen["versions"][1]["name_"])


def test_excel_has_no_formula_and_shows_names_unchanged(built):
    cells = hostile.xlsx_cells(built["out"] / "exports" / "trend_2020.xlsx")
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert set(built["names"].values()) <= values
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
            assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate


def test_csv_text_cells_cannot_start_a_formula(built):
    from geo.untrusted import csv_safe_text

    for name in ("trend_2020.csv", "results.csv"):
        frame = hostile.read_csv_text(built["out"] / "exports" / name)
        for code, unit_name in built["names"].items():
            found = set(frame.loc[frame["unit_code"] == code, "unit_name"])
            assert found == {csv_safe_text(unit_name)}, (name, code)
        for column in frame.columns:
            assert not frame[column].str.match(r"^[=+@\t\r]").any(), (name, column)
    assert csv_safe_text('=HYPERLINK("x")') == "'=HYPERLINK(\"x\")"
    assert csv_safe_text("-2+3") == "'-2+3"
    assert csv_safe_text("Drunen") == "Drunen"


def test_maps_command_on_someone_elses_geopackage_runs_nothing(built, tmp_path):
    """``wijkatlas maps --atlas`` on a GeoPackage edited elsewhere (names put in by hand)."""
    gpkg = tmp_path / "foreign.gpkg"
    layers = pyogrio.list_layers(built["out"] / "atlas.gpkg")[:, 0]
    marker = tmp_path / "pwned-maps"
    for layer in layers:
        frame = pyogrio.read_dataframe(built["out"] / "atlas.gpkg", layer=layer)
        if layer == "wijkindeling_2020":
            frame.loc[0, "name"] = hostile.file_payload(marker)
        pyogrio.write_dataframe(frame, gpkg, layer=layer, driver="GPKG",
                                append=gpkg.exists())
    proc = hostile.cli("maps", "--atlas", str(gpkg), "--out", str(tmp_path / "maps"),
                       root=built["root"])
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    data = hostile.html_data(tmp_path / "maps" / "index.html")
    assert hostile.file_payload(marker) in data["units"]["name"]


def test_control_characters_in_a_name_do_not_crash_the_build(tmp_path):
    """A name with control characters (typed into version.toml by hand) is built; Excel and
    CSV get it without them, nothing crashes after a partial write."""
    root = hostile.small_repo(tmp_path / "repo")
    hostile.rename(root, "2020", {"W01": "Drunen"})
    meta = root / "boundaries" / "2020" / "version.toml"
    text = meta.read_text(encoding="utf-8")
    assert 'name = "Drunen"' in text
    meta.write_text(text.replace('name = "Drunen"', 'name = "Dru\\u0007nen\\u001b[31m"'),
                    encoding="utf-8")
    hostile.reseal(root, "2020")
    build_atlas(root, tmp_path / "build")
    cells = hostile.xlsx_cells(tmp_path / "build" / "exports" / "trend_2020.xlsx")
    assert "Drunen[31m" in {c.value for c in cells}
    csv = hostile.read_csv_text(tmp_path / "build" / "exports" / "trend_2020.csv")
    assert set(csv.loc[csv["unit_code"] == "W01", "unit_name"]) == {"Drunen[31m"}


def test_import_refuses_control_characters_naming_the_unit(tmp_path):
    from geo.register import draft_version

    root = hostile.small_repo(tmp_path / "repo")
    draft = draft_version(root, "2024", "2020")
    before = (root / "boundaries" / "2024" / "version.toml").read_bytes()
    layer = draft.units[["code", "name", "geometry"]].copy()
    layer.loc[layer["code"] == "W03", "name"] = "Venne\x07\x1bOost"
    layer.to_file(tmp_path / "edit.gpkg", layer="units")
    proc = hostile.cli("versions", "import", "2024", str(tmp_path / "edit.gpkg"), root=root)
    assert proc.returncode == 2, proc.stderr
    assert "W03" in proc.stderr and "control character" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (root / "boundaries" / "2024" / "version.toml").read_bytes() == before
