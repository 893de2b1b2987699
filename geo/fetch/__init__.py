"""Fetching CBS data for an atlas: the yearly update and starting an atlas for any gemeente.

What enters: a CBS gemeentecode and years; the service addresses and StatLine table ids per
year come from ``cbs_services.toml`` (data, editable). What leaves: files under ``layers/``
named as ``layers/atlas.toml`` expects (buurten GeoJSON, Kerncijfers CSV, a manifest with the
CBS credit and the download's date and addresses), so ``wijkatlas build`` includes the year;
and, for :func:`init_atlas`, a whole new atlas repository.

Network access goes through ``requests`` (PDOK) and ``cbsodata`` (StatLine); proxies from the
environment are honoured by both (see :mod:`geo.fetch.statline`).
"""

from geo.fetch.cbs import YearResult, fetch_cbs
from geo.fetch.init import init_atlas
from geo.fetch.services import load_services, parse_years

__all__ = ["YearResult", "fetch_cbs", "init_atlas", "load_services", "parse_years"]
