"""Reading the hub: the atlas GeoPackage that every publication reads (and nothing else).

One place for opening it, so a missing atlas, a file that is not a GeoPackage, a missing layer
or column all give the same one-line refusal, whichever publication asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyogrio

from geo.errors import WijkatlasError, shorten

__all__ = ["layers_of", "read_table"]


def layers_of(atlas: str | Path) -> set[str]:
    """Names of the layers and tables in the atlas GeoPackage."""
    if not Path(atlas).exists():
        raise WijkatlasError("the atlas GeoPackage does not exist.", file=atlas,
                             fix="build it first with `make atlas` (wijkatlas build).")
    try:
        return {str(name) for name in pyogrio.list_layers(atlas)[:, 0]}
    except pyogrio.errors.DataSourceError as exc:
        raise WijkatlasError(f"the atlas GeoPackage cannot be read ({shorten(exc, 120)}).",
                             file=atlas, fix="build it again with `wijkatlas build`.") from exc


def read_table(atlas: str | Path, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """One layer or table of the atlas; refused when it or one of ``columns`` is absent."""
    if name not in layers_of(atlas):
        raise WijkatlasError(f"the layer {name!r} is missing.", file=atlas, unit=name,
                             fix="rebuild the atlas with `make atlas`, or name a version "
                                 "that exists in the versions table.")
    frame = pyogrio.read_dataframe(atlas, layer=name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise WijkatlasError(f"column(s) {', '.join(missing)} missing in {name}.", file=atlas,
                             unit=name, fix="rebuild the atlas with the current wijkatlas.")
    return frame
