"""Open data: the figures of every level and version as one tidy CSV and as a GeoPackage with
one layer per level and version, with a README for re-users.

What enters: the atlas GeoPackage only. What leaves (in one folder, e.g. ``build/opendata``):

``cijfers.csv``
    One row per version, level, area, year and indicator (tidy, comma-separated, UTF-8,
    decimal point): the value with its status, bounds, numerator and denominator, and the
    indicator's label, unit and source.
``gebieden.gpkg``
    One polygon layer per level and version (``wijk_2020``, ``kern_2020``, ...; EPSG:28992)
    with one row per area and year and one column per indicator (``<CODE>``) plus its status
    (``<CODE>_status``).
``README.md``
    For re-users: files, columns, statuses, licence and credit (in Dutch).

:func:`publish_levels` writes these and the incijfers export of every version; the atlas
build calls it after the GeoPackage is written.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.atomic import write_gpkg_layers, write_text
from geo.errors import WijkatlasError
from geo.units import STATUS_LABELS

__all__ = ["CSV_FILE", "GPKG_FILE", "README_FILE", "open_data_table", "publish_levels",
           "write_open_data"]

CSV_FILE = "cijfers.csv"
GPKG_FILE = "gebieden.gpkg"
README_FILE = "README.md"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
CSV_COLUMNS = (
    "version", "level", "level_label", "unit_code", "unit_name", "year", "variable", "label",
    "theme", "unit", "kind", "value", "status", "status_label", "lower", "upper", "numerator",
    "denominator", "n", "significance", "reason", "interpolated_share", "method", "approximate",
    "source", "source_note",
)


def _layers(atlas: Path) -> set[str]:
    if not atlas.is_file():
        raise WijkatlasError("the atlas GeoPackage does not exist.", file=atlas,
                             fix="build it first with `make atlas` (wijkatlas build).")
    return {str(n) for n in pyogrio.list_layers(atlas)[:, 0]}


def _read(atlas: Path, layer: str) -> pd.DataFrame:
    if layer not in _layers(atlas):
        raise WijkatlasError(f"the layer {layer!r} is missing.", file=atlas, unit=layer,
                             fix="rebuild the atlas with `make atlas`.")
    return pyogrio.read_dataframe(atlas, layer=layer)


def _level_labels(atlas: Path) -> pd.DataFrame:
    if "levels" in _layers(atlas):
        lk = _read(atlas, "levels")
        return (lk[["version", "level", "label"]].astype(str).drop_duplicates()
                .rename(columns={"label": "level_label"}))
    return pd.DataFrame(columns=["version", "level", "level_label"])


def open_data_table(atlas: str | Path, results: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tidy open-data table of every version and level (columns ``CSV_COLUMNS``);
    ``results`` is the atlas's ``results`` table when the caller has read it already."""
    atlas = Path(atlas)
    res = _read(atlas, "results") if results is None else results.copy()
    ind = _read(atlas, "indicators")
    res["version"] = res["version"].astype(str)
    if "level" not in res:
        res["level"] = "wijk"
    res["level"] = res["level"].fillna("wijk").astype(str)
    ind = ind.rename(columns={"code": "variable", "source": "source_note"})
    keep = [c for c in ("variable", "label", "theme", "unit", "kind", "source_note")
            if c in ind]
    out = res.merge(ind[keep], on="variable", how="left")
    out = out.merge(_level_labels(atlas), on=["version", "level"], how="left")
    out["level_label"] = out["level_label"].fillna(out["level"])
    out["status_label"] = out["status"].map(STATUS_LABELS).fillna(out["status"])
    for column in CSV_COLUMNS:
        if column not in out:
            out[column] = np.nan
    shown = out["status"].isin(["observed", "partial"])
    out.loc[~shown, ["value", "numerator", "denominator"]] = np.nan
    levels = {lv: i for i, lv in enumerate(dict.fromkeys(["wijk", *out["level"]]))}
    out = out.assign(_o=out["level"].map(levels)).sort_values(
        ["version", "_o", "unit_code", "variable", "year"], kind="stable")
    return out[list(CSV_COLUMNS)].reset_index(drop=True)


def _geometry(atlas: Path, version: str, level: str,
              codes: list[str]) -> gpd.GeoDataFrame | None:
    """The areas of a level: its layer in the atlas; for a one-area level a source added on
    its own (the registers' gemeente total without levels.toml), the union of the wijken;
    else None (the level's figures are in the CSV only)."""
    layer = f"wijkindeling_{version}" if level == "wijk" else f"level_{level}_{version}"
    if layer in _layers(atlas):
        return _read(atlas, layer)[["code", "name", "geometry"]]
    if len(codes) != 1:
        return None
    wijk = _read(atlas, f"wijkindeling_{version}")
    return gpd.GeoDataFrame({"code": codes, "name": codes},
                            geometry=[wijk.geometry.union_all()], crs=wijk.crs)


