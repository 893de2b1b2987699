"""wijkatlas fetch cbs / wijkatlas init against recorded PDOK and StatLine responses.

The HTTP layer is replaced at the transport (tests/fetch_fixture.py), so the real PDOK client
and the real cbsodata client run; no network is used.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest
import requests
from typer.testing import CliRunner

from geo.catalog import load_catalog
from geo.cli import STATE, app
from geo.errors import WijkatlasError
from geo.fetch import fetch_cbs, init_atlas, load_services, parse_years
from geo.fetch.cbs import commit_files, recover_interrupted
from geo.kerncijfers import read_values
from tests import fetch_fixture

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def net(monkeypatch):
    return fetch_fixture.serve(monkeypatch)


@pytest.fixture
def heusden(tmp_path) -> Path:
    """A copy of the sample atlas's configuration and CBS layers (no address points)."""
    root = tmp_path / "heusden"
    shutil.copytree(REPO / "layers", root / "layers", ignore=shutil.ignore_patterns("adressen"))
    return root


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and its hash; the (empty, git-ignored) lock file of geo.atomic.FolderLock
    that serialises fetches into one atlas is not data and is left out."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".fetch.lock"}


def cli(*args, root: Path | None = None):
    STATE["root"] = Path(".")
    pre = ["--root", str(root)] if root is not None else []
    return CliRunner().invoke(app, [*pre, *map(str, args)])


# --- the service table ------------------------------------------------------------------------


def test_services_cover_every_published_year():
    services = load_services()
    years = sorted(services.years)
    assert years == list(range(2004, 2026))
    single = {}
    for year in years:
        s = services[year]
        assert re.fullmatch(r"\d{5}NED", s.statline.table)
        if s.statline.period:
            assert s.statline.period == f"{year}JJ00"
        else:
            assert s.statline.table not in single, "one table per single-year edition"
            single[s.statline.table] = year
        assert s.geometry.url.startswith("https://") and str(year) in s.geometry.url
    assert services[2019].statline.table == "84583NED"
    assert services[2023].geometry.kind == "ogcapi" and not services[2023].geometry.generalised
    assert services[2013].geometry.generalised
    with pytest.raises(WijkatlasError, match="no CBS services are known for 1990"):
        services[1990]


@pytest.mark.parametrize("text, years", [("2023", [2023]), ("2021-2023", [2021, 2022, 2023]),
                                         ("2019, 2021", [2019, 2021])])
def test_parse_years(text, years):
    assert parse_years(text) == years


@pytest.mark.parametrize("text", ["2023-2021", "twenty", "23"])
def test_parse_years_refuses_nonsense(text):
    with pytest.raises(WijkatlasError):
        parse_years(text)


# --- fetching ---------------------------------------------------------------------------------


def test_fetch_range_two_services_two_column_conventions(net, heusden):
    for year in (2022,):  # start without the sample's 2022 files
        (heusden / f"layers/cbs/cbs_buurten_{year}_GM0797.geojson").unlink()
        (heusden / f"layers/kerncijfers/kerncijfers_{year}_GM0797.csv").unlink()
    result = cli("fetch", "cbs", "--years", "2022-2023", root=heusden)
    assert result.exit_code == 0, result.output
    assert "2022: 17 buurten, Kerncijfers 85318NED: written" in result.output
    assert "2023: 17 buurten, Kerncijfers 85618NED: written" in result.output
    catalog = load_catalog()  # the sample atlas uses the package catalog
    for year in (2022, 2023):
        geo = heusden / f"layers/cbs/cbs_buurten_{year}_GM0797.geojson"
        kern = heusden / f"layers/kerncijfers/kerncijfers_{year}_GM0797.csv"
        layer = pyogrio.read_dataframe(geo)
        assert layer.crs.to_epsg() == 28992 and len(layer) == 17
        assert layer["statcode"].str.startswith("BU0797").all()
        values = read_values(kern, catalog=catalog)
        assert set(values["year"]) == {year}
        # StatLine keys of 2022+ (HuishoudensTotaal_29, GemiddeldeWOZWaardeVanWoningen_39)
        assert {"AANT_INW", "AANTAL_HH", "WOZ", "WONINGEN"} <= set(values["variable"])
        manifest = tomllib.loads((geo.parent / (geo.name + ".manifest.toml")).read_text())
        assert manifest["credit"].startswith("Bron: CBS / PDOK")
        assert manifest["downloaded"].startswith("20") and manifest["gemeente"] == "GM0797"
        assert manifest["geometry"]["url"].startswith("https://")
        assert manifest["kerncijfers"]["statline_table"] in ("85318NED", "85618NED")
        assert manifest["geometry"]["sha256"].endswith(
            hashlib.sha256(geo.read_bytes()).hexdigest())
    # the requests: WFS filter on gemeentecode (2022), OGC API with paging (2023), StatLine
    wfs = [u for u in net.urls if "wijkenbuurten/2022/wfs" in u]
    assert len(wfs) == 1 and "GM0797" in parse_qs(urlsplit(wfs[0]).query)["filter"][0]
    ogc = [u for u in net.urls if "wijken-en-buurten-2023" in u]
    assert len(ogc) == 2 and "cursor=" in ogc[1]
    assert "EPSG/0/28992" in parse_qs(urlsplit(ogc[0]).query)["crs"][0]
    data = [u for u in net.urls if u.split("?")[0].endswith("UntypedDataSet")]
    assert all("BU0797" in parse_qs(urlsplit(u).query)["$filter"][0] for u in data)
    # the next build includes the new year (found through the configuration's patterns)
    from geo.atlas import read_config

    assert {2022, 2023} <= set(read_config(heusden).years())


