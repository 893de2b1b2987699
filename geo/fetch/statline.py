"""Kerncijfers wijken en buurten of one gemeente and year from CBS StatLine (``cbsodata``).

In: a :class:`~geo.fetch.services.StatlineTable`, a gemeentecode and the indicator catalog.
Out: :class:`KerncijfersTable`, the buurt rows as CBS publishes them (untyped cells, so ``.``
for a withheld figure stays a dot), restricted to the columns the catalog knows, plus the
names of the gemeente's CBS wijken.

``cbsodata`` sends its requests with ``Session.send``, which does not read proxy settings
from the environment (and ``cbsodata`` itself only reads lower-case ``https_proxy`` once, at
import). The proxies for the table's address are therefore looked up here with
:func:`requests.utils.get_environ_proxies` (``HTTPS_PROXY``/``https_proxy``, ``NO_PROXY``)
and passed to every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import requests

from geo.catalog import Catalog
from geo.errors import WijkatlasError
from geo.fetch.services import StatlineTable
from geo.kerncijfers import NAME_COLUMNS, _find_column, _resolve

TIMEOUT = (15, 300)


@dataclass
class KerncijfersTable:
    """One year's buurt Kerncijfers of one gemeente, as stored in ``layers/``."""

    table: StatlineTable
    frame: pd.DataFrame
    wijk_names: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    gemeentenaam: str = ""


def environment_proxies(url: str) -> dict[str, str]:
    """Proxies the environment configures for ``url`` (empty when none or NO_PROXY)."""
    return dict(requests.utils.get_environ_proxies(url))


def fetch_kerncijfers(table: StatlineTable, gemeente: str, catalog: Catalog) -> KerncijfersTable:
    """Download the buurt (and wijk) rows of ``gemeente`` from one StatLine table.

    The filter is sent to the server (``substringof('BU0809',WijkenEnBuurten) or
    substringof('WK0809',WijkenEnBuurten)``, plus ``Perioden eq '2012JJ00'`` for the multi-year
    tables) and applied again to the codes in ``Codering``.

    Raises
    ------
    WijkatlasError
        No connection (rule ``offline``), the table missing, or a layout other than the
        Kerncijfers tables have (rule ``layout``; names the table and what was expected).
    """
    import cbsodata

    digits = gemeente[2:]
    where = (f"(substringof('BU{digits}',WijkenEnBuurten) or "
             f"substringof('WK{digits}',WijkenEnBuurten))")
    if table.period:
        where += f" and Perioden eq '{table.period}'"
    try:
        rows = cbsodata.get_data(table.table, typed=True, filters=where,
                                 proxies=environment_proxies(table.url), timeout=TIMEOUT)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise WijkatlasError(
            f"no connection ({type(exc).__name__}); nothing was changed.",
            file=table.label, rule="offline",
            fix="check the network connection (and HTTPS_PROXY if you work behind a proxy), "
                "then run the command again.") from exc
    except requests.HTTPError as exc:
        raise WijkatlasError(
            f"could not be read ({exc}); nothing was changed.",
            file=table.label, rule="service_missing",
            fix="check the table id for this year in geo/fetch/cbs_services.toml.") from exc
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise WijkatlasError(
            f"{table.label} answered in an unexpected layout ({type(exc).__name__}: {exc}).",
            file=table.label, rule="layout",
            fix="check the table id for this year in geo/fetch/cbs_services.toml.") from exc
    frame = pd.DataFrame(rows)
    code_col = _find_column(frame.columns, ("Codering",)) if not frame.empty else None
    if code_col is None:
        got = ", ".join(map(str, frame.columns[:12])) or "no rows"
        raise WijkatlasError(
            f"{table.label} has no Codering column (got: {got}); expected a Kerncijfers "
            "wijken en buurten table.", file=table.label, rule="layout",
            fix="check the table id for this year in geo/fetch/cbs_services.toml.")
    codes = frame[code_col].astype("string").str.strip().str.upper()
    name_col = "WijkenEnBuurten" if "WijkenEnBuurten" in frame.columns else None
    names = (frame[name_col].astype("string").str.strip() if name_col
             else pd.Series("", index=frame.index, dtype="string"))
    wijk = codes.str.startswith(f"WK{digits}").fillna(False).to_numpy()
    buurt = codes.str.startswith(f"BU{digits}").fillna(False).to_numpy()
    if not buurt.any():
        raise WijkatlasError(
            f"{table.label} has no buurt rows for {gemeente}.", file=table.label, unit=gemeente,
            rule="no_units",
            fix="check the gemeentecode: after a herindeling the gemeente may have another "
                "code that year.")
    keep: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for column in frame.columns:
        if column in (code_col, name_col):
            continue
        variable = _resolve(catalog, column)
        if variable is None or variable in seen:
            if _find_column([column], NAME_COLUMNS) is None:
                dropped.append(str(column))
            continue
        seen.add(variable)
        keep.append(column)
    if not keep:
        raise WijkatlasError(
            f"{table.label}: none of its {len(frame.columns)} columns is an indicator of the "
            "catalog (expected e.g. AantalInwoners_5).", file=table.label, rule="layout",
            fix="add the table's column names as aliases in the indicator catalog.")
    out = pd.DataFrame({"BU_CODE": codes[buurt].to_numpy(),
                        "BU_NAAM": names[buurt].to_numpy(), "jaar": table.year})
    for column in keep:
        out[column] = frame.loc[buurt, column].astype("string").str.strip().to_numpy()
    out = out.sort_values("BU_CODE", ignore_index=True)
    wijk_names = dict(zip(codes[wijk], names[wijk], strict=True))
    gm_col = _find_column(frame.columns, ("Gemeentenaam",))
    gm_names = (frame.loc[buurt, gm_col].dropna().astype(str).str.strip()
                if gm_col is not None else pd.Series(dtype=str))
    return KerncijfersTable(table=table, frame=out, wijk_names=wijk_names, dropped=dropped,
                            gemeentenaam=gm_names.iloc[0] if len(gm_names) else "")


__all__ = ["KerncijfersTable", "environment_proxies", "fetch_kerncijfers"]
