"""Read what an atlas GeoPackage holds: boundary versions, years, indicators, map classes.

The GeoPackage contract is ``docs/atlas-gpkg.md`` in the wijkatlas repository. A GeoPackage is
an SQLite database, so the attribute tables are read with :mod:`sqlite3` (read-only); the
geometry layers are left to QGIS (see :mod:`.loader`).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from .i18n import tr

REQUIRED_TABLES = ("versions", "indicators", "results", "map_classes")


class AtlasError(Exception):
    """The atlas GeoPackage is missing, unreadable or does not follow the contract."""


def _connect(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise AtlasError(tr("atlas_missing", path=path))
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        con.execute("SELECT 1 FROM gpkg_contents LIMIT 1")
    except sqlite3.DatabaseError as exc:
        raise AtlasError(tr("atlas_not_gpkg", path=path, error=exc)) from exc
    con.row_factory = sqlite3.Row
    return con


def _query(path: str | Path, sql: str, params: tuple = ()) -> list[dict]:
    with closing(_connect(path)) as con:
        return [dict(row) for row in con.execute(sql, params)]


def check_atlas(path: str | Path) -> list[str]:
    """Check that ``path`` is an atlas GeoPackage; return its layer/table names.

    Raises
    ------
    AtlasError
        Naming the file and the missing table, with the fix.
    """
    names = [r["table_name"] for r in _query(path, "SELECT table_name FROM gpkg_contents")]
    for table in REQUIRED_TABLES:
        if table not in names:
            raise AtlasError(tr("atlas_table_missing", path=path, table=table))
    return names


def read_versions(path: str | Path) -> list[dict]:
    """Return the boundary versions (rows of ``versions``) that have a ``wijkindeling_<id>``.

    Each row is a dict with ``id``, ``name``, ``valid_from``, ``status``, ``parent``,
    ``n_units`` and ``description``, ordered by ``valid_from``.
    """
    names = set(check_atlas(path))
    rows = _query(path, "SELECT * FROM versions ORDER BY valid_from, id")
    for row in rows:
        row["id"] = str(row["id"])
    return [row for row in rows if f"wijkindeling_{row['id']}" in names]


def read_indicators(path: str | Path, version: str | None = None) -> list[dict]:
    """Return the indicators (rows of ``indicators``), optionally only those with results.

    Parameters
    ----------
    path
        The atlas GeoPackage.
    version
        When given, only indicators with at least one result row for this version.
    """
    if version is None:
        return _query(path, "SELECT * FROM indicators ORDER BY theme, label")
    return _query(
        path,
        "SELECT * FROM indicators WHERE code IN "
        "(SELECT DISTINCT variable FROM results WHERE version = ?) ORDER BY theme, label",
        (str(version),),
    )


def indicator_title(indicator: dict) -> str:
    """The display title of an indicator row: the atlas's own ``title`` (``label (unit)`` with
    the unit shown once, made by the engine), or label and unit for an older atlas."""
    if indicator.get("title"):
        return str(indicator["title"])
    unit = f" ({indicator['unit']})" if indicator.get("unit") else ""
    return f"{indicator['label']}{unit}"


def indicators_by_theme(indicators: list[dict]) -> dict[str, list[dict]]:
    """Group indicator rows by their ``theme``, keeping the order they come in."""
    groups: dict[str, list[dict]] = {}
    for row in indicators:
        groups.setdefault(row["theme"] or "", []).append(row)
    return groups


def read_years(path: str | Path, version: str, variable: str | None = None) -> list[int]:
    """Return the years with results for ``version`` (and ``variable``), ascending."""
    sql = "SELECT DISTINCT year FROM results WHERE version = ?"
    params: tuple = (str(version),)
    if variable is not None:
        sql += " AND variable = ?"
        params += (variable,)
    return [int(r["year"]) for r in _query(path, sql + " ORDER BY year", params)]


def read_levels(path: str | Path, version: str) -> list[dict]:
    """Return the area levels of ``version``: the wijken first, then every higher level in
    the atlas's ``levels`` table (``id``, ``label``), e.g. kernen and wijkteams. Levels with a
    single area (the gemeente) are left out: they make no map."""
    out = [{"id": "wijk", "label": tr("level_wijk")}]
    names = set(check_atlas(path))
    if "levels" not in names:
        return out
    rows = _query(
        path,
        "SELECT level, label, COUNT(DISTINCT area_code) AS n FROM levels "
        "WHERE version = ? AND level <> 'wijk' GROUP BY level, label ORDER BY MIN(fid)",
        (str(version),),
    )
    return out + [{"id": r["level"], "label": r["label"]} for r in rows
                  if r["n"] > 1 and f"level_{r['level']}_{version}" in names]


def has_level_column(path: str | Path) -> bool:
    """Whether the ``results`` table has a ``level`` column (atlases with area levels)."""
    return any(r["name"] == "level" for r in _query(path, "PRAGMA table_info(results)"))


def read_classes(path: str | Path, version: str, variable: str,
                 level: str = "wijk") -> list[dict]:
    """Return the map classes of ``variable`` in ``version`` (``lower``, ``upper``, ``colour``,
    ``label``), ordered by ``class_index``: ``map_classes`` for the wijken, ``level_classes``
    for a higher level.

    Raises
    ------
    AtlasError
        When the atlas has no classes for this version and variable.
    """
    if level == "wijk":
        sql, params = ("SELECT class_index, lower, upper, colour, label FROM map_classes "
                       "WHERE version = ? AND variable = ? ORDER BY class_index",
                       (str(version), variable))
    else:
        if "level_classes" not in check_atlas(path):
            raise AtlasError(tr("atlas_no_classes", path=path, version=version,
                                variable=variable))
        sql, params = ("SELECT class_index, lower, upper, colour, label FROM level_classes "
                       "WHERE level = ? AND version = ? AND variable = ? ORDER BY class_index",
                       (level, str(version), variable))
    rows = _query(path, sql, params)
    if not rows:
        raise AtlasError(tr("atlas_no_classes", path=path, version=version, variable=variable))
    return rows


def read_indicator(path: str | Path, code: str) -> dict:
    """Return the ``indicators`` row of ``code``.

    Raises
    ------
    AtlasError
        When the atlas has no such indicator.
    """
    rows = _query(path, "SELECT * FROM indicators WHERE code = ?", (code,))
    if not rows:
        raise AtlasError(tr("atlas_no_indicator", path=path, variable=code))
    return rows[0]