def test_second_gemeente_and_older_conventions(net, tmp_path):
    folder = init_atlas(tmp_path / "loonopzand", "GM0809", year=2013)
    catalog = load_catalog(folder / "layers" / "indicators.toml")
    values = read_values(folder / "layers/kerncijfers/kerncijfers_2013_GM0809.csv",
                         catalog=catalog)
    # 82339NED keys: HuishoudensTotaal_28, GemiddeldeWoningwaarde_35; '.' is withheld
    assert {"AANTAL_HH", "WOZ"} <= set(values["variable"])
    assert (values["status"] == "suppressed").any()
    buurten = pyogrio.read_dataframe(folder / "layers/cbs/cbs_buurten_2013_GM0809.geojson")
    real = pyogrio.read_dataframe(REPO / "layers/cbs/cbs_buurten_2013_GM0809.geojson")
    assert sorted(buurten["statcode"]) == sorted(real["statcode"])  # 32 real buurten
    config = tomllib.loads((folder / "layers" / "atlas.toml").read_text())
    assert config["gemeente"] == "GM0809" and config["gemeente_name"] == "Loon op Zand"
    assert abs(buurten.area.sum() - real.area.sum()) < 1.0
    wfs = [u for u in net.urls if "gebiedsindelingen/2013" in u]
    assert "BU0809*" in parse_qs(urlsplit(wfs[0]).query)["filter"][0]


def test_refetch_shows_revisions_and_replaces_only_when_asked(net, heusden):
    assert cli("fetch", "cbs", "--year", "2023", root=heusden).exit_code == 0
    before = snapshot(heusden / "layers")
    again = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert again.exit_code == 0 and "unchanged, nothing written" in again.output
    assert snapshot(heusden / "layers") == before

    def revise(doc):  # CBS turns a provisional figure into a final one
        for row in doc["value"]:
            if row["Codering_3"].strip() == "BU07970101":
                row["AantalInwoners_5"] = "      3300"
        return doc

    def move(doc):  # and PDOK's polygon of Heusden-vesting changes
        for feature in doc["features"]:
            if feature["properties"]["buurtcode"] == "BU07971000":
                ring = feature["geometry"]["coordinates"][0]
                ring[1] = [ring[1][0] + 200, ring[1][1]]
        return doc

    net.edits["85618NED/UntypedDataSet"] = revise
    net.edits["wijken-en-buurten-2023"] = move
    changed = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert changed.exit_code == 1
    assert "NOT replaced" in changed.output
    assert re.search(r"BU07970101 AANT_INW: \d+ -> 3300", changed.output)
    assert re.search(r"BU07971000 boundary moved: \d+\.\d\d ha", changed.output)
    assert snapshot(heusden / "layers") == before  # nothing replaced
    replaced = cli("fetch", "cbs", "--year", "2023", "--replace", root=heusden)
    assert replaced.exit_code == 0 and "2023" in replaced.output and "replaced" in replaced.output
    text = (heusden / "layers/kerncijfers/kerncijfers_2023_GM0797.csv").read_text()
    assert "BU07970101,Braken-West,2023,3300," in text
    manifest = tomllib.loads((heusden / "layers/cbs/cbs_buurten_2023_GM0797.geojson"
                              ".manifest.toml").read_text())
    assert any("3300" in line for line in manifest["replaced"]["changes"])


def test_sample_year_differs_and_is_kept(net, heusden):
    """The synthetic 2022 sample is not CBS's figures: a fetch lists the difference and keeps
    the sample unless --replace is given."""
    before = snapshot(heusden / "layers")
    result = cli("fetch", "cbs", "--year", "2022", root=heusden)
    assert result.exit_code == 1 and "indicators no longer there" in result.output
    assert snapshot(heusden / "layers") == before


