"""The yearly update: CBS buurt geometry and Kerncijfers of one gemeente into ``layers/``.

In: an atlas repository (``layers/atlas.toml`` names the gemeente and the file patterns) and
a list of years. Out, per year, under the names the configuration expects (so the next
``wijkatlas build`` / ``make atlas`` includes the year):

* the buurten (``buurten`` pattern, GeoJSON in EPSG:28992),
* the Kerncijfers (``kerncijfers`` pattern, CSV with CBS's StatLine column names and symbols),
* a manifest next to the buurten (``<buurten file>.manifest.toml``): the CBS credit, the
  licence, the date and addresses of the download, the StatLine table, checksums.

Everything is downloaded before anything is written; the files of a year are staged and moved
into place together (with the previous files restored if a move fails), so an interrupted or
failed download never leaves a half-written year. A year that is already there is compared
with the new download first (CBS revises provisional figures); it is replaced only with
``replace=True``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import tomli_w

from geo import atomic
from geo.atlas import CONFIG, AtlasConfig, read_config
from geo.catalog import Catalog, load_catalog
from geo.errors import WijkatlasError
from geo.fetch.pdok import buurten_geojson, fetch_buurten, session
from geo.fetch.services import Services, YearServices, check_gemeente, load_services
from geo.fetch.statline import KerncijfersTable, fetch_kerncijfers
from geo.kerncijfers import read_values, wide_to_long
from geo.sources import load_cbs_buurten
from geo.units import SQM_PER_HA

#: Area moved per buurt below this many hectares is not reported as a change.
MOVED_HA = 0.01


@dataclass
class YearDownload:
    """Everything fetched for one year, not yet written."""

    year: int
    services: YearServices
    buurten: gpd.GeoDataFrame
    kerncijfers: KerncijfersTable
    downloaded: str


@dataclass
class YearResult:
    """What ``fetch_cbs`` did with one year.

    ``status`` is ``new`` (written), ``unchanged`` (same as on disk, nothing written),
    ``changed`` (differs from what is on disk; not written without ``replace``) or
    ``replaced`` (differed and was replaced).
    """

    year: int
    status: str
    buurten_path: Path
    kerncijfers_path: Path
    manifest_path: Path
    n_buurten: int
    changes: list[str] = field(default_factory=list)
    download: YearDownload | None = None

    def summary(self) -> str:
        what = {"new": "written", "unchanged": "unchanged, nothing written",
                "changed": "differs from the files on disk; NOT replaced (use --replace)",
                "replaced": "replaced"}[self.status]
        return (f"{self.year}: {self.n_buurten} buurten, Kerncijfers "
                f"{self.download.kerncijfers.table.table if self.download else ''}: {what}")


def manifest_path(buurten_path: Path) -> Path:
    return buurten_path.with_name(buurten_path.name + ".manifest.toml")


def _config_gemeente(config: AtlasConfig, gemeente: str | None) -> str:
    raw = _raw_config(config.root)
    configured = raw.get("gemeente")
    if gemeente is None:
        if not configured:
            raise WijkatlasError("the atlas configuration names no gemeente.",
                                 file=config.root / CONFIG,
                                 fix='add gemeente = "GM...." to layers/atlas.toml, or pass '
                                     "--gemeente.")
        return check_gemeente(configured)
    gemeente = check_gemeente(gemeente)
    if configured and check_gemeente(configured) != gemeente:
        raise WijkatlasError(
            f"this atlas is for {check_gemeente(configured)}, not {gemeente}.",
            file=config.root / CONFIG, unit=gemeente,
            fix=f"start a separate atlas with: wijkatlas init --gemeente {gemeente} FOLDER")
    return gemeente


def _raw_config(root: Path) -> dict:
    from geo.files import read_toml

    return read_toml(Path(root) / CONFIG, what="atlas configuration")


def _target(config: AtlasConfig, pattern: str, year: int) -> Path:
    path = (config.root / pattern.format(year=year)).resolve()
    layers = (config.root / "layers").resolve()
    if layers not in path.parents:
        raise WijkatlasError(f"the pattern {pattern!r} points outside layers/.",
                             file=config.root / CONFIG,
                             fix="keep the buurten and kerncijfers patterns under layers/.")
    return path


def download_year(services: YearServices, gemeente: str, catalog: Catalog, *,
                  http=None, progress: Callable[[str], None] | None = None) -> YearDownload:
    """Download (not write) one year's buurten and Kerncijfers of ``gemeente``."""
    when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    if progress:
        progress(f"{services.year}: buurten from {services.geometry.label}")
    buurten = fetch_buurten(services.geometry, gemeente, http=http)
    if progress:
        progress(f"{services.year}: Kerncijfers from {services.statline.label}")
    table = fetch_kerncijfers(services.statline, gemeente, catalog)
    unknown = sorted(set(table.frame["BU_CODE"]) - set(buurten["statcode"]))
    if unknown:
        raise WijkatlasError(
            f"{services.statline.label} has buurten that {services.geometry.label} does not "
            f"have in {services.year}: {', '.join(unknown[:10])}; nothing was changed.",
            file=services.statline.label, unit=unknown[0], rule="layout",
            fix="the two CBS services disagree on the buurt division of this year: check the "
                "year's entries in geo/fetch/cbs_services.toml.")
    return YearDownload(year=services.year, services=services, buurten=buurten,
                        kerncijfers=table, downloaded=when)


