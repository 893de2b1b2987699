"""Accuracy evaluation: point ground truth, area vs address weighting vs the default."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geo.accuracy import evaluate_methods
from geo.register import load_version
from geo.series import addresses_in_year
from geo.sources import load_cbs_buurten
from tests.helpers import CBS, REPO, grid


def test_address_weighting_beats_area_when_people_cluster():
    source = grid(3, 3, size=300)
    target = grid(9, 9, size=100, prefix="T")
    rng = np.random.default_rng(5)
    # Everybody lives in the south-west corner of each source square.
    xy = np.concatenate([np.column_stack([rng.uniform(x, x + 90, 50),
                                          rng.uniform(y, y + 90, 50)])
                         for x in 140000 + 300 * np.arange(3)
                         for y in 410000 + 300 * np.arange(3)])
    points = gpd.GeoDataFrame({"personen": rng.integers(1, 5, len(xy))},
                              geometry=shapely.points(xy), crs="EPSG:28992")
    table = evaluate_methods(source, target, points, "personen").set_index("method")
    assert table.loc["address", "mape"] < 20
    assert table.loc["area", "mape"] > 3 * table.loc["address", "mape"]


@pytest.mark.parametrize("year", [2011, 2022])
def test_on_the_sample_the_default_is_at_least_as_good_as_area(year):
    source = load_cbs_buurten(CBS / f"cbs_buurten_{year}_GM0797.geojson")
    target = load_version(REPO, "2020").units
    points = addresses_in_year(pyogrio.read_dataframe(REPO / "layers" / "adressen" /
                                                      "adressen_GM0797.gpkg"), year)
    table = evaluate_methods(source, target, points, "personen").set_index("method")
    assert table.loc["default", "mape"] <= table.loc["area", "mape"]
    assert table.loc["default", "share_over_10pct"] <= table.loc["area", "share_over_10pct"]
