"""The reference for ``python -m bench.whole_process``: tobler in a plain script.

    python bench/tobler_script.py SOURCE TARGET VALUES OUT

Reads two polygon layers (column ``code``) and a values CSV (``code`` + count columns), runs
``tobler.area_weighted.area_interpolate(..., allocate_total=True, n_jobs=1)`` (weights
re-normalised over the covered part of each source, as wijkatlas does) and writes a wide CSV
``code, <variables>``. What a user would write; timed as a whole process.
"""

import sys

import geopandas as gpd
import pandas as pd
from tobler.area_weighted import area_interpolate

source_path, target_path, values_path, out_path = sys.argv[1:5]
source = gpd.read_file(source_path)
target = gpd.read_file(target_path)
values = pd.read_csv(values_path, dtype={"code": str})
source = source.merge(values, on="code")
columns = [c for c in values.columns if c != "code"]
result = area_interpolate(source, target, extensive_variables=columns, allocate_total=True,
                          n_jobs=1)
result["code"] = target["code"].to_numpy()
result[["code", *columns]].to_csv(out_path, index=False)