# --- comparing with what is on disk ---------------------------------------------------------


def geometry_changes(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> list[str]:
    """Codes added or removed, renamed buurten and area moved per buurt (half the symmetric
    difference, ha), one line each. ``old``/``new``: ``code, name, geometry`` in EPSG:28992."""
    lines: list[str] = []
    old_i, new_i = old.set_index("code"), new.set_index("code")
    added = sorted(set(new_i.index) - set(old_i.index))
    removed = sorted(set(old_i.index) - set(new_i.index))
    if added:
        lines.append(f"buurten added: {', '.join(added)}")
    if removed:
        lines.append(f"buurten removed: {', '.join(removed)}")
    both = sorted(set(old_i.index) & set(new_i.index))
    if both:
        a = old_i.loc[both]
        b = new_i.loc[both]
        renamed = [c for c, x, y in zip(both, a["name"], b["name"], strict=True)
                   if str(x) != str(y)]
        for code in renamed:
            lines.append(f"{code} renamed: {a.loc[code, 'name']} -> {b.loc[code, 'name']}")
        moved = shapely.area(shapely.symmetric_difference(
            shapely.make_valid(a.geometry.values), shapely.make_valid(b.geometry.values))) \
            / 2 / SQM_PER_HA
        for code, ha in zip(both, moved, strict=True):
            if ha > MOVED_HA:
                lines.append(f"{code} boundary moved: {ha:.2f} ha")
    return lines


def value_changes(old: pd.DataFrame, new: pd.DataFrame, limit: int = 15) -> list[str]:
    """Changed cells between two long Kerncijfers tables (``code, variable, value, status``)."""
    merged = old.merge(new, on=["code", "variable"], how="outer",
                       suffixes=("_old", "_new"), indicator=True)
    lines: list[str] = []
    only_new = merged[merged["_merge"] == "right_only"]["variable"].unique()
    only_old = merged[merged["_merge"] == "left_only"]["variable"].unique()
    if len(only_new):
        lines.append(f"indicators added: {', '.join(sorted(map(str, only_new)))}")
    if len(only_old):
        lines.append(f"indicators no longer there: {', '.join(sorted(map(str, only_old)))}")
    both = merged[merged["_merge"] == "both"]
    v_old, v_new = both["value_old"].to_numpy(float), both["value_new"].to_numpy(float)
    differs = (both["status_old"].to_numpy() != both["status_new"].to_numpy()) | ~(
        np.isclose(v_old, v_new, rtol=0, atol=1e-9) | (np.isnan(v_old) & np.isnan(v_new)))
    changed = both[differs]
    if len(changed):
        lines.append(f"{len(changed)} figure(s) revised in {changed['code'].nunique()} "
                     f"buurt(en):")
        for row in changed.head(limit).itertuples(index=False):
            lines.append(f"  {row.code} {row.variable}: {_cell(row.value_old, row.status_old)}"
                         f" -> {_cell(row.value_new, row.status_new)}")
        if len(changed) > limit:
            lines.append(f"  ... and {len(changed) - limit} more")
    return lines


def _cell(value: float, status: str) -> str:
    if status != "observed":
        return status
    return f"{value:g}"


def _changes(download: YearDownload, buurten_path: Path, kerncijfers_path: Path,
             catalog: Catalog) -> list[str]:
    old_geo = load_cbs_buurten(buurten_path, download.year)
    new_geo = gpd.GeoDataFrame({"code": download.buurten["statcode"],
                                "name": download.buurten["statnaam"]},
                               geometry=download.buurten.geometry, crs=download.buurten.crs)
    lines = geometry_changes(old_geo, new_geo)
    import warnings

    from geo.kerncijfers import IgnoredInputWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredInputWarning)
        old_values = read_values(kerncijfers_path, catalog=catalog, year=download.year)
        new_values = wide_to_long(download.kerncijfers.frame, catalog=catalog,
                                  file=download.kerncijfers.table.label, year=download.year)
    return lines + value_changes(old_values, new_values)


