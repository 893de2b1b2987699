"""The plugin zip passes the upload rules of the QGIS plugin repository (plugins.qgis.org).

The rules are those its upload validator applies (QGIS-Django ``plugins/validator.py``):
size at most 25 MB; a readable zip (CRC checked); no path with ``..`` or a leading ``/``; no
``.pyc`` and no ``__pycache__``, ``.git`` or ``__MACOSX`` folder; one top folder whose name
starts with a letter and holds only letters, digits, ``-`` and ``_``; ``__init__.py`` and a
``metadata.txt`` with a ``[general]`` section holding name, description, version,
qgisMinimumVersion, author, email, about, tracker and repository; tracker, repository and
homepage are URLs (scheme and host); an author without slashes; ``LICENSE`` in the top folder
(mandatory since June 2024). Whether the URLs answer is not checked (no network in tests).
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from tests.helpers import REPO

MAX_SIZE = 25_000_000
REQUIRED = ("name", "description", "version", "qgisMinimumVersion", "author", "email",
            "about", "tracker", "repository")


def upload_problems(path: Path) -> list[str]:
    """Every rule of the plugin repository the zip breaks (empty: it would be accepted)."""
    problems = []
    if path.stat().st_size > MAX_SIZE:
        problems.append("larger than 25 MB")
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    for name in names:
        parts = name.split("/")
        if ".." in name or name.startswith("/"):
            problems.append(f"path information in {name}")
        if ".pyc" in name:
            problems.append(f".pyc file {name}")
        for bad in ("__MACOSX", ".git", "__pycache__"):
            if bad in parts:
                problems.append(f"{bad} folder in {name}")
    if archive.testzip() is not None:
        problems.append("CRC error")
    tops = {n.split("/")[0] for n in names}
    if len(tops) != 1 or "/" not in names[0]:
        return [*problems, f"not one top folder: {sorted(tops)}"]
    top = names[0].split("/")[0]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9\-_]+", top):
        problems.append(f"top folder name {top!r}")
    for needed in ("__init__.py", "metadata.txt", "LICENSE"):
        if f"{top}/{needed}" not in names:
            problems.append(f"no {needed}")
    parser = configparser.ConfigParser()
    parser.optionxform = str
    parser.read_string(archive.read(f"{top}/metadata.txt").decode("utf-8"))
    meta = dict(parser.items("general")) if parser.has_section("general") else {}
    problems += [f"metadata {key} missing" for key in REQUIRED if not meta.get(key)]
    for key in ("tracker", "repository", "homepage"):
        if key in meta:
            url = urlparse(meta[key])
            if not (url.scheme and url.netloc):
                problems.append(f"metadata {key} is not a URL")
    if "/" in meta.get("author", ""):
        problems.append("author with a slash")
    if meta.get("icon") and f"{top}/{meta['icon']}" not in names:
        problems.append("icon not in the zip")
    return problems


def _build_module():
    spec = importlib.util.spec_from_file_location("plugin_build",
                                                  REPO / "qgis_plugin" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_zip_passes_the_repository_upload_rules(tmp_path):
    build = _build_module()
    # A copy of the plugin with a stray __pycache__/.pyc, which must not reach the zip.
    plugin = tmp_path / "wijkatlas"
    shutil.copytree(REPO / "qgis_plugin" / "wijkatlas", plugin)
    (plugin / "__pycache__").mkdir(exist_ok=True)
    (plugin / "__pycache__" / "zz_stray.cpython-311.pyc").write_bytes(b"\x00")
    zip_path = build.build_zip(tmp_path / "out", plugin)
    assert upload_problems(zip_path) == []
    archive = zipfile.ZipFile(zip_path)
    assert archive.read("wijkatlas/LICENSE") == (REPO / "LICENSE").read_bytes()


def test_the_checker_catches_what_the_repository_refuses(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("wijkatlas/__init__.py", "")
        archive.writestr("wijkatlas/metadata.txt", "[general]\nname=x\nauthor=a/b\n")
        archive.writestr("wijkatlas/__pycache__/x.cpython-311.pyc", b"")
    problems = upload_problems(bad)
    assert "no LICENSE" in problems and "author with a slash" in problems
    assert any("__pycache__" in p for p in problems) and any(".pyc" in p for p in problems)
    assert "metadata tracker missing" in problems


def test_repository_license_is_the_eupl_1_2():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in text
    assert "15. Applicable Law" in text and "Appendix" in text and len(text) > 12_000
