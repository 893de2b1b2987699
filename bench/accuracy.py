"""Accuracy table for the README: area vs address weighting vs the default, every sample year.

Run: ``python -m bench.accuracy``. Ground truth: persons per address point of the (synthetic)
sample, summed directly to the CBS buurten of each year and to the wijken of each version.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyogrio

from geo.accuracy import evaluate_methods
from geo.atlas import read_config
from geo.register import load_version
from geo.series import addresses_in_year
from geo.sources import load_cbs_buurten

ROOT = Path(__file__).resolve().parent.parent


def main() -> pd.DataFrame:
    config = read_config(ROOT)
    points = pyogrio.read_dataframe(config.addresses, layer=config.addresses_layer)
    frames = []
    for vid in config.versions:
        target = load_version(ROOT, vid).units
        for year in config.years():
            source = load_cbs_buurten(ROOT / config.buurten.format(year=year), year)
            table = evaluate_methods(source, target, addresses_in_year(points, year), "personen")
            table.insert(0, "version", vid)
            table.insert(1, "year", year)
            frames.append(table)
    result = pd.concat(frames, ignore_index=True)
    result["period"] = result["year"].map(lambda y: "2008-2011" if y <= 2011 else "2012-2022")
    summary = result.groupby(["version", "period", "method"], as_index=False).agg(
        mape=("mape", "mean"), share_over_10pct=("share_over_10pct", "mean"),
        max_ape=("max_ape", "max"))
    print("| version | years | method | mean abs % error | units off > 10 % | worst unit % |")
    print("|---|---|---|---|---|---|")
    for row in summary.itertuples(index=False):
        print(f"| {row.version} | {row.period} | {row.method} | {row.mape:.1f} | "
              f"{row.share_over_10pct * 100:.0f} % | {row.max_ape:.0f} |")
    return summary


if __name__ == "__main__":
    main()
