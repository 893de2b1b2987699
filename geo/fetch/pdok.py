"""Buurt polygons of one gemeente and year from PDOK (OGC API Features or WFS 2.0).

In: a :class:`~geo.fetch.services.GeometryService` and a gemeentecode. Out: a GeoDataFrame
``statcode, statnaam, jrstatcode, wijkcode, gemeentecode, geometry`` in EPSG:28992, one row
per buurt of that gemeente (land parts; a buurt that is only water keeps its water part).

HTTP goes through one :class:`requests.Session` (``trust_env`` on), so ``HTTPS_PROXY``,
``HTTP_PROXY``, ``NO_PROXY`` and ``REQUESTS_CA_BUNDLE`` from the environment are honoured.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import geopandas as gpd
import requests
import shapely

from geo.errors import WijkatlasError
from geo.fetch.services import GeometryService
from geo.units import CRS

PAGE = 1000
MAX_PAGES = 200
TIMEOUT = (15, 120)
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
USER_AGENT = "wijkatlas (https://github.com/; open-source wijkatlas for Dutch gemeenten)"


def session() -> requests.Session:
    """A requests session that honours proxies and CA bundles from the environment."""
    s = requests.Session()
    s.trust_env = True
    s.headers["User-Agent"] = USER_AGENT
    return s


def get_json(http: requests.Session, url: str, params: dict | None, *, service: str,
             what: str) -> dict:
    """GET a JSON document; every failure becomes one WijkatlasError naming the service."""
    try:
        response = http.get(url, params=params, timeout=TIMEOUT)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise WijkatlasError(
            f"no connection ({type(exc).__name__}); nothing was changed.",
            file=service, rule="offline",
            fix="check the network connection (and HTTPS_PROXY if you work behind a proxy), "
                "then run the command again.") from exc
    except requests.RequestException as exc:
        raise WijkatlasError(f"the request failed ({exc}); nothing was changed.",
                             file=service, rule="offline",
                             fix="run the command again later.") from exc
    if response.status_code == 404:
        raise WijkatlasError(
            f"answered 404 (not found) for {what}; nothing was changed.",
            file=service, rule="service_missing",
            fix="PDOK may have moved or retired this service: correct its address in "
                "geo/fetch/cbs_services.toml, or download the file by hand and place it "
                "under the name layers/atlas.toml expects.")
    if response.status_code >= 400:
        raise WijkatlasError(
            f"answered HTTP {response.status_code} for {what}; nothing was changed.",
            file=service, rule="service_error", fix="run the command again later.")
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        kind = response.headers.get("Content-Type", "unknown")
        raise WijkatlasError(
            f"{service} did not answer with JSON (content type {kind}) for {what}; "
            "its layout may have changed.", file=service, rule="layout",
            fix="check the service address and layer in geo/fetch/cbs_services.toml.") from exc


def _features(doc: dict, service: GeometryService) -> list[dict]:
    if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
        keys = ", ".join(map(str, doc)) if isinstance(doc, dict) else type(doc).__name__
        raise WijkatlasError(
            f"{service.label} did not answer with a GeoJSON FeatureCollection "
            f"(expected a 'features' list; got: {keys}).", file=service.label, rule="layout",
            fix="the service changed its layout: update geo/fetch/cbs_services.toml.")
    return doc["features"]


def _ogcapi_pages(http: requests.Session, service: GeometryService, gemeente: str,
                  progress: Callable[[int], None] | None) -> list[dict]:
    url = f"{service.url}/collections/{service.layer}/items"
    params: dict | None = {"f": "json", "limit": PAGE, "crs": RD_URI}
    if service.gemeente:
        params[service.gemeente] = gemeente
    features: list[dict] = []
    for _ in range(MAX_PAGES):
        doc = get_json(http, url, params, service=service.label,
                       what=f"the buurten of {gemeente} in {service.year}")
        features.extend(_features(doc, service))
        if progress:
            progress(len(features))
        nxt = next((link.get("href") for link in doc.get("links", [])
                    if link.get("rel") == "next" and link.get("href")), None)
        if not nxt:
            return features
        url, params = nxt, None
    raise WijkatlasError(f"{service.label} kept paging past {MAX_PAGES * PAGE} features.",
                         file=service.label, rule="layout",
                         fix="check the gemeente filter in geo/fetch/cbs_services.toml.")


def _wfs_filter(service: GeometryService, gemeente: str) -> str:
    if service.gemeente:
        return ("<Filter><PropertyIsEqualTo>"
                f"<PropertyName>{service.gemeente}</PropertyName><Literal>{gemeente}</Literal>"
                "</PropertyIsEqualTo></Filter>")
    return ('<Filter><PropertyIsLike wildCard="*" singleChar="." escapeChar="!">'
            f"<PropertyName>{service.code}</PropertyName><Literal>BU{gemeente[2:]}*</Literal>"
            "</PropertyIsLike></Filter>")


def _wfs_pages(http: requests.Session, service: GeometryService, gemeente: str,
               progress: Callable[[int], None] | None) -> list[dict]:
    features: list[dict] = []
    for page in range(MAX_PAGES):
        params = {"service": "WFS", "version": "2.0.0", "request": "GetFeature",
                  "typeNames": service.layer, "outputFormat": "application/json",
                  "srsName": "EPSG:28992", "count": PAGE, "startIndex": page * PAGE,
                  "filter": _wfs_filter(service, gemeente)}
        doc = get_json(http, service.url, params, service=service.label,
                       what=f"the buurten of {gemeente} in {service.year}")
        batch = _features(doc, service)
        features.extend(batch)
        if progress:
            progress(len(features))
        if len(batch) < PAGE:
            return features
    raise WijkatlasError(f"{service.label} kept paging past {MAX_PAGES * PAGE} features.",
                         file=service.label, rule="layout",
                         fix="check the gemeente filter in geo/fetch/cbs_services.toml.")


def fetch_buurten(service: GeometryService, gemeente: str, *,
                  http: requests.Session | None = None,
                  progress: Callable[[int], None] | None = None) -> gpd.GeoDataFrame:
    """Download the buurten of ``gemeente`` in ``service.year`` and cut them to the gemeente.

    Parameters
    ----------
    service
        One year's geometry service (from :func:`geo.fetch.services.load_services`).
    gemeente
        CBS gemeentecode, e.g. ``GM0809``.

    Returns
    -------
    GeoDataFrame ``statcode, statnaam, jrstatcode, wijkcode, gemeentecode, geometry``
    (EPSG:28992), sorted by code.

    Raises
    ------
    WijkatlasError
        No connection (rule ``offline``), the service missing or failing, a layout other than
        described in ``cbs_services.toml`` (rule ``layout``: names the service and what was
        expected), or no buurten for the gemeente that year.
    """
    http = http or session()
    pages = _ogcapi_pages if service.kind == "ogcapi" else _wfs_pages
    features = pages(http, service, gemeente, progress)
    prefix = f"BU{gemeente[2:]}"
    if not features:
        raise WijkatlasError(
            f"{service.label} has no buurten of {gemeente} in {service.year}.",
            file=service.label, unit=gemeente, rule="no_units",
            fix="check the gemeentecode: after a herindeling the gemeente may have another "
                "code that year.")
    properties = set().union(*(f.get("properties") or {} for f in features))
    wanted = [service.code, service.name]
    absent = [p for p in wanted if p not in properties]
    if absent:
        raise WijkatlasError(
            f"{service.label} answered features without the expected "
            f"propert{'y' if len(absent) == 1 else 'ies'} {', '.join(absent)} "
            f"(expected {', '.join(wanted)}; got {', '.join(sorted(properties))}).",
            file=service.label, rule="layout",
            fix="the service changed its layout: set code/name for this year in "
                "geo/fetch/cbs_services.toml.")
    try:
        raw = gpd.GeoDataFrame.from_features(features, crs=CRS)
    except Exception as exc:  # malformed geometry objects
        raise WijkatlasError(f"{service.label} answered geometry that cannot be read ({exc}).",
                             file=service.label, rule="layout",
                             fix="check the service in geo/fetch/cbs_services.toml.") from exc
    raw = raw[raw.geometry.notna() & ~raw.geometry.is_empty]
    codes = raw[service.code].astype("string").str.strip().str.upper()
    raw = raw[codes.str.startswith(prefix).fillna(False).to_numpy()].copy()
    raw["statcode"] = raw[service.code].astype(str).str.strip().str.upper()
    if raw.empty:
        raise WijkatlasError(
            f"{service.label} answered {len(features)} feature(s), none a buurt of {gemeente} "
            f"(codes {prefix}...).", file=service.label, unit=gemeente, rule="no_units",
            fix="check the gemeentecode and the service's gemeente filter.")
    bounds = raw.total_bounds
    if not (bounds[0] >= -10_000 and bounds[2] <= 300_000 and bounds[1] >= 280_000
            and bounds[3] <= 630_000):
        raise WijkatlasError(
            f"{service.label} answered coordinates outside the Netherlands in RD "
            f"(bounds {bounds.round(0).tolist()}); expected EPSG:28992.",
            file=service.label, rule="layout",
            fix="the service ignored the requested CRS: check it in cbs_services.toml.")
    if service.water and service.water in raw.columns:
        water = raw[service.water].astype("string").str.upper().eq("JA").fillna(False)
        land_codes = set(raw.loc[~water.to_numpy(), "statcode"])
        raw = raw[~(water.to_numpy() & raw["statcode"].isin(land_codes).to_numpy())]
    raw["statnaam"] = raw[service.name].astype("string").str.strip()
    raw["geometry"] = shapely.make_valid(raw.geometry.values)
    merged = raw.dissolve(by="statcode", aggfunc={"statnaam": "first"}, as_index=False)
    merged["geometry"] = shapely.make_valid(merged.geometry.values)
    out = gpd.GeoDataFrame({
        "statcode": merged["statcode"].astype(str),
        "statnaam": merged["statnaam"].astype("string"),
        "jrstatcode": str(service.year) + merged["statcode"].astype(str),
        "wijkcode": "WK" + merged["statcode"].astype(str).str[2:8],
        "gemeentecode": gemeente,
    }, geometry=merged.geometry.values, crs=CRS)
    return out.sort_values("statcode", ignore_index=True)


def buurten_geojson(buurten: gpd.GeoDataFrame) -> str:
    """GeoJSON text of fetched buurten in EPSG:28992 (with the CRS member, like the CBS
    files in layers/cbs/), coordinates rounded to millimetres."""
    frame = buurten.copy()
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 0.001)
    doc = json.loads(frame.to_json(drop_id=True, to_wgs84=False))
    doc = {"type": "FeatureCollection",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
           "features": doc["features"]}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


__all__ = ["buurten_geojson", "fetch_buurten", "get_json", "session"]
