"""The registry of indicator kinds: everything the engine knows about a kind, in one place.

The catalog (which fields an indicator of a kind needs), the readers (whether its column is
read from source data, which values are possible), the reaggregation (how it aggregates),
the conservation check and the maps (how the gemeente figure is computed) all read
:data:`KINDS`. Adding a kind is one entry here (plus its indicators in the catalog), as long
as it aggregates by one of the four rules:

``sum``
    summed by crosswalk weight (counts); totals are conserved.
``weighted``
    ``sum(value x ref / per) / sum(ref) x per`` over the named ``ref`` count: the numerator
    is recovered from the source value and its count (shares of a denominator, means and
    medians weighted by a count).
``counts_ratio``
    ``sum(numerator) / sum(denominator) x per``: a ratio of two counts recomputed from the
    reaggregated counts (e.g. crimes per 1,000 inhabitants); the source's own ratio column,
    if any, is not needed.
``per_area``
    the named count per km2 of the target's area, recomputed.

The gemeente figure (maps, profiles) follows the same rule on the gemeente as one area, so
a kind's figure for a wijk and for the gemeente are made the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "RULES", "Kind", "kind_of"]

RULES = ("sum", "weighted", "counts_ratio", "per_area")


@dataclass(frozen=True)
class Kind:
    """How one kind of indicator is defined, read, aggregated and summarised.

    Attributes
    ----------
    name
        The kind as written in the catalog (``kind = "share"``).
    description
        One line for documentation and error messages.
    rule
        How it aggregates (one of :data:`RULES`).
    refs
        Catalog fields that must name a *count* indicator (e.g. ``("denominator",)``).
    numerator, denominator
        Which of ``refs`` is the numerator count (``counts_ratio``) and which the count the
        value is weighted by or divided by (``weighted``, ``counts_ratio``, ``per_area``).
    in_source
        Whether the indicator's own column is read from source data; kinds recomputed from
        other counts (densities, ratios of counts) are computed whenever those counts are.
    minimum
        Source values below this are refused (``None``: any value).
    at_most_per
        Source values above the indicator's ``per`` are refused (shares).
    scaled
        The rule multiplies by the indicator's ``per`` (100 for a percentage, 1,000 for
        "per 1,000 inhabitants").
    approximate
        Cannot be aggregated exactly: results are always flagged approximate.
    conserved
        Totals over the targets equal totals over the sources (checked on every build).
    """

    name: str
    description: str
    rule: str
    refs: tuple[str, ...] = ()
    numerator: str = ""
    denominator: str = ""
    in_source: bool = True
    minimum: float | None = None
    at_most_per: bool = False
    scaled: bool = False
    approximate: bool = False
    conserved: bool = False


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("count", "a count, summed", "sum", minimum=0.0, conserved=True),
    Kind("share", "numerator / denominator x per, of a named count", "weighted",
         refs=("denominator",), denominator="denominator", minimum=0.0, at_most_per=True,
         scaled=True),
    Kind("mean", "a mean weighted by a named count", "weighted", refs=("weight",),
         denominator="weight"),
    Kind("median", "a median, approximated by a weighted mean and flagged", "weighted",
         refs=("weight",), denominator="weight", approximate=True),
    Kind("density", "a named count per km2 of the area, recomputed", "per_area",
         refs=("count",), denominator="count", in_source=False, minimum=0.0),
    Kind("ratio", "a ratio of two counts x per (e.g. per 1,000 inhabitants), recomputed",
         "counts_ratio", refs=("numerator", "denominator"), numerator="numerator",
         denominator="denominator", in_source=False, minimum=0.0, scaled=True),
)}


def kind_of(name: str) -> Kind:
    """The registry entry of a kind (``KeyError`` for an unknown one; the catalog refuses
    unknown kinds with a message before anything else sees them)."""
    return KINDS[name]
