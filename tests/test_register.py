"""The boundary register: versions 2016 and 2020, diff, redraw workflow, immutability."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import WijkatlasError
from geo.lineage import changed_areas, diff_units
from geo.register import (
    draft_version,
    list_versions,
    load_version,
    publish_version,
    validate_version,
)
from geo.sources import read_units
from tests.helpers import REPO, copy_repo

runner = CliRunner()


def cli(root: Path, *args: str):
    return runner.invoke(app, ["--root", str(root), *args])


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def repo(tmp_path) -> Path:
    return copy_repo(tmp_path)


def test_register_holds_2016_and_2020_published():
    metas = {m["id"]: m for m in list_versions(REPO)}
    assert metas["2016"]["status"] == metas["2020"]["status"] == "published"
    assert metas["2020"]["parent"] == "2016"
    v16, v20 = load_version(REPO, "2016"), load_version(REPO, "2020")
    assert len(v16.units) == 14 and len(v20.units) == 15
    assert "Geerpark/de Grassen" in set(v20.units["name"])
    assert "Illustratieve reconstructie" in v16.meta["description"]
    andere = v16.units.set_index("name").loc["Andere kernen"]
    assert sorted(andere["buurten"]) == ["BU07970600", "BU07970700", "BU07970800", "BU07970900"]
    for vid in ("2016", "2020"):
        assert validate_version(REPO, vid).valid


def test_diff_2016_2020_one_split_13_unchanged_one_reshaped():
    old, new = load_version(REPO, "2016").units, load_version(REPO, "2020").units
    d = diff_units(old, new).set_index("name")
    counts = d["change"].value_counts().to_dict()
    assert counts == {"unchanged": 13, "reshaped": 1, "split": 1}
    assert d.loc["Geerpark/de Grassen", "change"] == "split"
    assert d.loc["Geerpark/de Grassen", "parents"] == ["W08"]
    assert d.loc["Vliedberg", "change"] == "reshaped"
    moved = d.loc["Geerpark/de Grassen", "area_moved_ha"]
    assert moved == pytest.approx(d.loc["Vliedberg", "area_lost_ha"], rel=1e-6)
    assert 50 < moved < 300
    pieces = changed_areas(old, new)
    assert len(pieces) == 1
    assert pieces.iloc[0][["from_name", "to_name"]].tolist() == ["Vliedberg",
                                                                  "Geerpark/de Grassen"]
    assert pieces["area_ha"].sum() == pytest.approx(moved, rel=1e-6)


def test_cli_diff_json_and_changes_layer(tmp_path):
    out = tmp_path / "changes.gpkg"
    res = cli(REPO, "versions", "diff", "2016", "2020", "--json", "--changes", str(out))
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["summary"] == {"unchanged": 13, "reshaped": 1, "split": 1}
    assert len(gpd.read_file(out, layer="changes")) == 1


def test_publishing_twice_is_refused_and_leaves_the_files_unchanged(repo):
    before = tree_digest(repo / "boundaries" / "2016")
    with pytest.raises(WijkatlasError, match="already published"):
        publish_version(repo, "2016")
    res = cli(repo, "versions", "publish", "2016")
    assert res.exit_code == 2
    assert "versions draft NEW --from 2016" in res.output
    assert tree_digest(repo / "boundaries" / "2016") == before


def test_editing_a_published_version_is_refused(repo, tmp_path):
    export = tmp_path / "units.gpkg"
    assert cli(repo, "versions", "export", "2016", str(export)).exit_code == 0
    before = tree_digest(repo / "boundaries")
    res = cli(repo, "versions", "import", "2016", str(export))
    assert res.exit_code == 2 and "published" in res.output and "draft" in res.output
    res = cli(repo, "versions", "assign", "2016", "BU07970103=W02")
    assert res.exit_code == 2
    assert tree_digest(repo / "boundaries") == before


def test_a_published_version_changed_on_disk_is_detected(repo):
    meta = repo / "boundaries" / "2016" / "version.toml"
    meta.write_text(meta.read_text().replace('name = "Centrum Drunen"', 'name = "Centrum"'))
    with pytest.raises(WijkatlasError, match="changed on disk"):
        load_version(repo, "2016")


def test_redraw_workflow_reassign_then_publish(repo):
    res = cli(repo, "versions", "draft", "2024", "--from", "2016", "--valid-from", "2024-01-01")
    assert res.exit_code == 0, res.output
    res = cli(repo, "versions", "assign", "2024", "BU07970900=W16", "--name", "W16=Herpt")
    assert res.exit_code == 0, res.output
    v = load_version(repo, "2024")
    lineage = dict(zip(v.units["code"], v.units["lineage"], strict=True))
    assert lineage["W16"] == "split_from" and lineage["W14"] == "reshaped"
    assert cli(repo, "versions", "validate", "2024").exit_code == 0
    assert cli(repo, "versions", "publish", "2024").exit_code == 0
    assert load_version(repo, "2024").published


def test_redraw_workflow_import_edited_layer(repo, tmp_path):
    draft_version(repo, "2025", "2020", valid_from="2025-01-01")
    units = load_version(repo, "2025").units[["code", "name", "geometry"]].copy()
    # Merge Braken Oost and Braken West into one wijk, as a GIS user would in QGIS.
    i_oost = units.index[units["code"] == "W02"][0]
    i_west = units.index[units["code"] == "W03"][0]
    units.loc[i_oost, "geometry"] = shapely.union(units.loc[i_oost, "geometry"],
                                                  units.loc[i_west, "geometry"])
    units.loc[i_oost, ["code", "name"]] = ["W20", "Braken"]
    units = units.drop(index=i_west)
    edited = tmp_path / "edited.gpkg"
    units.to_file(edited, layer="units")
    res = cli(repo, "versions", "import", "2025", str(edited))
    assert res.exit_code == 0, res.output
    d = diff_units(load_version(repo, "2020").units, load_version(repo, "2025").units)
    d = d.set_index("code")
    assert d.loc["W20", "change"] == "merged" and sorted(d.loc["W20", "parents"]) == ["W02",
                                                                                    "W03"]
    assert set(d.loc[["W02", "W03"], "change"]) == {"removed"}
    assert validate_version(repo, "2025").valid


BAD_EDITS = {
    "overlap": "overlap",
    "gap": "gap",
    "duplicate_code": "used by rows",
    "no_name": "no name",
    "no_crs": "no coordinate reference system",
    "empty": "empty",
    "points": "not a polygon layer",
}


RULES = {"overlap": "overlap", "gap": "gap", "duplicate_code": "duplicate_code",
         "no_name": "missing_name", "no_crs": "no_crs", "empty": "empty_layer",
         "points": "not_polygon"}


@pytest.mark.parametrize("problem", sorted(BAD_EDITS))
def test_bad_edits_are_refused_and_write_nothing(repo, tmp_path, problem):
    draft_version(repo, "2026", "2020")
    before = tree_digest(repo / "boundaries")
    units = load_version(repo, "2026").units[["code", "name", "geometry"]].copy()
    path = tmp_path / "edit.gpkg"
    if problem == "overlap":
        units.loc[0, "geometry"] = units.loc[0, "geometry"].buffer(50)
    elif problem == "gap":
        units.loc[0, "geometry"] = units.loc[0, "geometry"].buffer(-40)
    elif problem == "duplicate_code":
        units.loc[1, "code"] = units.loc[0, "code"]
    elif problem == "no_name":
        units.loc[2, "name"] = None
    elif problem == "no_crs":
        units = gpd.GeoDataFrame(units.drop(columns="geometry"),
                                 geometry=list(units.geometry.values))
        path = tmp_path / "edit.shp"
    elif problem == "empty":
        units = units.iloc[:0]
    elif problem == "points":
        units = units.set_geometry(units.centroid)
    units.to_file(path)
    res = cli(repo, "versions", "import", "2026", str(path))
    assert res.exit_code == 2, res.output
    assert BAD_EDITS[problem] in res.output
    assert str(path) in res.output and "Fix:" in res.output
    assert tree_digest(repo / "boundaries") == before
    # The same layer through `validate` gives a machine-readable report.
    res = cli(repo, "validate", str(path), "--json")
    assert res.exit_code in (1, 2)
    report = json.loads(res.output[: res.output.rindex("}") + 1])
    assert report["valid"] is False and report["issues"][0]["fix"]
    rules = {i["rule"] for i in report["issues"] if i["severity"] == "error"}
    assert RULES[problem] in rules


def test_gap_reported_with_area_and_location(tmp_path):
    units = load_version(REPO, "2016").units[["code", "name", "geometry"]].copy()
    hole = shapely.Point(141000, 411500).buffer(100)
    units.loc[units["code"] == "W10", "geometry"] = shapely.difference(
        units.loc[units["code"] == "W10", "geometry"].iloc[0], hole)
    path = tmp_path / "gap.gpkg"
    units.to_file(path)
    res = cli(REPO, "validate", str(path), "--json")
    assert res.exit_code == 1
    gaps = [i for i in json.loads(res.output)["issues"] if i["rule"] == "gap"]
    assert len(gaps) == 1
    assert gaps[0]["area_ha"] == pytest.approx(hole.area / 1e4, rel=0.01)
    assert abs(gaps[0]["x"] - 141000) < 100 and abs(gaps[0]["y"] - 411500) < 100


def test_read_units_of_an_export_round_trips(tmp_path):
    out = tmp_path / "u.gpkg"
    assert cli(REPO, "versions", "export", "2020", str(out)).exit_code == 0
    back = read_units(out)
    assert len(back) == 15 and back.crs.to_epsg() == 28992
    assert isinstance(back, pd.DataFrame)


def test_import_validates_the_geometry_as_stored(repo, tmp_path):
    """A piece that collapses on the millimetre grid (QA: 5e-11 ha moved from W08 to W15)
    must not leave a draft that publishing then refuses."""
    draft_version(repo, "2026", "2020", valid_from="2026-01-01")
    units = load_version(repo, "2026").units[["code", "name", "geometry"]].copy()
    i08 = units.index[units["code"] == "W08"][0]
    i15 = units.index[units["code"] == "W15"][0]
    w15 = units.loc[i15, "geometry"]
    minx, _, maxx, maxy = w15.bounds
    piece = shapely.intersection(units.loc[i08, "geometry"],
                                 shapely.box(minx, maxy, maxx, maxy + 150))
    piece = shapely.intersection(piece, shapely.box(minx, maxy, maxx, maxy + 1e-4))
    units.loc[i08, "geometry"] = shapely.difference(units.loc[i08, "geometry"], piece)
    units.loc[i15, "geometry"] = shapely.union(w15, piece)
    edited = tmp_path / "moved.gpkg"
    units.to_file(edited, layer="units")
    res = cli(repo, "versions", "import", "2026", str(edited))
    assert res.exit_code == 0, res.output
    assert validate_version(repo, "2026").valid
    assert cli(repo, "versions", "publish", "2026").exit_code == 0
