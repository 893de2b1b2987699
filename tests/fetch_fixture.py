"""Serve tests/fixtures/fetch at requests' transport (HTTPAdapter.send), so the real PDOK
client and the real ``cbsodata`` client run offline against recorded responses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fetch"

#: (host, path, required query parameter substrings) -> fixture file under pdok/
PDOK = [
    ("api.pdok.nl", "/cbs/wijken-en-buurten-2023/ogc/v1/collections/buurten/items",
     {"gemeentecode": "GM0797", "cursor": None}, "ogcapi_2023_GM0797_p1.json"),
    ("api.pdok.nl", "/cbs/wijken-en-buurten-2023/ogc/v1/collections/buurten/items",
     {"gemeentecode": "GM0797", "cursor": "Aw4AAAACCw"}, "ogcapi_2023_GM0797_p2.json"),
    ("service.pdok.nl", "/cbs/wijkenbuurten/2022/wfs/v1_0",
     {"filter": "GM0797", "typeNames": "wijkenbuurten:buurten", "startIndex": "0"},
     "wfs_wijkenbuurten_2022_GM0797.json"),
    ("service.pdok.nl", "/cbs/gebiedsindelingen/2013/wfs/v1_0",
     {"filter": "BU0809*", "typeNames": "gebiedsindelingen:buurt_gegeneraliseerd",
      "startIndex": "0"}, "wfs_gebiedsindelingen_2013_GM0809.json"),
    ("service.pdok.nl", "/cbs/gebiedsindelingen/2012/wfs/v1_0",
     {"filter": "BU0809*", "typeNames": "gebiedsindelingen:buurt_gegeneraliseerd",
      "startIndex": "0"}, "wfs_gebiedsindelingen_2012_GM0809.json"),
]


@dataclass
class Served:
    """What the fake network saw, and hooks to change its answers."""

    urls: list[str] = field(default_factory=list)
    proxies: list[dict] = field(default_factory=list)
    #: url substring -> callable(doc) -> doc, applied to the JSON answer
    edits: dict = field(default_factory=dict)
    #: url substring -> exception to raise instead of answering
    failures: dict = field(default_factory=dict)


def _answer(request, status: int, doc) -> requests.Response:
    response = requests.Response()
    response.url = request.url
    response.request = request
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(doc).encode()
    return response


def _statline(parts, served: Served):
    segments = parts.path.rstrip("/").split("/")
    table_index = segments.index("odata") + 1
    table = segments[table_index]
    name = segments[table_index + 1] if len(segments) > table_index + 1 else "index"
    path = FIXTURES / "statline" / table / f"{name}.json"
    if not path.exists():
        return 404, {"odata.error": {"message": {"value": f"{table}/{name} not found"}}}
    doc = json.loads(path.read_text(encoding="utf-8"))
    query = parse_qs(parts.query)
    if name == "UntypedDataSet" and "$filter" in query:
        wanted = re.findall(r"substringof\('([^']+)',WijkenEnBuurten\)", query["$filter"][0])
        period = re.findall(r"Perioden eq '([^']+)'", query["$filter"][0])
        doc["value"] = [row for row in doc["value"]
                        if any(w in row["WijkenEnBuurten"] for w in wanted)
                        and (not period or row.get("Perioden") in period)]
    return 200, doc


def _pdok(parts):
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for host, path, required, file in PDOK:
        if parts.netloc != host or parts.path != path:
            continue
        ok = all((key not in query) if want is None else (want in query.get(key, ""))
                 for key, want in required.items())
        if ok:
            return 200, json.loads((FIXTURES / "pdok" / file).read_text(encoding="utf-8"))
    if parts.netloc == "service.pdok.nl" and query.get("startIndex", "0") != "0":
        return 200, {"type": "FeatureCollection", "numberReturned": 0, "features": []}
    return 404, {"code": "NotFound", "description": f"no fixture for {parts.geturl()}"}


def serve(monkeypatch) -> Served:
    """Replace the HTTP transport with the fixtures; returns the record of requests."""
    served = Served()

    def send(self, request, **kwargs):
        served.urls.append(request.url)
        served.proxies.append(dict(kwargs.get("proxies") or {}))
        for fragment, exc in served.failures.items():
            if fragment in request.url:
                raise exc
        parts = urlsplit(request.url)
        if parts.netloc == "opendata.cbs.nl":
            status, doc = _statline(parts, served)
        elif parts.netloc.endswith("pdok.nl"):
            status, doc = _pdok(parts)
        else:
            raise AssertionError(f"unexpected host in {request.url}")
        for fragment, edit in served.edits.items():
            if fragment in request.url:
                doc = edit(doc)
        return _answer(request, status, doc)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    return served
