"""Sliver and exact rules measured on real and synthetic pairs (``python -m bench.sliver_rules``).

Issue 15: the old rule dropped every overlap piece under 1 % of both the source and the target
and sent a source whole to one target when 99 % of it lay there; the new rule drops only thin
pieces (mean width ``2 * area / perimeter`` under 2 m) and calls a source exact only when
nothing but slivers lies outside its main target. Both are compared with plain area weights
(every piece kept) on the real CBS buurten of Heusden (consecutive years, and every year onto
the wijkindeling 2016 and 2020), Loon op Zand 2012 -> 2013, and the synthetic hard pair.

Per pair: pieces and area each rule drops, the widest piece it drops, and how far the
reaggregated value of a count spread evenly over area moves from the plain-area result in
targets that get at least 100 of it (a stand-in for inhabitants). Written to
``bench/sliver_rules.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.atomic import write_text
from geo.overlay import overlay_areas
from geo.register import load_version
from geo.sources import load_cbs_buurten

ROOT = Path(__file__).resolve().parent.parent
CBS = ROOT / "layers" / "cbs"
OUT = Path(__file__).resolve().parent / "sliver_rules.md"


def _old_rule(pairs: pd.DataFrame, t_area: np.ndarray) -> pd.Series:
    share = pairs["area"] / pairs.groupby("source_index")["area"].transform("sum")
    t_share = pairs["area"] / t_area[pairs["target_index"].to_numpy()]
    return (share < 0.01) & (t_share < 0.01)


def _new_rule(pairs: pd.DataFrame, width: float = 2.0) -> pd.Series:
    mean_width = 2.0 * pairs["area"] / pairs["perimeter"].where(pairs["perimeter"] > 0)
    widest = mean_width == mean_width.groupby(pairs["source_index"]).transform("max")
    return (mean_width < width) & ~widest


def _weights(pairs: pd.DataFrame, dropped: pd.Series, exact_share: float) -> pd.DataFrame:
    kept = pairs[~dropped].copy()
    kept["w"] = kept["area"] / kept.groupby("source_index")["area"].transform("sum")
    best = kept.groupby("source_index")["w"].transform("max")
    exact = best >= exact_share
    top = kept["w"] == best
    kept.loc[exact & top, "w"] = 1.0
    kept.loc[exact & ~top, "w"] = 0.0
    return kept


def compare(name: str, source, target) -> dict:
    """Pieces dropped and effect on a count, old rule and new rule against plain area."""
    s = np.asarray(source.geometry.values)
    t = np.asarray(target.geometry.values)
    pairs = overlay_areas(s, t)
    s_area = shapely.area(s)
    count = s_area / s_area.mean() * 1_000.0  # ~1,000 per source, spread evenly over area
    plain = _weights(pairs, pd.Series(False, index=pairs.index), np.inf)

    def result(w: pd.DataFrame) -> np.ndarray:
        return np.bincount(w["target_index"], weights=w["w"] * count[w["source_index"]],
                           minlength=len(t))

    base = result(plain)
    row = {"pair": name, "sources": len(s), "targets": len(t), "pieces": len(pairs)}
    width = 2.0 * pairs["area"] / pairs["perimeter"]
    for label, dropped, exact in (("old", _old_rule(pairs, shapely.area(t)), 0.99),
                                  ("new", _new_rule(pairs), 1.0)):
        got = result(_weights(pairs, dropped, exact))
        big = base >= 100
        dev = np.abs(got - base)[big] / base[big]
        row[f"{label} dropped"] = int(dropped.sum())
        row[f"{label} ha"] = float(pairs.loc[dropped, "area"].sum() / 10_000)
        row[f"{label} widest m"] = float(width[dropped].max()) if dropped.any() else 0.0
        row[f"{label} max dev %"] = float(dev.max() * 100) if len(dev) else 0.0
        row[f"{label} >1 %"] = int((dev > 0.01).sum())
    return row


def _markdown(table: pd.DataFrame) -> str:
    def cell(v) -> str:
        return f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)

    lines = ["| " + " | ".join(table.columns) + " |",
             "|" + "|".join("---" if c == "pair" else "---:" for c in table.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in table.astype(object).itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    rows = []
    years = sorted(int(p.name.split("_")[2]) for p in CBS.glob("cbs_buurten_*_GM0797.geojson"))
    buurten = {y: load_cbs_buurten(CBS / f"cbs_buurten_{y}_GM0797.geojson", y) for y in years}
    for a, b in zip(years, years[1:], strict=False):
        rows.append(compare(f"Heusden buurten {a} -> {b}", buurten[a], buurten[b]))
    for vid in ("2016", "2020"):
        units = load_version(ROOT, vid).units
        for y in years:
            rows.append(compare(f"Heusden buurten {y} -> wijken {vid}", buurten[y], units))
    loz = [load_cbs_buurten(CBS / f"cbs_buurten_{y}_GM0809.geojson", y) for y in (2012, 2013)]
    rows.append(compare("Loon op Zand buurten 2012 -> 2013", *loz))
    if "--synthetic" in sys.argv:
        from bench.hard_pair import hard_pair

        rows.append(compare("synthetic hard pair (14,000 -> 14,000)", *hard_pair()))
    table = pd.DataFrame(rows)
    text = ("Sliver rules against plain area weights (`python -m bench.sliver_rules "
            "--synthetic`). *dropped*: pieces the rule drops; *ha*: their area; *widest m*: "
            "the largest mean width (2 x area / perimeter) among them; *max dev %*: largest "
            "difference from plain area weights of a count spread evenly over the source "
            "area, in targets with at least 100; *>1 %*: targets off by more than 1 %.\n\n")
    text += _markdown(table) + "\n"
    write_text(OUT, text)
    print(text)


if __name__ == "__main__":
    main()
