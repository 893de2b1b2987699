"""The redraw loop's failures of issue 12, one test each (all fail on the code before it)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from geo.cli import app
from geo.lineage import changed_areas, diff_units
from geo.register import draft_version, list_versions, load_version
from tests.helpers import copy_repo

runner = CliRunner()


def cli(root: Path, *args: str):
    return runner.invoke(app, ["--root", str(root), *args])


@pytest.fixture
def repo(tmp_path) -> Path:
    return copy_repo(tmp_path / "repo")


@pytest.fixture
def draft(repo) -> Path:
    """A draft 2024 from 2020 (whose W08 and W15 are drawn polygons)."""
    res = cli(repo, "versions", "draft", "2024", "--from", "2020", "--valid-from", "2024-01-01")
    assert res.exit_code == 0, res.output
    return repo


def edit(repo: Path, tmp_path: Path, version: str, change) -> Path:
    """Export a version, change the layer as a GIS user would, write it with GDAL."""
    path = tmp_path / "edit.gpkg"
    assert cli(repo, "versions", "export", version, str(path)).exit_code == 0
    units = gpd.read_file(path, layer="units")
    units = change(units)
    path.unlink()
    units.to_file(path, layer="units", driver="GPKG", engine="pyogrio")
    return path


def geom(units, code):
    return units.loc[units["code"] == code, "geometry"].iloc[0]


# --- 2. assign on a draft whose parent has drawn units -------------------------------------------

def test_readme_assign_example_works_on_a_draft_from_2020(draft):
    res = cli(draft, "versions", "assign", "2024", "BU07970900=W16", "--name", "W16=Herpt")
    assert res.exit_code == 0, res.output
    v = load_version(draft, "2024")
    assert set(v.units.loc[v.units["code"].isin(["W08", "W15"]), "definition"]) == {"drawn"}
    w16 = v.units.set_index("code").loc["W16"]
    assert w16["name"] == "Herpt" and w16["lineage"] == "split_from"
    assert w16["parents"] == ["W14"]


def test_a_mistyped_buurt_code_gets_its_own_message(draft):
    res = cli(draft, "versions", "assign", "2024", "BU0797090=W16", "--name", "W16=Herpt")
    assert res.exit_code == 2
    assert "BU0797090 is not a CBS buurt code of 2016" in res.output
    assert "BU07970900" in res.output  # the close match is offered
    assert "drawn" not in res.output


def test_moving_a_buurt_of_a_drawn_unit_names_the_real_obstacle(draft):
    res = cli(draft, "versions", "assign", "2024", "BU07970503=W16", "--name", "W16=X")
    assert res.exit_code == 2
    assert "BU07970503" in res.output and "W08 Vliedberg" in res.output
    assert "drawn" in res.output and "versions export" in res.output
    res = cli(draft, "versions", "assign", "2024", "BU07970103=W15")
    assert res.exit_code == 2 and "W15 (Geerpark/de Grassen) is a drawn polygon" in res.output


def test_a_unit_losing_its_last_buurt_is_refused_unless_asked(draft):
    before = (draft / "boundaries" / "2024" / "version.toml").read_text()
    res = cli(draft, "versions", "assign", "2024", "BU07970103=W03")
    assert res.exit_code == 2
    assert "W01 (Centrum Drunen) would lose their last buurt" in res.output
    assert "--remove-empty" in res.output
    assert (draft / "boundaries" / "2024" / "version.toml").read_text() == before
    res = cli(draft, "versions", "assign", "2024", "BU07970103=W03", "--remove-empty")
    assert res.exit_code == 0, res.output
    v = load_version(draft, "2024").units.set_index("code")
    assert "W01" not in v.index and v.loc["W03", "lineage"] == "merged_from"


# --- 3. a diff that reads right ------------------------------------------------------------------

def _moves(units):
    """W06 gives a 600 m box to W07; W14 renamed; W13 becomes W20; W01 merged into W03."""
    g6, g7 = geom(units, "W06"), geom(units, "W07")
    c = shapely.centroid(g6)
    box = shapely.intersection(shapely.box(c.x - 300, c.y - 300, c.x + 300, c.y + 300), g6)
    units.loc[units["code"] == "W06", "geometry"] = shapely.difference(g6, box)
    units.loc[units["code"] == "W07", "geometry"] = shapely.union(g7, box)
    units.loc[units["code"] == "W14", "name"] = "Buitengebied"
    units.loc[units["code"] == "W13", "code"] = "W20"
    units.loc[units["code"] == "W03", "geometry"] = shapely.union(geom(units, "W03"),
                                                                  geom(units, "W01"))
    return units[units["code"] != "W01"]


def test_diff_states_direction_renames_code_changes_and_merges(draft, tmp_path):
    path = edit(draft, tmp_path, "2024", _moves)
    res = cli(draft, "versions", "import", "2024", str(path))
    assert res.exit_code == 0, res.output
    old, new = load_version(draft, "2020").units, load_version(draft, "2024").units
    d = diff_units(old, new).set_index("code")
    moved = d.loc["W07", "received"]
    assert [m[0] for m in moved] == ["W06"] and 30 < moved[0][2] < 40
    assert d.loc["W06", "gave"][0][0] == "W07"
    assert d.loc["W06", "gave"][0][2] == pytest.approx(moved[0][2])
    assert d.loc["W06", "received"] == [] and d.loc["W07", "gave"] == []
    assert d.loc["W14", "change"] == "renamed" and d.loc["W14", "old_name"] == "Andere kernen"
    assert d.loc["W20", "change"] == "renamed" and d.loc["W20", "old_code"] == "W13"
    assert d.loc["W20", "area_moved_ha"] == 0 and "W13" not in d.index
    assert d.loc["W03", "change"] == "merged" and d.loc["W03", "parents"] == ["W03", "W01"]
    assert d.loc["W01", "change"] == "removed" and d.loc["W01", "gave"][0][0] == "W03"
    pieces = changed_areas(old, new)
    assert sorted(zip(pieces["from_code"], pieces["to_code"], strict=True)) == [
        ("W01", "W03"), ("W06", "W07")]

    out = tmp_path / "changed.gpkg"
    res = cli(draft, "versions", "diff", "2020", "2024", "--changes", str(out))
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("Changes from 2020 (15 units) to 2024 (14 units)")
    text = "\n".join(lines)
    assert "W06  Vlijmen Dorp: boundary changed: gave 35." in text
    assert "ha to W07 Vijfhoeven" in text
    assert "W07  Vijfhoeven: boundary changed: received 35." in text
    assert 'W14  Buitengebied: renamed from "Andere kernen"; same area' in text
    assert "W20  Oudheusden: code changed from W13; same area" in text
    assert "W03  Braken West: merged with W01 Centrum Drunen: received 11.7 ha" in text
    assert "W01  Centrum Drunen: removed, merged into W03 Braken West" in text
    assert "Summary: 9 unchanged, 2 renamed, 2 reshaped, 1 merged, 1 removed" in text
    assert f"2 moved piece(s), 47.6 ha, written to {out} (layer changes)" in text
    assert len(gpd.read_file(out, layer="changes")) == 2
    # the same lineage in versions show
    show = cli(draft, "versions", "show", "2024").output
    assert "gave 35." in show and 'renamed from "Andere kernen"' in show


# --- 4. gaps: the right size, a location and the neighbours --------------------------------------

def test_a_gap_has_its_own_size_location_and_neighbours(draft, tmp_path):
    def shrink(units):
        units.loc[units["code"] == "W10", "geometry"] = geom(units, "W10").buffer(-30)
        return units

    path = edit(draft, tmp_path, "2024", shrink)
    res = cli(draft, "validate", str(path), "--json")
    gaps = [i for i in json.loads(res.output)["issues"] if i["rule"] == "gap"]
    assert len(gaps) == 1 and gaps[0]["area_ha"] == pytest.approx(22.0, abs=0.5)
    assert "W10" in gaps[0]["neighbours"] and len(gaps[0]["neighbours"]) >= 2
    res = cli(draft, "versions", "import", "2024", str(path))
    assert res.exit_code == 2
    assert "gap of 22.0 ha between units" in res.output and "W10" in res.output
    assert "at RD (" in res.output and "297" not in res.output


# --- 5. which gemeente outline -------------------------------------------------------------------

def test_a_version_is_checked_against_its_own_outline(repo):
    res = cli(repo, "versions", "validate", "2020")
    assert res.exit_code == 0, res.output
    assert "CBS buurten 2016 of GM0797" in res.output and "1 m tolerated" in res.output
    v = draft_version(repo, "2024", "2020")
    assert v.meta["outline_year"] == 2016


def test_validate_names_the_outline_and_tolerance(repo):
    gemeente = repo / "layers" / "cbs" / "cbs_buurten_2022_GM0797.geojson"
    res = cli(repo, "validate", str(repo / "boundaries" / "2020" / "units.geojson"),
              "--gemeente", str(gemeente), "--outline-tolerance-m", "50")
    assert f"checked against {gemeente} (generalisation differences up to 50 m" in res.output
    assert "outside the gemeente" not in res.output


# --- 6. dates and drafts -------------------------------------------------------------------------

def test_dates_must_be_iso_and_after_the_parent(repo):
    res = cli(repo, "versions", "draft", "2030", "--from", "2020", "--valid-from", "01-01-2030")
    assert res.exit_code == 2 and "YYYY-MM-DD: 2030-01-01" in res.output
    res = cli(repo, "versions", "draft", "2030", "--from", "2020", "--valid-from", "2019-05-01")
    assert res.exit_code == 2 and "not after 2020-01-01" in res.output
    res = cli(repo, "versions", "draft", "herindeling", "--from", "2020")
    assert res.exit_code == 2 and "--valid-from" in res.output
    assert not (repo / "boundaries" / "2030").exists()
    res = cli(repo, "versions", "draft", "2030", "--from", "2020")
    assert res.exit_code == 0 and "valid from 2030-01-01" in res.output


def test_drafts_are_renamed_redated_and_discarded(draft):
    res = cli(draft, "versions", "redate", "2024", "1-7-2024")
    assert res.exit_code == 2 and "2024-07-01" in res.output
    assert cli(draft, "versions", "redate", "2024", "2024-07-01").exit_code == 0
    res = cli(draft, "versions", "rename", "2024", "2025", "--name", "Wijkindeling 2025")
    assert res.exit_code == 0, res.output
    assert not (draft / "boundaries" / "2024").exists()
    v = load_version(draft, "2025")
    assert v.meta["valid_from"] == "2024-07-01" and v.meta["name"] == "Wijkindeling 2025"
    assert cli(draft, "versions", "discard", "2025").exit_code == 2  # asks for --yes
    assert cli(draft, "versions", "discard", "2025", "--yes").exit_code == 0
    assert [m["id"] for m in list_versions(draft)] == ["2016", "2020"]
    res = cli(draft, "versions", "discard", "2020", "--yes")
    assert res.exit_code == 2 and "published" in res.output


# --- 7. tampering --------------------------------------------------------------------------------

def _tamper(repo: Path, vid: str) -> None:
    meta = repo / "boundaries" / vid / "version.toml"
    meta.write_text(meta.read_text().replace('name = "Centrum Drunen"', 'name = "Centrum"'))


def test_a_tampered_uncommitted_version_is_flagged_and_restored(draft):
    assert cli(draft, "versions", "publish", "2024").exit_code == 0
    _tamper(draft, "2024")
    res = cli(draft, "versions", "list")
    assert res.exit_code == 1
    assert "2024       CHANGED ON DISK" in res.output
    assert "wijkatlas versions restore 2024" in res.output
    assert cli(draft, "versions", "restore", "2024").exit_code == 0
    res = cli(draft, "versions", "list")
    assert res.exit_code == 0 and "CHANGED" not in res.output
    assert load_version(draft, "2024").published


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_tampered_committed_version_gets_a_git_fix_that_works(repo):
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "boundaries"], check=True)
    subprocess.run([*git, "commit", "-qm", "register"], check=True)
    _tamper(repo, "2016")
    res = cli(repo, "versions", "list", "--json")
    assert res.exit_code == 1
    broken = [m for m in json.loads(res.output[: res.output.rindex("]") + 1])
              if not m["intact"]]
    assert [m["id"] for m in broken] == ["2016"]
    fix = broken[0]["fix"]
    command = fix.split("restore it from git: ", 1)[1].split(";", 1)[0]
    assert command.startswith("git checkout HEAD -- ")
    subprocess.run(shlex.split(command), cwd=repo, check=True)
    assert cli(repo, "versions", "list").exit_code == 0