# --- writing --------------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _manifest(download: YearDownload, gemeente: str, services: Services, config: AtlasConfig,
              files: dict[str, tuple[Path, str]], previous: list[str]) -> str:
    geo, table = download.services.geometry, download.kerncijfers.table
    rel = {k: p.relative_to(config.root.resolve()).as_posix() for k, (p, _) in files.items()}
    doc = {
        "year": download.year,
        "gemeente": gemeente,
        "downloaded": download.downloaded,
        "credit": services.credit,
        "licence": services.licence,
        "made_by": "wijkatlas fetch cbs",
        "geometry": {
            "file": rel["buurten"], "sha256": _sha256(files["buurten"][1]),
            "service": geo.label, "url": geo.url, "layer": geo.layer, "kind": geo.kind,
            "generalised": geo.generalised, "download": geo.download,
            "query": (f"{geo.gemeente} = {gemeente}" if geo.gemeente
                      else f"{geo.code} LIKE BU{gemeente[2:]}*"),
            "buurten": int(len(download.buurten)),
        },
        "kerncijfers": {
            "file": rel["kerncijfers"], "sha256": _sha256(files["kerncijfers"][1]),
            "statline_table": table.table, "url": table.url, "period": table.period,
            "filter": (f"substringof('BU{gemeente[2:]}',WijkenEnBuurten)"
                       + (f" and Perioden eq '{table.period}'" if table.period else "")),
            "rows": int(len(download.kerncijfers.frame)),
            "columns": [c for c in download.kerncijfers.frame.columns
                        if c not in ("BU_CODE", "BU_NAAM", "jaar")],
            "not_kept": len(download.kerncijfers.dropped),
        },
    }
    if previous:
        doc["replaced"] = {"on": download.downloaded, "changes": previous}
    return ("# Written by `wijkatlas fetch cbs`; describes the files of this year.\n"
            + tomli_w.dumps(doc))


def commit_files(files: list[tuple[Path, str]], staging_root: Path) -> None:
    """Move several new files into place together.

    Each file is first written completely (``geo.atomic.write_text``) into a staging folder
    next to the targets, with a plan of the targets; then the targets are swapped in one after
    the other, the previous files kept in the staging folder. If a step fails, the targets
    already swapped get their previous content back (or are removed when they are new), so
    the set is either wholly new or wholly old. A process killed in the middle leaves the
    staging folder; :func:`recover_interrupted` (run before every fetch) puts the old set back.
    """
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".fetch-", dir=staging_root))
    done: list[tuple[Path, Path | None]] = []
    try:
        plan = [{"target": str(target), "existed": target.exists()} for target, _ in files]
        staged = [atomic.write_text(stage / f"new-{i}", text)
                  for i, (_, text) in enumerate(files)]
        atomic.write_text(stage / PLAN, json.dumps(plan))
        for i, ((target, _), new) in enumerate(zip(files, staged, strict=True)):
            target.parent.mkdir(parents=True, exist_ok=True)
            backup = None
            if target.exists():
                backup = stage / f"old-{i}"
                os.replace(target, backup)
            done.append((target, backup))
            os.replace(new, target)
    except BaseException:
        for target, backup in reversed(done):
            try:
                if backup is not None and backup.exists():
                    os.replace(backup, target)
                elif backup is None and target.exists():
                    target.unlink()
            except OSError:  # keep restoring the others; the original error is raised
                continue
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


PLAN = "plan.json"


