"""Start a new atlas repository for any gemeente (``wijkatlas init``).

In: a gemeentecode, a folder and a year. Out: the folder with ``layers/atlas.toml``,
``layers/indicators.toml`` (the wijkatlas catalog), ``layers/cbs/`` and
``layers/kerncijfers/`` with that year fetched from CBS, ``boundaries/<year>/``: a first,
published wijkindeling made from the CBS wijken of that year (each wijk the union of its CBS
buurten) or from the buurten themselves, and ``maps/atlas.toml``. The folder is assembled in
a temporary folder next to it and moved into place at the end: a failure (no network, ...)
leaves no half-made atlas.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import tomli_w

from geo import atomic
from geo.atlas import CONFIG
from geo.catalog import DEFAULT_CATALOG
from geo.errors import WijkatlasError
from geo.fetch.cbs import fetch_cbs
from geo.fetch.services import Services, check_gemeente, load_services
from geo.register import create_from_buurten, publish_version
from geo.sources import load_cbs_buurten

INDELINGEN = ("wijken", "buurten")


def _atlas_toml(name: str, gemeente: str, versions: list[str], credit: str,
                gemeente_name: str = "") -> str:
    doc = {
        "name": name,
        "gemeente": gemeente,
        **({"gemeente_name": gemeente_name} if gemeente_name else {}),
        "versions": "published",
        "catalog": "layers/indicators.toml",
        "buurten": f"layers/cbs/cbs_buurten_{{year}}_{gemeente}.geojson",
        "kerncijfers": f"layers/kerncijfers/kerncijfers_{{year}}_{gemeente}.csv",
        "synthetic": False,
        "credit": credit,
        "classes": {"scheme": "quantiles", "k": 5, "palette": "YlGnBu"},
    }
    return ("# What `wijkatlas build` builds (made by `wijkatlas init`). Add years with\n"
            "# `wijkatlas fetch cbs --years 2019-2023`; they are found through the buurten and\n"
            "# kerncijfers patterns below. Address points (dasymetric weights) are optional:\n"
            "# addresses = \"layers/adressen/<file>.gpkg\" and addresses_layer = \"<layer>\".\n"
            + tomli_w.dumps(doc))


def _maps_toml(title: str, version: str) -> str:
    return tomli_w.dumps({
        "kind": "atlas", "file": "index.html", "title": title, "versions": "all",
        "version": "newest", "default_indicator": "AANT_INW",
    })


def init_atlas(folder: str | Path, gemeente: str, *, year: int | None = None,
               indeling: str = "wijken", name: str | None = None,
               catalog: str | Path | None = None, services: Services | None = None,
               http=None, progress: Callable[[str], None] | None = None) -> Path:
    """Create a new atlas repository for ``gemeente`` in ``folder``.

    Parameters
    ----------
    folder
        A folder that does not exist yet, or an empty one.
    gemeente
        CBS gemeentecode, e.g. ``GM0809`` (Loon op Zand).
    year
        The CBS year to fetch and to make the first wijkindeling from (default: the most
        recent year in ``cbs_services.toml``).
    indeling
        ``wijken``: one unit per CBS wijk (code ``WK...``, the CBS wijk name) or ``buurten``:
        one unit per CBS buurt.
    name
        The atlas's name (default ``Wijkatlas <gemeentenaam>``, the name from StatLine).
    catalog
        Indicator catalog to copy into the atlas (default: the wijkatlas catalog).

    Returns
    -------
    The folder.

    Raises
    ------
    WijkatlasError
        The folder holds files already, an unknown gemeente or year, or any fetch error
        (then nothing is created).
    """
    gemeente = check_gemeente(gemeente)
    if indeling not in INDELINGEN:
        raise WijkatlasError(f"unknown indeling {indeling!r}.", unit=indeling,
                             fix="use --indeling wijken or --indeling buurten.")
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise WijkatlasError("the folder exists and is not empty.", file=folder,
                             fix="give a new or empty folder for the new atlas.")
    catalog = Path(catalog) if catalog is not None else DEFAULT_CATALOG
    if not catalog.is_file():
        raise WijkatlasError("indicator catalog not found.", file=catalog,
                             fix="pass --catalog with the path of an indicators.toml.")
    services = services or load_services()
    year = int(year) if year is not None else max(services.years)
    services[year]  # noqa: B018 - refuses an unknown year before anything is made
    # One transaction (geo.atomic.replace_dir): the atlas is made in a hidden folder next to
    # the target and renamed into place at the end, so a failure leaves nothing behind.
    with atomic.replace_dir(folder, lock=False, what=f"the new atlas {folder}") as tmp:
        _fill(tmp, gemeente, year, indeling, name, catalog, services, http, progress)
    return folder


def _fill(tmp: Path, gemeente: str, year: int, indeling: str, name: str | None,
          catalog: Path, services: Services, http, progress) -> None:
    """Write the new atlas into the (hidden, new) folder ``tmp``."""
    for sub in ("layers/cbs", "layers/kerncijfers", "boundaries", "maps"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(catalog, tmp / "layers" / "indicators.toml")
    atomic.write_text(tmp / CONFIG, _atlas_toml(name or f"Wijkatlas {gemeente}", gemeente,
                                                [], services.credit))
    (result,) = fetch_cbs(tmp, [year], gemeente=gemeente, services=services, http=http,
                          progress=progress)
    table = result.download.kerncijfers
    gemeentenaam = table.gemeentenaam
    title = name or f"Wijkatlas {gemeentenaam or gemeente}"
    buurten = load_cbs_buurten(result.buurten_path, year)
    if indeling == "wijken":
        wijk = "WK" + buurten["code"].str[2:8]
        assignment = {code: (table.wijk_names.get(code) or code,
                             sorted(buurten.loc[wijk == code, "code"]))
                      for code in sorted(set(wijk))}
        what = f"de {len(assignment)} CBS-wijken {year}"
    else:
        assignment = {row.code: (str(row.name) if row.name else row.code, [row.code])
                      for row in buurten.itertuples(index=False)}
        what = f"de {len(assignment)} CBS-buurten {year}"
    version_id = str(year)
    create_from_buurten(
        tmp, version_id, name=f"Wijkindeling {gemeentenaam or gemeente} {year} "
        f"(naar {what})", valid_from=f"{year}-01-01", buurten=buurten,
        assignment=assignment, gemeente=gemeente,
        description=f"Eerste versie, gemaakt door wijkatlas init: {what}, elk als unie "
                    "van CBS-buurten. Teken de eigen wijkindeling als nieuwe versie "
                    f"(wijkatlas versions draft NIEUW --from {version_id}).")
    publish_version(tmp, version_id)
    atomic.write_text(tmp / CONFIG, _atlas_toml(title, gemeente, [version_id],
                                                services.credit, gemeentenaam))
    atomic.write_text(tmp / "maps" / "atlas.toml", _maps_toml(title, version_id))


__all__ = ["INDELINGEN", "init_atlas"]