def test_a_lone_file_of_the_year_is_not_overwritten_silently(net, heusden):
    (heusden / "layers/cbs/cbs_buurten_2022_GM0797.geojson").unlink()
    before = snapshot(heusden / "layers")
    result = cli("fetch", "cbs", "--year", "2022", root=heusden)
    assert result.exit_code == 1 and "kerncijfers_2022_GM0797.csv is there" in result.output
    assert snapshot(heusden / "layers") == before


def test_offline_is_one_line_exit_2_and_changes_nothing(net, heusden):
    net.failures["pdok.nl"] = requests.ConnectionError("Failed to resolve 'api.pdok.nl'")
    before = snapshot(heusden)
    result = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: PDOK OGC API Features https://api.pdok.nl/cbs/"
                               "wijken-en-buurten-2023/ogc/v1")
    assert "no connection" in lines[0] and "Fix:" in lines[0]
    assert snapshot(heusden) == before


def test_statline_offline_names_statline(net, heusden):
    net.failures["opendata.cbs.nl"] = requests.ConnectionError("no route to host")
    result = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert result.exit_code == 2
    assert "CBS StatLine 85618NED" in result.output and "no connection" in result.output


def test_failure_in_a_later_year_writes_no_year(net, heusden):
    """Downloads of all years come first: when 2023 fails, 2022 is not written either."""
    for p in ("layers/cbs/cbs_buurten_2022_GM0797.geojson",
              "layers/kerncijfers/kerncijfers_2022_GM0797.csv"):
        (heusden / p).unlink()
    net.failures["85618NED/UntypedDataSet"] = requests.ReadTimeout("read timed out")
    before = snapshot(heusden)
    assert cli("fetch", "cbs", "--years", "2022-2023", root=heusden).exit_code == 2
    assert snapshot(heusden) == before
    assert not list((heusden / "layers").glob(".fetch-*"))


def test_commit_restores_the_old_files_when_a_move_fails(tmp_path, monkeypatch):
    a, b = tmp_path / "a.csv", tmp_path / "sub" / "b.geojson"
    a.write_text("old a")
    b.parent.mkdir()
    b.write_text("old b")
    real_replace = __import__("os").replace
    calls = {"n": 0}

    def flaky(src, dst):
        if Path(dst) == b and not calls["n"]:
            calls["n"] += 1
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr("geo.fetch.cbs.os.replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        commit_files([(a, "new a"), (b, "new b")], tmp_path)
    assert a.read_text() == "old a" and b.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "sub"]


