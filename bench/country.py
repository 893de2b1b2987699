"""A country-sized reaggregation from the command line (``python -m bench country``).

One year of 14,000 synthetic buurten with 100 count variables is put onto a target version
(the next 'year', ~90 % unchanged units), with a progress bar. Memory stays bounded: the
overlay keeps only areas (chunks of pairs), the values are one dense matrix.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench.pairs import year_pair
from geo.atomic import write_text
from geo.overlay import overlay_areas


def country_run(out: Path, n: int = 14_000, variables: int = 100, seed: int = 7) -> pd.DataFrame:
    """Reaggregate ``variables`` counts of ``n`` buurten onto a target version; write CSV.

    Parameters
    ----------
    out
        CSV to write (``target_code`` and one column per variable), written atomically.
    n, variables, seed
        Size of the synthetic country and its seed.

    Returns
    -------
    The written table.
    """
    columns = [f"var{i:03d}" for i in range(variables)]
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed:,}/{task.total:,}"), TimeElapsedColumn()) as bar:
        task = bar.add_task("buurten genereren", total=1)
        source, target = year_pair(n, seed=seed)
        values = np.random.default_rng(seed).integers(0, 5_000, (len(source), variables))
        bar.update(task, completed=1)
        start = time.perf_counter()
        task = bar.add_task("overlay (paren)", total=1)
        pairs = overlay_areas(np.asarray(source.geometry.values),
                              np.asarray(target.geometry.values),
                              progress=lambda done, total: bar.update(task, completed=done,
                                                                      total=total))
        task = bar.add_task("herverdelen (variabelen)", total=variables)
        s, t = pairs["source_index"].to_numpy(), pairs["target_index"].to_numpy()
        weight = pairs["area"].to_numpy() / shapely.area(np.asarray(source.geometry.values))[s]
        matrix = sp.csr_matrix((weight, (t, s)), shape=(len(target), len(source)))
        result = matrix @ values.astype(float)
        bar.update(task, completed=variables)
    table = pd.DataFrame(result, columns=columns)
    table.insert(0, "target_code", target["code"].to_numpy())
    write_text(out, table.to_csv(index=False))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total_in, total_out = values.sum(), result.sum()
    print(f"{len(source):,} buurten x {variables} variabelen -> {len(target):,} doeleenheden in "
          f"{seconds:.1f} s (overlay + herverdelen + schrijven), piekgeheugen {peak:.0f} MB; "
          f"totaal behouden: {abs(total_out - total_in) / total_in:.1e} relatief verschil; "
          f"geschreven: {out}")
    return table
