"""Build the atlas GeoPackage (``build/atlas.gpkg``): the one hand-off to the clients.

What goes in is described by ``layers/atlas.toml``; the layout of the GeoPackage by
``docs/atlas-gpkg.md``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.atomic import replace_dir, write_csv, write_gpkg_layers
from geo.catalog import DEFAULT_CATALOG, REF_FIELDS, Catalog, load_catalog
from geo.classes import class_settings, map_classes_table
from geo.errors import WijkatlasError
from geo.files import read_toml, require_keys
from geo.levels import (
    fill_parts,
    level_classes_table,
    level_layers,
    level_lookup_table,
    level_partitions,
    load_levels,
    survey_levels,
    with_levels,
)
from geo.lineage import changed_areas, diff_units, lineage_text
from geo.progress import ProgressBar
from geo.register import load_version
from geo.series import YearInput, addresses_in_year, harmonise, trend_table
from geo.sources import area_ha, load_cbs_buurten
from geo.units import RESULT_COLUMNS

CONFIG = Path("layers") / "atlas.toml"
#: ``versions = "published"`` in layers/atlas.toml: every published version of the register.
PUBLISHED = "published"
#: What a build writes into its output folder. The build replaces these as one transaction;
#: anything else found in the folder (e.g. ``plugin/`` of ``make plugin``) is kept.
BUILD_OUTPUTS = {"atlas.gpkg", "exports", "maps", "profiles", "book", "incijfers",
                 "opendata"}


@dataclass(frozen=True)
class AtlasConfig:
    root: Path
    name: str
    versions: list[str]
    catalog: Path
    buurten: str
    kerncijfers: str
    addresses: Path | None
    addresses_layer: str | None
    synthetic: bool
    credit: str
    records: tuple[Path, ...] = ()
    gemeente: str = "gemeente"
    gemeente_name: str = "Gemeente"
    survey: Path | None = None

    def years(self) -> list[int]:
        """Years that have both a CBS buurt file and a Kerncijfers table."""
        return [year for year in self.buurt_files()
                if (self.root / self.kerncijfers.format(year=year)).exists()]

    def buurt_files(self) -> dict[int, Path]:
        """The CBS buurt file per year that the ``buurten`` pattern names and that exists."""
        files = {}
        for year in range(1990, 2100):
            path = self.root / self.buurten.format(year=year)
            if path.exists():
                files[year] = path
        return files


def read_config(root: str | Path) -> AtlasConfig:
    root = Path(root)
    path = root / CONFIG
    if not path.exists():
        raise WijkatlasError("atlas configuration not found.", file=path,
                             fix="run wijkatlas from the atlas repository or pass --root.")
    raw = read_toml(path, what="atlas configuration")
    require_keys(raw, ("versions", "buurten", "kerncijfers"), file=path,
                 what="atlas configuration",
                 example='versions = "published" (every published boundary version)')
    return AtlasConfig(
        root=root, name=raw.get("name", "Wijkatlas"),
        versions=_versions(root, raw["versions"], path),
        catalog=root / raw["catalog"] if raw.get("catalog") else DEFAULT_CATALOG,
        buurten=raw["buurten"],
        kerncijfers=raw["kerncijfers"],
        addresses=root / raw["addresses"] if raw.get("addresses") else None,
        addresses_layer=raw.get("addresses_layer"), synthetic=bool(raw.get("synthetic")),
        credit=raw.get("credit", "Bron: CBS / PDOK"),
        records=tuple(root / p for p in raw.get("records", [])),
        gemeente=str(raw.get("gemeente", "gemeente")),
        gemeente_name=str(raw.get("gemeente_name", raw.get("gemeente", "Gemeente"))),
        survey=root / raw["survey"] if raw.get("survey") else None)


def _versions(root: Path, declared, path: Path) -> list[str]:
    """The versions to build: ``"published"`` (every published version, oldest first) or a
    list of ids."""
    if declared == PUBLISHED:
        # A read-only scan (no register lock: reading the configuration changes nothing); a
        # published version changed on disk stays in the list, and loading it refuses the
        # build with the fix (geo.register.load_version).
        found = []
        for meta_file in sorted((root / "boundaries").glob("*/version.toml")):
            if meta_file.parent.name.startswith("."):
                continue
            try:
                meta = tomllib.loads(meta_file.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise WijkatlasError(f"cannot read the version ({exc}).", file=meta_file,
                                     fix="restore the file from version control.") from exc
            if meta.get("status") == "published":
                found.append((str(meta.get("valid_from", "")), meta_file.parent.name))
        return [vid for _, vid in sorted(found)]
    if isinstance(declared, list) and declared:
        return [str(v) for v in declared]
    raise WijkatlasError(f"versions = {declared!r} is neither \"published\" nor a list of ids.",
                         file=path, fix='write versions = "published" (every published '
                                        "version), or a list of version ids.")


def indicator_table(catalog: Catalog, synthetic: bool) -> pd.DataFrame:
    rows = []
    for ind in catalog:
        source = ind.source
        if synthetic and "synthetisch" not in source.lower():
            source += " (voorbeeldcijfers synthetisch)"
        rows.append({"code": ind.code, "label": ind.label, "title": ind.title,
                     "theme": ind.theme, "unit": ind.unit, "kind": ind.kind,
                     **{f: ind.ref(f) for f in REF_FIELDS}, "per": ind.per,
                     "source": source, "decimals": ind.decimals,
                     "approximate": int(ind.approximate), "description": ind.description})
    return pd.DataFrame(rows)


def _addresses(config: AtlasConfig) -> gpd.GeoDataFrame | None:
    if config.addresses is None or not config.addresses.exists():
        return None
    from geo.crs import to_rd_new

    return to_rd_new(pyogrio.read_dataframe(config.addresses, layer=config.addresses_layer),
                     config.addresses)


def load_year_inputs(config: AtlasConfig, catalog: Catalog) -> list[YearInput]:
    """Buurten, Kerncijfers and address points of every year the configuration has."""
    from geo.kerncijfers import check_codes, read_values

    addresses = None
    if config.addresses is not None and config.addresses.exists():
        addresses = pyogrio.read_dataframe(config.addresses, layer=config.addresses_layer)
    inputs = []
    for year in config.years():
        buurten = load_cbs_buurten(config.root / config.buurten.format(year=year), year)
        table = config.root / config.kerncijfers.format(year=year)
        values = read_values(table, catalog=catalog, year=year)
        check_codes(values, buurten["code"], table)
        points = addresses_in_year(addresses, year) if addresses is not None else None
        inputs.append(YearInput(year=year, buurten=buurten, values=values, points=points))
    return inputs


def build_atlas(root: str | Path, out_dir: str | Path, *, progress: bool = False,
                maps: bool = False, publications: bool = False) -> Path:
    """Build ``out_dir/atlas.gpkg`` (and CSV/Excel exports, and the web maps) from an atlas
    repository, as one transaction.

    Parameters
    ----------
    root
        Folder with ``boundaries/``, ``layers/`` (incl. ``layers/atlas.toml``) and ``maps/``.
    out_dir
        Output folder. Everything is written into a hidden folder next to it that replaces
        it when complete (:func:`geo.atomic.replace_dir`): the atlas, its exports and maps
        appear together or not at all, and concurrent builds cannot mix their files.
        Entries not in :data:`BUILD_OUTPUTS` are kept.
    progress
        Show a progress bar.
    maps
        Also render the web maps (``out_dir/maps``) from the map specs in ``root/maps``.
    publications
        Also write the wijkprofiel pages (``out_dir/profiles``) and the book
        (``out_dir/book``) from the new atlas (:mod:`geo.publish`).
    """
    config = read_config(root)
    if not config.versions:
        raise WijkatlasError("the register has no published version to build.",
                             file=config.root / "boundaries",
                             fix="publish one: wijkatlas versions publish ID.")
    catalog = load_catalog(config.catalog)
    inputs = load_year_inputs(config, catalog)
    if not inputs:
        raise WijkatlasError("no year has both a buurt file and a Kerncijfers table.",
                             file=config.root / CONFIG,
                             fix="check the buurten and kerncijfers patterns.")
    survey = _survey_inputs(config, catalog)
    if survey is not None:
        catalog = survey["catalog"]
    layers: dict[str, pd.DataFrame] = {}
    version_rows, all_results, all_crosswalks, trends = [], [], [], {}
    level_rows, all_levels = [], {}
    survey_rows, unplaced, survey_units = {}, [], []
    targets = {}
    with ProgressBar(enabled=progress) as bar:
        bar.task("reaggregating years x versions", total=len(inputs) * len(config.versions))
        for vid in config.versions:
            version = load_version(config.root, vid)
            units = version.units
            targets[vid] = units
            parent_id = version.meta.get("parent")
            parent_units = load_version(config.root, parent_id).units if parent_id else None
            texts = lineage_text(diff_units(parent_units, units)) if parent_id else {}
            layers[f"wijkindeling_{vid}"] = gpd.GeoDataFrame({
                "code": units["code"], "name": units["name"], "version": vid,
                "lineage": units["lineage"], "lineage_parents": units["parents"].map(",".join),
                "lineage_text": [texts.get(c, "") for c in units["code"]],
                "definition": units["definition"], "area_ha": area_ha(units.geometry),
            }, geometry=units.geometry, crs=units.crs)
            if parent_id:
                moved = changed_areas(parent_units, units)
                layers[f"changes_{parent_id}_{vid}"] = moved.assign(
                    from_version=parent_id, to_version=vid)
            version_rows.append({**{k: version.meta.get(k, "") for k in (
                "id", "name", "valid_from", "status", "parent", "checksum", "description")},
                "n_units": len(units)})
            results, crosswalks = harmonise(inputs, units, catalog, version=vid,
                                            progress=bar.step)
            levels = load_levels(config.root, vid, units["code"])
            all_levels[vid] = levels
            results = with_levels(results, inputs, crosswalks, units, levels, catalog,
                                  version=vid)
            level_units = level_layers(units, levels)
            layers.update(level_units)
            level_rows.append(level_lookup_table(units, levels))
            all_results.append(results)
            all_crosswalks.append(crosswalks)
            if survey is not None:  # respondents placed in this version's units (geo.survey)
                rows, missed = survey["run"](units, results[results["level"] == "wijk"],
                                             version=vid)
                unplaced.append(missed)
                survey_units.append(rows.attrs.pop("weights"))
                survey_rows[vid] = pd.concat([rows, *survey_levels(
                    survey["run"], levels, level_units, results, version=vid)],
                    ignore_index=True)
    for item in inputs:
        b = item.buurten
        layers[f"cbs_buurten_{item.year}"] = gpd.GeoDataFrame(
            {"code": b["code"], "name": b["name"], "year": b["year"],
             "area_ha": area_ha(b.geometry)}, geometry=b.geometry, crs=b.crs)
    results = as_result_table(pd.concat(all_results, ignore_index=True), source="cbs")
    if survey_rows:
        results = pd.concat([results, as_result_table(pd.concat(survey_rows.values()),
                                                   source="survey")],
                            ignore_index=True)
    thresholds: dict[str, float] = {}
    small: dict[str, str] = {}
    if config.records:
        from geo.records.atlas import atlas_records

        reg = atlas_records(config.records, targets, catalog=catalog,
                            addresses=_addresses(config), populations=results,
                            gemeente=(config.gemeente, config.gemeente_name),
                            **level_partitions(all_levels))
        catalog = Catalog(indicators={**catalog.indicators,
                                      **{i.code: i for i in reg.indicators}},
                          path=catalog.path)
        results = pd.concat([results, as_result_table(reg.results, source="records")],
                            ignore_index=True)
        results = fill_parts(results, catalog)
        thresholds, small = reg.thresholds, reg.small_labels
        layers["records_report"] = reg.report
    for vid in config.versions:
        wijk = results[(results["version"] == vid) & (results["level"] == "wijk")]
        trends[vid] = trend_table(wijk, catalog)
        if survey is not None:  # survey rows: is the change first -> last edition significant
            trends[vid] = survey["trend"](trends[vid], survey_rows[vid])
    indicators = indicator_table(catalog, config.synthetic)
    indicators["threshold"] = indicators["code"].map(thresholds)
    indicators["small_label"] = indicators["code"].map(lambda c: small.get(c, ""))
    layers["versions"] = pd.DataFrame(version_rows)
    layers["indicators"] = indicators
    layers["results"] = results
    if survey_units:  # per version, edition and unit: n, N, weighting, design effect, n_eff
        layers["survey_weights"] = pd.concat(survey_units, ignore_index=True)
    layers["crosswalks"] = pd.concat(all_crosswalks, ignore_index=True)
    layers["levels"] = pd.concat(level_rows, ignore_index=True)
    for vid, trend in trends.items():
        layers[f"trend_{vid}"] = trend
    layers["atlas"] = pd.DataFrame([{"name": config.name, "credit": config.credit,
                                     "synthetic": int(config.synthetic)}])
    settings = class_settings(config.root / CONFIG)
    layers["map_classes"] = map_classes_table(results[results["level"] == "wijk"], indicators,
                                              settings)
    level_classes = level_classes_table(results, indicators, settings)
    if len(level_classes):
        layers["level_classes"] = level_classes
    out_dir = Path(out_dir)
    with replace_dir(out_dir, keep=lambda name: name not in BUILD_OUTPUTS,
                     what=f"the build folder {out_dir}") as tmp:
        write_gpkg_layers(tmp / "atlas.gpkg", layers)
        export_tables(results, trends, catalog, tmp / "exports")
        from geo.publish.opendata import publish_levels

        publish_levels(tmp / "atlas.gpkg", tmp)  # incijfers per version, open data per level
        if unplaced:  # survey respondents that could not be placed, per edition and version
            from geo.atomic import write_csv

            write_csv(pd.concat(unplaced, ignore_index=True),
                      tmp / "exports" / "enquete_niet_geplaatst.csv")
        from geo.publish.exports import write_trend_exports

        write_trend_exports(tmp / "atlas.gpkg", tmp / "exports")
        if maps:
            from geo.maps import build_maps

            build_maps(tmp / "atlas.gpkg", config.root / "maps", tmp / "maps")
        if publications:
            from geo.publish.run import publish

            publish(tmp / "atlas.gpkg", tmp)
    return out_dir / "atlas.gpkg"


def _survey_inputs(config: AtlasConfig, catalog: Catalog) -> dict | None:
    """The survey editions of the atlas (``survey`` in layers/atlas.toml), read and checked
    once; ``run`` computes them on a version, ``trend`` adds their significance of change to
    a trend table."""
    if config.survey is None:
        return None
    from geo.survey.atlas import (
        add_survey_indicators,
        atlas_survey,
        load_editions,
        read_survey_config,
        survey_trend,
    )

    survey = read_survey_config(config.survey, gemeente=(config.gemeente, config.gemeente_name))
    addresses = _addresses(config)
    editions = load_editions(survey, addresses=addresses)

    def run(units, results, *, version):
        return atlas_survey(editions, units, results, survey, version=version,
                            addresses=addresses)

    return {"catalog": add_survey_indicators(catalog, editions, survey.source), "run": run,
            "trend": survey_trend}


def as_result_table(frame: pd.DataFrame, *, source: str, level: str = "wijk") -> pd.DataFrame:
    """Give result rows of one source the shared layout (``geo.units.RESULT_COLUMNS``):
    columns the source does not fill are added empty, in the shared order."""
    frame = frame.copy()
    if "source" not in frame:
        frame["source"] = source
    if "level" not in frame:
        frame["level"] = level
    for column in RESULT_COLUMNS:
        if column not in frame:
            frame[column] = "" if column in ("significance", "reason") else np.nan
    return frame[list(RESULT_COLUMNS)]


def export_tables(results: pd.DataFrame, trends: dict[str, pd.DataFrame], catalog: Catalog,
                  out_dir: Path) -> list[Path]:
    """CSV of the long results and per version the plain trend table; the planner's Excel and
    Dutch CSV are made from the atlas by :func:`geo.publish.exports.write_trend_exports`."""
    written = [write_csv(results, out_dir / "results.csv")]
    for vid, trend in trends.items():
        written.append(write_csv(trend, out_dir / f"trend_{vid}.csv"))
    return written