def _area_layers(atlas: Path, table: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    layers = {}
    for (version, level), group in table.groupby(["version", "level"], sort=False):
        shapes = _geometry(atlas, str(version), str(level),
                           sorted(group["unit_code"].astype(str).unique()))
        if shapes is None:
            continue
        wide = group.pivot_table(index=["unit_code", "year"], columns="variable",
                                 values="value", aggfunc="first", dropna=False)
        status = group.pivot_table(index=["unit_code", "year"], columns="variable",
                                   values="status", aggfunc="first", dropna=False)
        order = [v for v in dict.fromkeys(group["variable"]) if v in wide.columns]
        cols = {}
        for v in order:
            cols[v] = wide[v]
            cols[f"{v}_status"] = status.get(v, np.nan)
        body = pd.DataFrame(cols).reset_index()
        body.insert(0, "version", str(version))
        body.insert(1, "level", str(level))
        merged = shapes.rename(columns={"code": "unit_code", "name": "unit_name"}).merge(
            body, on="unit_code", how="inner")
        merged = merged.sort_values(["year", "unit_code"]).reset_index(drop=True)
        front = ["version", "level", "unit_code", "unit_name", "year"]
        merged = merged[front + [c for c in merged.columns if c not in (*front, "geometry")]
                        + ["geometry"]]
        layers[f"{level}_{version}"] = gpd.GeoDataFrame(merged, geometry="geometry",
                                                        crs=shapes.crs)
    return layers


def _readme(atlas: Path, table: pd.DataFrame) -> str:
    meta = _read(atlas, "atlas") if "atlas" in _layers(atlas) else pd.DataFrame()
    name = str(meta["name"].iloc[0]) if len(meta) and "name" in meta else "Wijkatlas"
    credit = str(meta["credit"].iloc[0]) if len(meta) and "credit" in meta else "Bron: CBS"
    synthetic = bool(len(meta) and "synthetic" in meta and
                     pd.to_numeric(meta["synthetic"], errors="coerce").fillna(0).iloc[0])

    def clean(text: str) -> str:
        return re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", text).strip()

    name, credit = clean(name), clean(credit)
    levels = (table[["version", "level", "level_label"]].drop_duplicates()
              .groupby("version")["level"].agg(", ".join))
    years = sorted(int(y) for y in table["year"].dropna().unique())
    lines = [
        f"# {name}: open data per gebiedsniveau",
        "",
        "Cijfers per wijk en per hoger gebiedsniveau (kern, wijkteamgebied, gemeente) van elke "
        "versie van de wijkindeling, voor hergebruik. Gemaakt door wijkatlas uit de atlas "
        "(`atlas.gpkg`).",
        "",
    ]
    if synthetic:
        lines += ["**Let op: dit zijn synthetische voorbeeldcijfers, geen echte cijfers.** "
                  "Ook de indeling in kernen en wijkteamgebieden van het voorbeeld is "
                  "illustratief.", ""]
    lines += [
        "## Bestanden",
        "",
        f"* `{CSV_FILE}`: alle cijfers in één tidy tabel (komma-gescheiden, UTF-8, decimale "
        "punt), één rij per versie, niveau, gebied, jaar en indicator.",
        f"* `{GPKG_FILE}`: GeoPackage (EPSG:28992, RD New) met één laag per niveau en versie "
        "(`<niveau>_<versie>`, bv. `kern_2020`): één rij per gebied en jaar, per indicator een "
        "kolom met de waarde (`<CODE>`) en een met de status (`<CODE>_status`).",
        "",
        "Niveaus per versie: " + "; ".join(f"{v}: {lv}" for v, lv in levels.items()) + ".",
        f"Jaren: {years[0]}-{years[-1]}." if years else "",
        "",
        f"## Kolommen van `{CSV_FILE}`",
        "",
        "| kolom | betekenis |",
        "|---|---|",
        "| `version` | versie van de wijkindeling (bv. 2020) |",
        "| `level`, `level_label` | gebiedsniveau: `wijk` of een hoger niveau (`kern`, "
        "`wijkteam`, `gemeente`) |",
        "| `unit_code`, `unit_name` | code en naam van het gebied |",
        "| `year` | peiljaar |",
        "| `variable`, `label`, `theme`, `unit`, `kind` | indicator: code, naam, thema, eenheid "
        "en soort (`count` aantal, `share` aandeel, `mean` gemiddelde, `median` mediaan, "
        "`density` dichtheid) |",
        "| `value` | de waarde; leeg als er geen cijfer gepubliceerd wordt (zie `status`) |",
        "| `status`, `status_label` | zie hieronder |",
        "| `lower`, `upper` | ondergrens en bovengrens door herindeling van buurten (aantallen: "
        "harde grenzen; aandelen en gemiddelden: laagste en hoogste buurtwaarde) |",
        "| `numerator`, `denominator` | teller en noemer (of gewicht) van aandelen, gemiddelden, "
        "medianen en dichtheden: `value` = teller / noemer (x 100 voor %, x 1.000 voor per "
        "1.000; dichtheid: noemer = km2). Tel deze op om gebieden samen te voegen; middel nooit "
        "percentages |",
        "| `n`, `significance` | enquête: aantal respondenten met een geldig antwoord; "
        "verandering sinds de vorige meting |",
        "| `reason` | waarom een cijfer is afgeschermd (bv. `primary`, `secondary`) |",
        "| `interpolated_share` | deel van de waarde (0-1) dat uit over wijken verdeelde "
        "buurten komt |",
        "| `method` | hoe buurten op gebieden zijn gelegd (`exact`, `address`, `raster`, `area`) |",
        "| `approximate` | 1 als de waarde niet exact samen te stellen is (mediaan, inkomen) |",
        "| `source`, `source_note` | bron (`cbs`, `survey`, `records`) en bronvermelding |",
        "",
        "## Status",
        "",
        "| status | betekenis |",
        "|---|---|",
    ]
    meaning = {
        "observed": "waarde gepubliceerd (eventueel geïnterpoleerd)",
        "partial": "een deel van de bijdragende buurten is geheim: de waarde is het bekende "
                   "deel (ondergrens)",
        "suppressed": "geheim bij de bron (CBS); geen waarde",
        "missing": "geen gegevens",
        "too_few": "te weinig respons in de enquête; geen waarde",
        "small": "klein aantal (1 tot de drempel); geen waarde",
        "withheld": "afgeschermd: zou via aftrekken een klein aantal onthullen; geen waarde",
    }
    lines += [f"| `{s}` ({label}) | {meaning.get(s, label)} |"
              for s, label in STATUS_LABELS.items()]
    lines += [
        "",
        "Geen van deze statussen betekent 0.",
        "",
        "## Hoe de cijfers per niveau zijn gemaakt",
        "",
        "Elk hoger niveau is een vereniging van wijken van dezelfde versie. De cijfers van een "
        "kern, wijkteamgebied of de gemeente zijn uit dezelfde buurtcijfers berekend als die van "
        "de wijken, naar hun soort: aantallen opgeteld, aandelen en gemiddelden opnieuw als "
        "teller gedeeld door noemer. Een percentage van een kern is dus nooit het gemiddelde "
        "van de percentages van zijn wijken.",
        "",
        "## Licentie en bronvermelding",
        "",
        "De cijfers en gebieden mogen vrij worden hergebruikt onder de licentie "
        "[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/deed.nl), met "
        "bronvermelding:",
        "",
        f"> {credit}",
        "",
        "Geometrie van de CBS-buurten: CBS / PDOK, Wijk- en Buurtkaart (CC BY 4.0).",
        "",
    ]
    return "\n".join(lines)


def write_open_data(atlas: str | Path, out_dir: str | Path, *,
                    results: pd.DataFrame | None = None) -> list[Path]:
    """Write ``cijfers.csv``, ``gebieden.gpkg`` and ``README.md`` into ``out_dir`` (text
    cells of the CSV made spreadsheet-safe by :func:`geo.atomic.write_csv`)."""
    from geo.atomic import write_csv

    atlas, out_dir = Path(atlas), Path(out_dir)
    table = open_data_table(atlas, results)
    layers = _area_layers(atlas, table)
    readme = _readme(atlas, table)
    return [write_csv(table, out_dir / CSV_FILE),
            write_gpkg_layers(out_dir / GPKG_FILE, layers),
            write_text(out_dir / README_FILE, readme)]


def publish_levels(atlas: str | Path, out_dir: str | Path) -> list[Path]:
    """The publications of the levels: the incijfers export of every version
    (``<out_dir>/incijfers/<version>/``) and the open data (``<out_dir>/opendata/``)."""
    from geo.publish.incijfers import write_incijfers

    atlas, out_dir = Path(atlas), Path(out_dir)
    versions = _read(atlas, "versions")["id"].astype(str).tolist()
    results = _read(atlas, "results")  # read once for every publication
    written = []
    for version in versions:
        if not SAFE_NAME.fullmatch(version) or ".." in version:
            raise WijkatlasError(f"version id {version!r} cannot be a folder name.",
                                 file=atlas, unit=version,
                                 fix="use version ids of letters, digits, _, . and -.")
        written += write_incijfers(atlas, version, out_dir / "incijfers" / version,
                                   results=results)
    written += write_open_data(atlas, out_dir / "opendata", results=results)
    return written