def test_a_commit_killed_half_way_is_rolled_back_by_the_next_run(tmp_path):
    """A real kill -9 between the moves: the staging folder stays; the next run restores."""
    import subprocess
    import sys

    a, b, c = tmp_path / "a.csv", tmp_path / "b.geojson", tmp_path / "c.toml"
    a.write_text("old a")
    b.write_text("old b")
    script = f"""
import os, signal
from pathlib import Path
import geo.fetch.cbs as cbs
real = os.replace
def dies_at_b(src, dst):
    if Path(dst) == Path({str(b)!r}) and "old-" not in Path(src).name:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
cbs.os.replace = dies_at_b
cbs.commit_files([(Path({str(a)!r}), "new a"), (Path({str(c)!r}), "new c"),
                  (Path({str(b)!r}), "new b")], Path({str(tmp_path)!r}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=120)
    assert done.returncode == -9
    assert a.read_text() == "new a" and c.exists() and not b.exists()  # half-written
    restored = recover_interrupted(tmp_path)
    assert set(restored) == {a, b, c}
    assert a.read_text() == "old a" and b.read_text() == "old b" and not c.exists()
    assert not list(tmp_path.glob(".fetch-*"))


def test_changed_layout_names_the_service_and_what_was_expected(net, heusden):
    def rename(doc):
        for feature in doc.get("features", []):
            props = feature["properties"]
            props["code"] = props.pop("buurtcode")
        return doc

    net.edits["wijken-en-buurten-2023"] = rename
    result = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert result.exit_code == 2
    assert "https://api.pdok.nl/cbs/wijken-en-buurten-2023/ogc/v1" in result.output
    assert "expected buurtcode, buurtnaam" in result.output
    net.edits["wijken-en-buurten-2023"] = lambda doc: {"type": "Collection", "items": []}
    result = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert result.exit_code == 2 and "expected a 'features' list" in result.output


def test_statline_layout_change_is_named(net, heusden):
    def drop_codering(doc):
        for row in doc["value"]:
            row.pop("Codering_3", None)
        return doc

    net.edits["85618NED/UntypedDataSet"] = drop_codering
    result = cli("fetch", "cbs", "--year", "2023", root=heusden)
    assert result.exit_code == 2
    assert "CBS StatLine 85618NED" in result.output and "no Codering column" in result.output


def test_proxy_from_the_environment_reaches_both_clients(net, heusden, monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.gemeente.test:3128")
    assert fetch_cbs(heusden, [2023])[0].status == "new"
    assert net.urls and len(net.proxies) == len(net.urls)
    for url, proxies in zip(net.urls, net.proxies, strict=True):
        assert proxies.get("https") == "http://proxy.gemeente.test:3128", url
    assert any("opendata.cbs.nl" in u for u in net.urls)
    assert any("pdok.nl" in u for u in net.urls)


def test_no_proxy_from_the_environment_is_honoured(net, heusden, monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.gemeente.test:3128")
    monkeypatch.setenv("NO_PROXY", "pdok.nl")
    fetch_cbs(heusden, [2023])
    for url, proxies in zip(net.urls, net.proxies, strict=True):
        expected = None if "pdok.nl" in url else "http://proxy.gemeente.test:3128"
        assert proxies.get("https") == expected, url


def test_gemeente_comes_from_the_atlas_configuration(net, tmp_path):
    folder = init_atlas(tmp_path / "lz", "GM0809", year=2013)
    net.urls.clear()
    result = fetch_cbs(folder, [2012])
    assert result[0].status == "new" and result[0].n_buurten == 12
    assert all("0797" not in u for u in net.urls)
    with pytest.raises(WijkatlasError, match="this atlas is for GM0809, not GM0797"):
        fetch_cbs(folder, [2012], gemeente="GM0797")


def test_init_refuses_a_folder_with_files_and_leaves_nothing_when_offline(net, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("mine")
    assert cli("init", busy, "--gemeente", "GM0809", "--year", "2013").exit_code == 2
    assert [p.name for p in busy.iterdir()] == ["x.txt"]
    missing = cli("init", tmp_path / "new", "--gemeente", "GM0809", "--catalog",
                  tmp_path / "none.toml")
    assert missing.exit_code == 2 and "indicator catalog not found" in missing.output
    net.failures["pdok.nl"] = requests.ConnectionError("offline")
    result = cli("init", tmp_path / "new", "--gemeente", "GM0809", "--year", "2013")
    assert result.exit_code == 2 and "error: PDOK" in result.output
    assert "no connection" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_init_from_cbs_buurten(net, tmp_path):
    folder = init_atlas(tmp_path / "b", "GM0809", year=2013, indeling="buurten")
    meta = tomllib.loads((folder / "boundaries/2013/version.toml").read_text())
    assert meta["status"] == "published" and len(meta["unit"]) == 32
    assert {u["code"] for u in meta["unit"]} == {u["buurten"][0] for u in meta["unit"]}


def test_readme_second_quick_start_end_to_end(net, tmp_path):
    """init, fetch, build: as the README's second quick start, against the fixtures."""
    folder = tmp_path / "loonopzand"
    first = cli("init", folder, "--gemeente", "GM0809", "--year", "2013")
    assert first.exit_code == 0, first.output
    second = cli("fetch", "cbs", "--years", "2012-2013", root=folder)
    assert second.exit_code == 0, second.output
    assert "2012: 12 buurten" in second.output and "unchanged" in second.output
    third = cli("build", "--out", folder / "build", root=folder)
    assert third.exit_code == 0, third.output
    gpkg = folder / "build" / "atlas.gpkg"
    results = pyogrio.read_dataframe(gpkg, layer="results", read_geometry=False)
    inw = results[(results.variable == "AANT_INW") & (results.version == "2013")]
    assert set(inw["year"]) == {2012, 2013} and inw["unit_code"].nunique() == 4
    catalog = load_catalog(folder / "layers" / "indicators.toml")
    for year in (2012, 2013):
        source = read_values(folder / f"layers/kerncijfers/kerncijfers_{year}_GM0809.csv",
                             catalog=catalog)
        total = source[(source.variable == "AANT_INW")]["value"].sum()
        assert inw[inw.year == year]["value"].sum() == pytest.approx(total)
    assert (folder / "build" / "maps" / "index.html").exists()
    atlas = pyogrio.read_dataframe(gpkg, layer="atlas", read_geometry=False)
    assert atlas["name"].iloc[0] == "Wijkatlas Loon op Zand"
    assert "CBS" in atlas["credit"].iloc[0]


def test_read_statline_knows_every_year_from_the_service_table(net, monkeypatch):
    """geo.kerncijfers.read_statline takes its year from cbs_services.toml (2023 here, beyond
    the 2016-2020 it used to know) and passes the environment's proxy to cbsodata."""
    from geo.kerncijfers import read_statline

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.gemeente.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    catalog = load_catalog()
    with pytest.warns(UserWarning):
        long = read_statline("85618NED", catalog=catalog, municipality="GM0797")
    assert set(long["year"]) == {2023} and long["code"].nunique() == 17
    assert all(p.get("https") == "http://proxy.gemeente.test:3128" for p in net.proxies)