def recover_interrupted(staging_root: Path) -> list[Path]:
    """Put back the previous files of a commit that was killed half-way (power cut,
    ``kill -9``): every target that had been moved aside gets its old content back, targets
    that were new are removed. Returns the targets restored."""
    restored: list[Path] = []
    for stage in sorted(Path(staging_root).glob(".fetch-*")):
        plan_file = stage / PLAN
        if stage.is_dir() and plan_file.exists():
            for i, entry in enumerate(json.loads(plan_file.read_text(encoding="utf-8"))):
                target, old = Path(entry["target"]), stage / f"old-{i}"
                if old.exists():
                    os.replace(old, target)
                    restored.append(target)
                elif not entry["existed"] and target.exists():
                    target.unlink()
                    restored.append(target)
        shutil.rmtree(stage, ignore_errors=True)
    return restored


def write_year(download: YearDownload, config: AtlasConfig, gemeente: str, services: Services,
               previous: list[str] | None = None) -> tuple[Path, Path, Path]:
    """Write one downloaded year under the configuration's names, all or nothing."""
    buurten_path = _target(config, config.buurten, download.year)
    kern_path = _target(config, config.kerncijfers, download.year)
    geojson = buurten_geojson(download.buurten)
    csv_text = download.kerncijfers.frame.to_csv(index=False, lineterminator="\n")
    files = {"buurten": (buurten_path, geojson), "kerncijfers": (kern_path, csv_text)}
    man_path = manifest_path(buurten_path)
    manifest = _manifest(download, gemeente, services, config, files, previous or [])
    commit_files([(kern_path, csv_text), (buurten_path, geojson), (man_path, manifest)],
                 (config.root / "layers").resolve())
    return buurten_path, kern_path, man_path


def fetch_cbs(root: str | Path, years: list[int], *, gemeente: str | None = None,
              replace: bool = False, services: Services | None = None, http=None,
              progress: Callable[[str], None] | None = None) -> list[YearResult]:
    """Fetch CBS buurt geometry and Kerncijfers for ``years`` into an atlas repository.

    Parameters
    ----------
    root
        The atlas repository (``layers/atlas.toml``).
    years
        Reference years (e.g. ``[2021, 2022, 2023]``).
    gemeente
        CBS gemeentecode; default and only allowed value: the one in ``layers/atlas.toml``.
    replace
        Replace a year that is already there when the new download differs.

    Returns
    -------
    One :class:`YearResult` per year. All years are downloaded before any is written; when
    one download fails, nothing is written.
    """
    config = read_config(root)
    config = AtlasConfig(**{**config.__dict__, "root": Path(config.root).resolve()})
    gemeente = _config_gemeente(config, gemeente)
    services = services or load_services()
    catalog = load_catalog(config.catalog)
    http = http or session()
    layers = config.root / "layers"
    if any(layers.glob(".fetch-*")):  # a fetch killed half-way: put its old files back
        with atomic.FolderLock(layers, name=".fetch.lock", what=f"{layers} (another fetch)"):
            recover_interrupted(layers)
    downloads = [download_year(services[y], gemeente, catalog, http=http, progress=progress)
                 for y in years]
    with atomic.FolderLock(layers, name=".fetch.lock", what=f"{layers} (another fetch)"):
        return [_store(download, config, gemeente, services, catalog, replace)
                for download in downloads]


def _store(download: YearDownload, config: AtlasConfig, gemeente: str, services: Services,
           catalog: Catalog, replace: bool) -> YearResult:
    """Compare one downloaded year with the files on disk and write it when new or asked."""
    buurten_path = _target(config, config.buurten, download.year)
    kern_path = _target(config, config.kerncijfers, download.year)
    result = YearResult(year=download.year, status="new", buurten_path=buurten_path,
                        kerncijfers_path=kern_path, manifest_path=manifest_path(buurten_path),
                        n_buurten=len(download.buurten), download=download)
    if buurten_path.exists() and kern_path.exists():
        result.changes = _changes(download, buurten_path, kern_path, catalog)
        result.status = ("unchanged" if not result.changes
                         else "replaced" if replace else "changed")
    elif buurten_path.exists() or kern_path.exists():
        alone = buurten_path if buurten_path.exists() else kern_path
        result.changes = [f"{alone.name} is there without its "
                          f"{'Kerncijfers' if alone == buurten_path else 'buurten'}; "
                          "it would be overwritten"]
        result.status = "replaced" if replace else "changed"
    if result.status in ("new", "replaced"):
        write_year(download, config, gemeente, services,
                   previous=result.changes if result.status == "replaced" else None)
    return result


__all__ = ["YearDownload", "YearResult", "commit_files", "download_year", "fetch_cbs",
           "geometry_changes", "manifest_path", "recover_interrupted", "value_changes",
           "write_year"]
