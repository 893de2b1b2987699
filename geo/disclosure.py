"""Disclosure control for register counts: primary and secondary suppression.

What enters: the placed records of one source and one year (one row per record, or per
fragment of a record split over several places, with its weight) and, per *partition* under
which they are published, the unit each record falls in. A partition is any way of cutting
the same records into disjoint cells: the wijken of boundary version 2016, those of 2020, the
kernen or wijkteams of a version, the gemeente as one cell, or one indicator's selection of
records on one of those (``woninginbraak`` on the wijken of 2020). What leaves: per partition
and unit the count, and whether it may be published (``observed``), is a small count itself
(``small``, reason ``primary``) or is withheld because publishing it would let a small count
be computed from other published figures (``withheld``, reason ``secondary``).

The raw counts of suppressed cells are returned to the caller for internal use only; the
callers in :mod:`geo.records` never write them into a published table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import WijkatlasError

#: Counts (or sums of record weights) below this are treated as zero.
EPS = 1e-9

__all__ = ["DisclosureRule", "blocks", "protect", "protect_labels", "row_ids"]


@dataclass(frozen=True)
class DisclosureRule:
    """How a source's figures are protected.

    Parameters
    ----------
    threshold
        Counts of records from 1 up to ``threshold - 1`` are not published (default 5:
        "< 5", common Dutch practice for registers about persons).
    min_population
        Units with fewer inhabitants than this get no rates (default 50).
    secondary
        Apply secondary suppression (default true). Only switch it off for a source that is
        published on a single partition without a total.
    """

    threshold: float = 5
    min_population: float = 50
    secondary: bool = True

    def __post_init__(self) -> None:
        if not np.isfinite(self.threshold) or self.threshold < 1:
            raise WijkatlasError(
                f"disclosure threshold {self.threshold!r} is below 1.",
                fix="set threshold to a whole number of at least 1 (default 5).",
                rule="bad_threshold")
        if not np.isfinite(self.min_population) or self.min_population < 0:
            raise WijkatlasError(
                f"min_population {self.min_population!r} is negative.",
                fix="set min_population to 0 or more (default 50).", rule="bad_threshold")

    @property
    def label(self) -> str:
        """How a small count is shown: ``< 5``."""
        t = self.threshold
        return f"< {int(t) if float(t).is_integer() else t}"


def _small(n: np.ndarray, threshold: float) -> np.ndarray:
    return (n > EPS) & (n < threshold - EPS)


def row_ids(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """Number the distinct rows of an integer matrix: ``(id per row, number of ids)``.

    Column by column, the ids so far and the next column are combined and renumbered
    (``pandas.factorize``), so the keys never overflow and no row sort is needed.
    """
    n = matrix.shape[0]
    ids = np.zeros(n, dtype=np.int64)
    count = 1
    for p in range(matrix.shape[1]):
        col = matrix[:, p].astype(np.int64) + 1  # -1 (no cell) becomes 0
        ids, uniques = pd.factorize(ids * (int(col.max(initial=0)) + 1) + col)
        count = len(uniques)
    return ids.astype(np.int64), (count if n else 0)


def blocks(labels: np.ndarray, published: list[np.ndarray]) -> np.ndarray:
    """Group atoms by the set of published cells they lie in.

    Parameters
    ----------
    labels
        ``(atoms, partitions)`` integers: the cell of each atom in each partition, ``-1``
        where the atom is in no cell of that partition.
    published
        Per partition a boolean array over its cells.

    Returns
    -------
    ndarray
        A block id per atom; ``-1`` for atoms in no published cell at all.

    Notes
    -----
    Every figure an outsider can compute from the published cells by adding and subtracting
    them is a linear combination :math:`\\sum_c a_c y_c`; it is the count of an area only when
    the combination's coefficients sum to 1 or 0 on every atom, and any such combination is
    constant on atoms with the same published-cell membership. The blocks are those classes;
    an area whose count can be computed is therefore a union of blocks (never touching the
    atoms in no published cell).
    """
    signature = np.full(labels.shape, -1, dtype=np.int64)
    for p, pub in enumerate(published):
        lab = labels[:, p]
        inside = lab >= 0
        ok = np.zeros(len(lab), dtype=bool)
        ok[inside] = pub[lab[inside]]
        signature[ok, p] = lab[ok]
    if len(signature) == 0:
        return np.empty(0, dtype=np.int64)
    block, _ = row_ids(signature)
    none = (signature < 0).all(axis=1)
    if none.any():  # renumber so the ids stay dense without the "in no cell" class
        block = np.where(none, -1, block)
        keep = np.unique(block[~none])
        block[~none] = np.searchsorted(keep, block[~none])
    return block


def _secondary_round(atom_labels: np.ndarray, atom_n: np.ndarray, published: list[np.ndarray],
                     cell_n: list[np.ndarray], threshold: float) -> set[tuple[int, int]]:
    """One round of secondary suppression: the cells to withhold so that each unsafe block
    (0 < n < threshold) merges with other records. Returns ``{(partition, cell)}``."""
    block = blocks(atom_labels, published)
    inb = block >= 0
    if not inb.any():
        return set()
    n_blocks = int(block.max()) + 1
    block_n = np.bincount(block[inb], weights=atom_n[inb], minlength=n_blocks)
    unsafe = np.flatnonzero(_small(block_n, threshold))
    if len(unsafe) == 0:
        return set()
    # the published cells of each block (its signature): one atom per block is enough
    first_atom = np.zeros(n_blocks, dtype=np.int64)
    first_atom[block[inb][::-1]] = np.flatnonzero(inb)[::-1]
    sig = atom_labels[first_atom].copy()
    for p, pub in enumerate(published):
        lab = sig[:, p]
        ok = lab >= 0
        ok[ok] = pub[lab[ok]]
        sig[~ok, p] = -1
    has_records = block_n > EPS
    actions: set[tuple[int, int]] = set()
    touched: set[tuple[int, int]] = set()
    for b in unsafe[np.argsort(block_n[unsafe], kind="stable")]:
        cells = {(p, int(c)) for p, c in enumerate(sig[b]) if c >= 0}
        if cells & touched:
            continue  # decided on stale blocks; the next round looks again
        # (a) withhold one cell the block lies in
        options = [((cell_n[p][c], 1), [(p, c)]) for p, c in cells]
        # (b) withhold the extra cells of another block lying in the same cells and more,
        #     so the two merge (keeps coarse totals such as the gemeente when possible)
        known = sig[b] >= 0
        superset = (sig[:, known] == sig[b, known]).all(axis=1) & has_records
        superset &= (sig >= 0).sum(axis=1) > known.sum()
        superset[b] = False
        for other in np.flatnonzero(superset):
            extra = [(p, int(c)) for p, c in enumerate(sig[other]) if c >= 0 and not known[p]]
            options.append(((sum(cell_n[p][c] for p, c in extra), len(extra)), extra))
        if not options:
            continue
        _, best = min(options, key=lambda o: (o[0], sorted(o[1])))
        actions.update(best)
        for p, c in best:
            touched.add((p, c))
        touched.update(cells)
    return actions


def protect_labels(labels: np.ndarray, n_cells: Sequence[int], weights: np.ndarray,
                   rule: DisclosureRule) -> tuple[list[np.ndarray], list[np.ndarray],
                                                  list[np.ndarray]]:
    """:func:`protect` on integer labels: ``labels[i, p]`` is the cell of record ``i`` in
    partition ``p`` (``-1``: none), ``n_cells[p]`` the number of cells of partition ``p``.

    Returns per partition the counts, the primary and the secondary suppression flags.
    """
    if len(labels):
        atom_of, n_atoms = row_ids(labels)
        first = np.full(n_atoms, -1, dtype=np.int64)
        first[atom_of[::-1]] = np.arange(len(atom_of))[::-1]
        atom_labels = labels[first]
        atom_n = np.bincount(atom_of, weights=weights, minlength=n_atoms)
    else:
        atom_labels = np.empty((0, labels.shape[1]), dtype=np.int64)
        atom_n = np.empty(0)
    cell_n = []
    for p in range(labels.shape[1]):
        lab = atom_labels[:, p]
        inside = lab >= 0
        cell_n.append(np.bincount(lab[inside], weights=atom_n[inside],
                                  minlength=int(n_cells[p])).astype(float))
    primary = [_small(n, rule.threshold) for n in cell_n]
    published = [~s for s in primary]
    secondary = [np.zeros(len(n), dtype=bool) for n in cell_n]
    while rule.secondary:
        actions = _secondary_round(atom_labels, atom_n, published, cell_n, rule.threshold)
        if not actions:
            break
        for p, c in actions:
            published[p][c] = False
            secondary[p][c] = True
    return cell_n, primary, secondary


def protect(
    records: pd.DataFrame,
    partitions: Sequence[str],
    *,
    weight: str | None = None,
    units: Mapping[str, Sequence[str]] | None = None,
    rule: DisclosureRule | None = None,
) -> pd.DataFrame:
    """Decide which cells of several partitions of the same records may be published.

    Parameters
    ----------
    records
        One row per record (or record fragment) of one source and one year. For each name
        in ``partitions`` a column with the unit the record lies in under that partition
        (empty / NA when it lies in none).
    partitions
        The columns of ``records`` that are published together. Give every partition the
        same records are published under (versions, levels, indicator selections): cells of
        partitions left out are not protected against.
    weight
        Column with each row's share of a record (fragments of records split over units by
        their addresses); default 1 per row.
    units
        Per partition every unit code that is published, so units without records get a row
        with count 0; units with records but not listed are added.
    rule
        Threshold and switches; default :class:`DisclosureRule()` (threshold 5).

    Returns
    -------
    DataFrame
        ``partition, unit, n, status, reason``: ``n`` is the count (for internal use only:
        never publish it where status is not ``observed``); ``status`` ``observed``,
        ``small`` (0 < n < threshold; reason ``primary``) or ``withheld`` (reason
        ``secondary``).

    Notes
    -----
    Primary suppression withholds every cell with :math:`0 < n < t`. Secondary suppression
    then makes sure no count in :math:`(0, t)` can be computed from what is published, by
    any sum or difference of published cells, across all partitions at once. The atoms are
    the cells of the common refinement of the partitions (records with the same unit in
    every partition); a *block* is a class of atoms lying in the same published cells
    (:func:`blocks`). An area whose count can be computed from the published cells is a
    union of blocks, so it is safe when every block holds 0 or at least :math:`t` records.
    While some block holds :math:`0 < n < t`, the published cell containing it with the
    smallest count is withheld as well (reason ``secondary``), which merges the block with
    others; this repeats until no block is unsafe. Example: Vliedberg 2016 = Vliedberg 2020
    + Geerpark 2020; with Geerpark 2020 at 3 (primary) the block "in Vliedberg 2016 and in
    Geerpark 2020" holds 3 and lies only in Vliedberg 2016, so Vliedberg 2016 (or, when
    smaller, Vliedberg 2020) is withheld too.

    The guarantee is against exact computation. Bounds (a withheld cell lies between 0 and
    a published total) remain, as with every cell-suppression method.
    """
    rule = rule or DisclosureRule()
    partitions = list(partitions)
    for name in partitions:
        if name not in records.columns:
            raise WijkatlasError(f"partition column {name!r} is not in the records.",
                                 fix="pass the names of columns that hold unit codes.")
    w = (records[weight].to_numpy(dtype=float) if weight
         else np.ones(len(records), dtype=float))
    codes: list[np.ndarray] = []
    labels = np.full((len(records), len(partitions)), -1, dtype=np.int64)
    for p, name in enumerate(partitions):
        col = records[name]
        present = col.notna() & (col.astype("string").fillna("") != "")
        listed = [str(u) for u in (units or {}).get(name, ())]
        seen = pd.unique(col[present].astype(str))
        cats = pd.Index(list(dict.fromkeys([*listed, *seen])))
        labels[present.to_numpy(), p] = cats.get_indexer(col[present].astype(str))
        codes.append(cats.to_numpy(dtype=object))
    cell_n, primary, secondary = protect_labels(labels, [len(c) for c in codes], w, rule)
    frames = []
    for p, name in enumerate(partitions):
        status = np.where(primary[p], "small", np.where(secondary[p], "withheld", "observed"))
        reason = np.where(primary[p], "primary", np.where(secondary[p], "secondary", ""))
        frames.append(pd.DataFrame({"partition": name, "unit": codes[p], "n": cell_n[p],
                                    "status": status, "reason": reason}))
    if not frames:
        return pd.DataFrame(columns=["partition", "unit", "n", "status", "reason"])
    return pd.concat(frames, ignore_index=True)
