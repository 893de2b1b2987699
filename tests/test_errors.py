"""Every bad input is one clear line (file, row/unit, fix), exit code 2 and nothing written.

One test per input of issue 16, and one parametrised test that feeds the same broken files
to every file argument of every command and asserts that none ends in a traceback.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.catalog import load_catalog
from geo.cli import app
from geo.errors import WijkatlasError, shorten
from geo.kerncijfers import read_table, read_values
from geo.reaggregate import reaggregate
from tests import broken
from tests.helpers import REPO, copy_repo

runner = CliRunner()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return broken.good_inputs(tmp_path_factory.mktemp("good"))


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return broken.broken_files(tmp_path_factory.mktemp("broken"))


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def refused(result, *names: str) -> str:
    """Assert the one-line refusal: exit 2, no traceback, one ``error:`` line naming
    ``names`` with a fix; returns the line."""
    text = result.output
    assert result.exit_code == 2, text
    assert "Traceback" not in text and result.exception is None or \
        isinstance(result.exception, SystemExit), text
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, text
    assert all(not line.startswith(" ") for line in result.stderr.splitlines()), text
    line = errors[0]
    assert "Fix:" in line, line
    for name in names:
        assert name in line, (name, line)
    assert len(line) < 1200, line
    return line


def reagg(inputs, tmp_path, **over):
    args = {"--source": inputs["src"], "--source-code": "statcode", "--target": inputs["tgt"],
            "--target-code": "code", "--values": inputs["values"],
            "--out": tmp_path / "out.csv"}
    args.update(over)
    argv = ["reaggregate"]
    for key, value in args.items():
        argv += [key, str(value)]
    return runner.invoke(app, argv)


# --- values tables -----------------------------------------------------------------------

def test_empty_values_csv(inputs, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    line = refused(reagg(inputs, tmp_path, **{"--values": tmp_path / "empty.csv"}),
                   "empty.csv")
    assert "empty" in line
    assert not (tmp_path / "out.csv").exists()


def test_header_only_csv(inputs, tmp_path):
    (tmp_path / "header.csv").write_text("BU_CODE,AANT_INW\n")
    line = refused(reagg(inputs, tmp_path, **{"--values": tmp_path / "header.csv"}),
                   "header.csv")
    assert "no data rows" in line
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(("name", "words"), [
    ("truncated", "damaged or truncated"), ("csv_as", "rename it to .csv"),
    ("lying", "claims"),
])
def test_broken_workbooks(inputs, tmp_path, name, words):
    books = broken.xlsx_variants(tmp_path)
    line = refused(reagg(inputs, tmp_path, **{"--values": books[name]}), f"{name}.xlsx")
    assert words in line
    assert not (tmp_path / "out.csv").exists()


def test_good_workbook_reads(inputs, tmp_path):
    books = broken.xlsx_variants(tmp_path)
    res = reagg(inputs, tmp_path, **{"--values": books["good"]})
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("text", ["inf", "1e400", "-inf", "Infinity"])
def test_non_finite_counts_are_refused(inputs, tmp_path, text):
    path = broken.with_cell(tmp_path, "inf.csv", "AANT_INW", text)
    line = refused(reagg(inputs, tmp_path, **{"--values": path}), "inf.csv", "BU07970101",
                   "AANT_INW", "row 2")
    assert "finite" in line
    assert not (tmp_path / "out.csv").exists()


def test_table_without_known_variable(inputs, tmp_path):
    frame = broken.values_frame()[["BU_CODE", "BU_NAAM"]].assign(fietsen=1)
    frame.to_csv(tmp_path / "novar.csv", index=False)
    line = refused(reagg(inputs, tmp_path, **{"--values": tmp_path / "novar.csv"}),
                   "novar.csv", "fietsen")
    assert "none of the columns" in line
    assert not (tmp_path / "out.csv").exists()


def test_wrong_values_code_names_this_commands_option(inputs, tmp_path):
    line = refused(reagg(inputs, tmp_path, **{"--values-code": "gwb"}), "values.csv", "gwb")
    assert "--values-code" in line and "--code-column" not in line


def test_nul_byte_csv_is_refused_early_in_bounded_time_and_memory(tmp_path):
    path = tmp_path / "nul.csv"
    with open(path, "wb") as handle:
        handle.write(b"BU_CODE,AANT_INW,P_65_EO_JR,WOZ\n")
        handle.truncate(broken.NUL_BYTES)  # NUL bytes, sparse on disk
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(WijkatlasError) as err:
        read_table(path)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "NUL" in str(err.value) and len(str(err.value)) < 400
    assert elapsed < 2.0
    assert peak < 8 * 1024 * 1024  # the file is 48 MiB; reading it whole would show


def test_long_cell_is_cut_in_the_message(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "long_2019.csv"
    path.write_text("BU_CODE,AANT_INW\nBU07970101," + "x" * 200_000 + "\n")
    with pytest.raises(WijkatlasError) as err:
        read_values(path, catalog=catalog)
    assert len(str(err.value)) < 700 and "200,000 chars" in str(err.value)
    assert len(shorten("y" * 10**6)) <= 80


# --- numbers as written ------------------------------------------------------------------

def test_dutch_csv_reads_thousands_and_decimal_comma(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "cbs_2019.csv"
    path.write_text("BU_CODE;AANT_INW;P_65_EO_JR\nBU07970101;1.998;15,5\n"
                    "BU07970102;26.741;9,0\nBU07970103;812;-\n", encoding="utf-8")
    long = read_values(path, catalog=catalog).set_index(["code", "variable"])["value"]
    assert long["BU07970101", "AANT_INW"] == 1998
    assert long["BU07970102", "AANT_INW"] == 26741
    assert long["BU07970103", "AANT_INW"] == 812
    assert long["BU07970101", "P_65_EO_JR"] == 15.5


def test_english_thousands_with_decimal_point(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "en_2019.csv"
    path.write_text('BU_CODE,AANT_INW,GEM_HH_GR\nBU07970101,"1,998",2.4\n'
                    'BU07970102,"26,741",2.25\n', encoding="utf-8")
    long = read_values(path, catalog=catalog).set_index(["code", "variable"])["value"]
    assert long["BU07970101", "AANT_INW"] == 1998 and long["BU07970102", "GEM_HH_GR"] == 2.25


def test_ambiguous_column_is_refused_with_column_and_fix(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "amb_2019.csv"
    path.write_text("BU_CODE;AANT_INW\nBU07970101;1.998\nBU07970102;812\n")
    with pytest.raises(WijkatlasError) as err:
        read_values(path, catalog=catalog)
    msg = str(err.value)
    assert "AANT_INW" in msg and "1998" in msg and "Fix:" in msg and "row 2" in msg


def test_mixed_decimal_marks_are_refused(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "mixed_2019.csv"
    path.write_text("BU_CODE;GEM_HH_GR;P_65_EO_JR\nBU07970101;2.4;15,5\n")
    with pytest.raises(WijkatlasError, match="mixes a decimal comma"):
        read_values(path, catalog=catalog)


def test_dot_decimal_in_a_decimal_comma_file_is_refused(tmp_path):
    catalog = load_catalog()
    path = tmp_path / "half_2019.csv"
    path.write_text("BU_CODE;P_65_EO_JR\nBU07970101;15,5\nBU07970102;1.5\n")
    with pytest.raises(WijkatlasError, match="mixes a decimal comma.*'1.5'"):
        read_values(path, catalog=catalog)


def test_real_cbs_kwb_file_reads_as_written():
    """The real kwb extract of layers/cbs (comma separated, integers): 44,135 inhabitants."""
    catalog = load_catalog()
    with pytest.warns(UserWarning):  # its 'region' column is reported as not read
        long = read_values(REPO / "layers" / "cbs" / "kwb_2019_gemeente_GM0797.csv",
                           catalog=catalog, code_column="unique_id")
    got = long.set_index("variable")["value"]
    assert got["AANT_INW"] == 44135 and got["AANT_MAN"] == 22139
    assert got["A_00_14"] + got["A_15_24"] + got["A_25_44"] + got["A_45_64"] + \
        got["A_65_OO"] == 44135


def test_statline_style_table(tmp_path):
    """StatLine CSV download: ';', quoted, a decimal comma, '.' for geheim."""
    catalog = load_catalog()
    path = tmp_path / "84583NED_2019.csv"
    path.write_text('"ID";"WijkenEnBuurten";"Codering_3";"AantalInwoners_5";'
                    '"GemiddeldeHuishoudensgrootte_32"\n'
                    '"1";"Braken-West";"BU07970101";"3.106";"2,4"\n'
                    '"2";"Braken-Oost";"BU07970102";"4.153";"."\n', encoding="utf-8")
    long = read_values(path, catalog=catalog).set_index(["code", "variable"])
    assert long.loc[("BU07970101", "AANT_INW"), "value"] == 3106
    assert long.loc[("BU07970101", "GEM_HH_GR"), "value"] == 2.4
    assert long.loc[("BU07970102", "GEM_HH_GR"), "status"] == "suppressed"


def test_wijk_en_buurtkaart_style_table(tmp_path):
    """Wijk- en Buurtkaart attribute export: plain numbers, sentinels, a decimal point."""
    catalog = load_catalog()
    path = tmp_path / "buurt_2019.csv"
    path.write_text("BU_CODE,BU_NAAM,AANT_INW,GEM_HH_GR,WOZ\n"
                    "BU07970101,Braken-West,3106,2.4,276\n"
                    "BU07970102,Braken-Oost,4153,-99997,-99995\n", encoding="utf-8")
    long = read_values(path, catalog=catalog).set_index(["code", "variable"])
    assert long.loc[("BU07970102", "AANT_INW"), "value"] == 4153
    assert long.loc[("BU07970101", "GEM_HH_GR"), "value"] == 2.4
    assert long.loc[("BU07970102", "GEM_HH_GR"), "status"] == "suppressed"
    assert long.loc[("BU07970102", "WOZ"), "status"] == "missing"


# --- layers ------------------------------------------------------------------------------

def test_swapped_latitude_longitude_target(inputs, bad, tmp_path):
    line = refused(reagg(inputs, tmp_path, **{"--target": bad["swapped.geojson"]}),
                   "swapped.geojson")
    assert "outside the Netherlands" in line and "swapped" in line
    assert not (tmp_path / "out.csv").exists()


def test_target_that_no_source_overlaps(inputs, tmp_path):
    far = gpd.read_file(inputs["tgt"])
    far.geometry = far.translate(0, 120_000)  # still in the Netherlands, not over Heusden
    far.to_file(tmp_path / "far.gpkg")
    line = refused(reagg(inputs, tmp_path, **{"--target": tmp_path / "far.gpkg"}), "far.gpkg")
    assert "overlaps" in line
    assert not (tmp_path / "out.csv").exists()


def test_corrupt_weights_geopackage(inputs, bad, tmp_path):
    refused(reagg(inputs, tmp_path, **{"--weights": bad["corrupt.gpkg"]}), "corrupt.gpkg")
    assert not (tmp_path / "out.csv").exists()


def test_corrupt_gemeente_geopackage(inputs, bad):
    res = runner.invoke(app, ["validate", str(inputs["tgt"]), "--gemeente",
                              str(bad["corrupt.gpkg"])])
    refused(res, "corrupt.gpkg")


def test_nan_with_status_observed_is_refused_by_the_api():
    values = pd.DataFrame({"code": ["A", "B"], "variable": "AANT_INW",
                           "value": [np.nan, 5.0], "status": "observed"})
    cw = pd.DataFrame({"source_code": ["A", "B"], "target_code": "T", "weight": 1.0,
                       "method": "exact"})
    with pytest.raises(WijkatlasError, match="not a finite number"):
        reaggregate(values, cw, load_catalog(), pd.Series([1.0], index=["T"]))


# --- outputs -----------------------------------------------------------------------------

def test_out_in_a_read_only_folder(inputs, tmp_path):
    if os.geteuid() == 0:  # root writes through permission bits: use a folder no one can
        folder = Path("/proc/1")
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
    line = refused(reagg(inputs, tmp_path, **{"--out": folder / "out.csv"}), "out.csv")
    assert "cannot be written" in line
    assert not (folder / "out.csv").exists()


def test_out_equal_to_an_existing_folder(inputs, tmp_path):
    (tmp_path / "res").mkdir()
    line = refused(reagg(inputs, tmp_path, **{"--out": tmp_path / "res"}), "res")
    assert "folder" in line
    assert list((tmp_path / "res").iterdir()) == []


def test_build_out_that_is_a_file_is_refused_before_computing(tmp_path, monkeypatch):
    import geo.atlas

    def boom(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("the atlas was computed before --out was checked")

    monkeypatch.setattr(geo.atlas, "build_atlas", boom)
    (tmp_path / "afile").write_text("x")
    refused(runner.invoke(app, ["--root", str(REPO), "build", "--out",
                                str(tmp_path / "afile")]), "afile")
    assert (tmp_path / "afile").read_text() == "x"


def test_maps_atlas_that_is_not_a_geopackage(bad, tmp_path):
    res = runner.invoke(app, ["--root", str(REPO), "maps", "--atlas", str(bad["text.gpkg"]),
                              "--out", str(tmp_path / "maps")])
    refused(res, "text.gpkg")
    assert not (tmp_path / "maps").exists()


# --- the register and the configuration --------------------------------------------------

@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    copy_repo(root)
    return root


@pytest.mark.parametrize(("content", "words"), [
    ('name = "Caf\xe9"\n'.encode("latin-1"), "not UTF-8"),
    (b"name = \n", "not valid TOML"),
    (b'name = "x"\n', "has no id"),
])
def test_version_toml_unreadable(repo, content, words):
    meta = repo / "boundaries" / "2016" / "version.toml"
    meta.write_bytes(content)
    line = refused(runner.invoke(app, ["--root", str(repo), "versions", "show", "2016"]),
                   "version.toml")
    assert words in line
    listed = runner.invoke(app, ["--root", str(repo), "versions", "list"])
    assert listed.exception is None or isinstance(listed.exception, SystemExit)
    assert "unreadable version.toml" in listed.output and "Traceback" not in listed.output


def test_published_version_without_units_geojson(repo):
    (repo / "boundaries" / "2020" / "units.geojson").unlink()
    before = files_in(repo)
    line = refused(runner.invoke(app, ["--root", str(repo), "versions", "show", "2020"]),
                   "units.geojson")
    assert "git checkout" in line
    assert files_in(repo) == before


def test_atlas_toml_without_versions(repo, tmp_path):
    config = repo / "layers" / "atlas.toml"
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if not line.startswith("versions")))
    line = refused(runner.invoke(app, ["--root", str(repo), "build", "--out",
                                       str(tmp_path / "b"), "--no-maps"]), "atlas.toml")
    assert "versions" in line
    assert not (tmp_path / "b" / "atlas.gpkg").exists()


# --- notices -----------------------------------------------------------------------------

def test_notice_is_one_plain_line(inputs, tmp_path):
    frame = broken.values_frame()[["BU_CODE", "AANT_INW"]].assign(fietsen=1)
    frame.to_csv(tmp_path / "extra.csv", index=False)
    res = reagg(inputs, tmp_path, **{"--values": tmp_path / "extra.csv"})
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    assert lines and all(line.startswith("notice: ") for line in lines), res.stderr
    assert sum("fietsen" in line for line in lines) == 1
    assert "Warning" not in res.stderr and ".py:" not in res.stderr


# --- every command, the same broken files ------------------------------------------------

#: Command lines with {f} for the broken file (run with --root at the repository).
COMMANDS = {
    "validate": ["validate", "{f}"],
    "validate --gemeente": ["validate", "{tgt}", "--gemeente", "{f}"],
    "versions import": ["versions", "import", "2020", "{f}"],
    "versions diff": ["versions", "diff", "2016", "{f}"],
    "reaggregate --source": ["reaggregate", "--source", "{f}", "--values", "{values}",
                             "--target", "{tgt}", "--out", "{out}"],
    "reaggregate --target": ["reaggregate", "--source", "{src}", "--values", "{values}",
                             "--target", "{f}", "--out", "{out}"],
    "reaggregate --values": ["reaggregate", "--source", "{src}", "--values", "{f}",
                             "--target", "{tgt}", "--out", "{out}"],
    "reaggregate --weights": ["reaggregate", "--source", "{src}", "--values", "{values}",
                              "--target", "{tgt}", "--weights", "{f}", "--out", "{out}"],
    "reaggregate --raster": ["reaggregate", "--source", "{src}", "--values", "{values}",
                             "--target", "{tgt}", "--raster", "{f}", "--out", "{out}"],
    "reaggregate --catalog": ["reaggregate", "--source", "{src}", "--values", "{values}",
                              "--target", "{tgt}", "--catalog", "{f}", "--out", "{out}"],
    "maps --atlas": ["maps", "--atlas", "{f}", "--out", "{out_dir}"],
    "records --source": ["records", "--source", "{f}", "--target", "{tgt}", "--out", "{out}"],
    "records --target": ["records", "--source", str(REPO / "layers/records/politie.toml"),
                         "--target", "{f}", "--out", "{out}"],
    "survey --questions": ["survey", "--respondents", "{values}", "--questions", "{f}",
                           "--population", "{values}", "--target", "{tgt}", "--out", "{out}"],
    "survey --respondents": ["survey", "--respondents", "{f}", "--questions",
                             str(REPO / "layers/enquete/vragenlijst_2019.toml"),
                             "--population", "{values}", "--target", "{tgt}",
                             "--out", "{out}"],
}
BROKEN = ["empty.csv", "empty.gpkg", "nul.csv", "text.gpkg", "corrupt.gpkg",
          "garbage.geojson", "latin1.toml", "notes.txt", "truncated.xlsx", "csv_as.xlsx",
          "truncated.gpkg", "swapped.geojson", "a_folder.gpkg", "missing.gpkg"]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_refuses_every_broken_file_in_one_line(command, inputs, bad, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for name in BROKEN:
        argv = [a.format(f=bad[name], src=inputs["src"], tgt=inputs["tgt"],
                         values=inputs["values"], out=out_dir / "o.csv",
                         out_dir=out_dir / "maps") for a in COMMANDS[command]]
        res = runner.invoke(app, ["--root", str(REPO), *argv])
        assert "Traceback" not in res.output, (name, res.output)
        assert not isinstance(res.exception, Exception) or \
            isinstance(res.exception, SystemExit), (name, repr(res.exception))
        assert res.exit_code == 2, (command, name, res.output)
        assert "unexpected" not in res.output, (name, res.output)
        lines = res.stderr.splitlines()
        assert sum(line.startswith("error: ") for line in lines) == 1, (name, res.stderr)
        assert all(line.startswith(("error: ", "notice: ")) for line in lines), \
            (name, res.stderr)
        assert list(out_dir.iterdir()) == [], (name, list(out_dir.iterdir()))
