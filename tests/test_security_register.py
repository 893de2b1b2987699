"""Nothing outside the atlas is touched and nothing published is lost: version ids, path
containment, the checksum over status and metadata, outputs that would overwrite inputs or
published files (issue 9, items 2, 3 and 4)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import WijkatlasError
from geo.register import draft_version, list_versions, load_version
from tests.helpers import REPO, copy_repo

runner = CliRunner()


def cli(root: Path, *args: str):
    return runner.invoke(app, ["--root", str(root), *args])


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def repo(tmp_path):
    root = copy_repo(tmp_path / "atlas")
    victim = tmp_path / "elsewhere" / "victim"
    victim.mkdir(parents=True)
    (victim / "precious.txt").write_text("do not delete", encoding="utf-8")
    return root


BAD_IDS = ["./../../../../elsewhere/victim", "../elsewhere/victim", "../../elsewhere/evil",
           "2024/../2016", "", "x" * 300, ".hidden", "..", "2024 nieuw", "a/b", "a\\b",
           "\u0000", "2024\n", "-2024", "wijk\u00e9", "x" * 41]


@pytest.mark.parametrize("bad", BAD_IDS, ids=lambda s: repr(s)[:30])
def test_odd_version_ids_are_refused_before_anything_is_touched(repo, bad):
    outside = repo.parent / "elsewhere"
    before, before_outside = digest(repo), digest(outside)
    result = cli(repo, "versions", "draft", "--from", "2020", "--", bad)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "version id" in result.output
    assert digest(repo) == before and digest(outside) == before_outside
    assert (outside / "victim" / "precious.txt").read_text(encoding="utf-8") == "do not delete"


@pytest.mark.parametrize("command", [
    ["versions", "show", "../../elsewhere/evil"],
    ["versions", "publish", "2024/../2016"],
    ["versions", "validate", ""],
    ["versions", "export", "../2020", "out.gpkg"],
    ["versions", "import", "x" * 300, str(REPO / "boundaries" / "2020" / "units.geojson")],
    ["versions", "draft", "2024", "--from", "../2020"],
])
def test_every_command_checks_ids_without_traceback(repo, command):
    result = cli(repo, *command)
    assert result.exit_code == 2, result.output
    assert "version id" in result.output or "does not exist" in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)


def test_the_id_pattern_is_the_documented_one():
    from geo.register_store import VERSION_ID_PATTERN, check_version_id

    for good in ("2024", "2024-concept", "wijkteams_2025", "A", "x" * 40):
        assert check_version_id(good) == good
    assert VERSION_ID_PATTERN.pattern == r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "letters, digits, `-` and `_`" in readme


def test_a_version_folder_that_is_a_link_elsewhere_is_refused(repo):
    outside = repo.parent / "elsewhere" / "victim"
    (repo / "boundaries" / "2024").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WijkatlasError, match="link"):
        draft_version(repo, "2024", "2020")
    assert (outside / "precious.txt").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]


def test_status_flip_by_hand_cannot_reopen_a_published_version(repo, tmp_path):
    meta = repo / "boundaries" / "2020" / "version.toml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace('status = "published"', 'status = "draft"'), encoding="utf-8")
    units_before = (repo / "boundaries" / "2020" / "units.geojson").read_bytes()
    edit = tmp_path / "edit.gpkg"
    units = gpd.read_file(REPO / "boundaries" / "2020" / "units.geojson")
    units.to_file(edit, layer="units")
    for command in (["versions", "import", "2020", str(edit)], ["versions", "publish", "2020"],
                    ["versions", "assign", "2020", "BU07970101=W01"]):
        result = cli(repo, *command)
        assert result.exit_code == 2, (command, result.output)
        assert "checksum" in result.output
    assert (repo / "boundaries" / "2020" / "units.geojson").read_bytes() == units_before
    assert meta.read_text(encoding="utf-8") != text  # the hand edit is reported, not undone


@pytest.mark.parametrize("edit", [
    ('name = "', 'name = "Andere naam '),
    ('valid_from = "2020-01-01"', 'valid_from = "2019-01-01"'),
    ('published_at = "', 'published_at = "1'),
    ('lineage = "unchanged"', 'lineage = "new"'),
])
def test_the_checksum_covers_metadata_and_lineage(repo, edit):
    meta = repo / "boundaries" / "2020" / "version.toml"
    text = meta.read_text(encoding="utf-8")
    assert edit[0] in text
    meta.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(WijkatlasError, match="checksum"):
        load_version(repo, "2020")


def test_export_onto_a_published_file_is_refused(repo):
    target = repo / "boundaries" / "2020" / "units.geojson"
    before = target.read_bytes()
    result = cli(repo, "versions", "export", "2020", str(target))
    assert result.exit_code == 2 and "boundaries/" in result.output, result.output
    assert target.read_bytes() == before
    assert cli(repo, "versions", "show", "2020").exit_code == 0


def test_export_of_a_geopackage_must_be_named_gpkg(repo, tmp_path):
    result = cli(repo, "versions", "export", "2020", str(tmp_path / "edit.geojson"))
    assert result.exit_code == 2 and ".gpkg" in result.output
    assert not (tmp_path / "edit.geojson").exists()


def test_repair_onto_the_input_is_refused(repo, tmp_path):
    layer = tmp_path / "f.geojson"
    gpd.read_file(REPO / "boundaries" / "2016" / "units.geojson").to_file(layer)
    before = layer.read_bytes()
    for out in (layer, tmp_path / "sub" / ".." / "f.geojson", tmp_path / "fixed.geojson"):
        result = cli(repo, "validate", str(layer), "--repair", str(out))
        assert result.exit_code == 2, result.output
        assert layer.read_bytes() == before
    link = tmp_path / "link.gpkg"
    link.symlink_to(layer)
    assert cli(repo, "validate", str(layer), "--repair", str(link)).exit_code == 2
    assert layer.read_bytes() == before


def test_reaggregate_out_equal_to_an_input_is_refused(repo, tmp_path):
    values = repo / "layers" / "kerncijfers" / "kerncijfers_2020_GM0797.csv"
    source = repo / "layers" / "cbs" / "cbs_buurten_2020_GM0797.geojson"
    target = repo / "boundaries" / "2020" / "units.geojson"
    before = {p: p.read_bytes() for p in (values, source, target)}
    base = ["reaggregate", "--source", str(source), "--values", str(values),
            "--target", str(target), "--values-code", "gwb_code"]
    for out in (values, source, target):
        result = cli(repo, *base, "--out", str(out))
        assert result.exit_code == 2, result.output
        assert "same file as the input" in result.output or "boundaries/" in result.output
    result = cli(repo, *base, "--out", str(tmp_path / "r.csv"), "--crosswalk-out",
                 str(values))
    assert result.exit_code == 2
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("where", [".", "boundaries", "layers/cbs", ".."])
def test_build_into_the_repository_is_refused(repo, where):
    before = digest(repo / "boundaries")
    result = cli(repo, "build", "--out", str(repo / where), "--no-maps")
    assert result.exit_code == 2, result.output
    assert digest(repo / "boundaries") == before


def test_a_hidden_id_creates_no_invisible_draft(repo):
    result = cli(repo, "versions", "draft", ".hidden", "--from", "2020")
    assert result.exit_code == 2
    assert not (repo / "boundaries" / ".hidden").exists()
    assert [m["id"] for m in list_versions(repo)] == ["2016", "2020"]
