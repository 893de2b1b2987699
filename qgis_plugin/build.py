"""Build the installable plugin zip and a ``plugins.xml`` for a custom plugin repository.

Usage (``make plugin``)::

    python qgis_plugin/build.py --out build/plugin [--base-url https://example.org/plugins/]

Writes ``OUT/wijkatlas.<version>.zip`` (QGIS: Plugins > Manage and Install Plugins > Install
from ZIP) and ``OUT/plugins.xml`` (add ``BASE_URL/plugins.xml`` as a plugin repository in
QGIS; without ``--base-url`` the file:// URL of OUT is used). Standard library only, so it
runs under any Python 3.9+. The zip is reproducible: fixed timestamps, sorted entries.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

PLUGIN_DIR = Path(__file__).resolve().parent / "wijkatlas"
#: The repository's licence (EUPL-1.2), shipped in the zip as ``wijkatlas/LICENSE``: the QGIS
#: plugin repository refuses uploads without one.
LICENSE_FILE = Path(__file__).resolve().parent.parent / "LICENSE"
REQUIRED = ("name", "qgisMinimumVersion", "description", "about", "version", "author", "tracker",
            "email", "repository", "icon")
SKIP_PARTS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo", ".orig", ".rej", ".tmp"}
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """The plugin folder is incomplete; the message names the file and the fix."""


def read_metadata(plugin_dir: Path = PLUGIN_DIR) -> dict[str, str]:
    """Return the ``[general]`` section of ``metadata.txt``, checking the required keys."""
    path = plugin_dir / "metadata.txt"
    if not path.is_file():
        raise BuildError(f"{path}: missing. Fix: restore metadata.txt from the repository.")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive (qgisMinimumVersion)
    parser.read(path, encoding="utf-8")
    meta = dict(parser["general"]) if parser.has_section("general") else {}
    missing = [key for key in REQUIRED if not meta.get(key)]
    if missing:
        raise BuildError(f"{path}: missing keys {', '.join(missing)}. "
                         "Fix: add them to the [general] section.")
    if not (plugin_dir / meta["icon"]).is_file():
        raise BuildError(f"{path}: icon '{meta['icon']}' not found in {plugin_dir}. "
                         "Fix: add the icon file or correct the icon key.")
    return meta


def plugin_files(plugin_dir: Path = PLUGIN_DIR) -> list[Path]:
    """Return the files that go into the zip (relative to ``plugin_dir``), sorted."""
    files = []
    for path in sorted(plugin_dir.rglob("*")):
        rel = path.relative_to(plugin_dir)
        if path.is_file() and not SKIP_PARTS & set(rel.parts) and path.suffix not in SKIP_SUFFIXES:
            files.append(rel)
    return files


def build_zip(out_dir: Path, plugin_dir: Path = PLUGIN_DIR) -> Path:
    """Write ``out_dir/wijkatlas.<version>.zip`` atomically and return its path."""
    meta = read_metadata(plugin_dir)
    if not LICENSE_FILE.is_file():
        raise BuildError(f"{LICENSE_FILE}: missing. Fix: restore LICENSE (EUPL-1.2) from the "
                         "repository; the QGIS plugin repository requires it in the zip.")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{plugin_dir.name}.{meta['version']}.zip"
    tmp = target.with_name(target.name + ".tmp")
    entries = {rel.as_posix(): plugin_dir / rel for rel in plugin_files(plugin_dir)}
    entries.setdefault("LICENSE", LICENSE_FILE)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, source in sorted(entries.items()):
            info = zipfile.ZipInfo(f"{plugin_dir.name}/{rel}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, source.read_bytes())
    os.replace(tmp, target)
    return target


def plugins_xml(meta: dict[str, str], zip_name: str, base_url: str) -> str:
    """Return the ``plugins.xml`` text of a repository holding one plugin zip."""
    def tag(name: str, value: str) -> str:
        return f"    <{name}>{escape(value)}</{name}>\n"

    url = base_url.rstrip("/") + "/" + zip_name
    body = "".join([
        tag("description", meta["description"]),
        tag("about", meta["about"]),
        tag("version", meta["version"]),
        tag("qgis_minimum_version", meta["qgisMinimumVersion"]),
        tag("qgis_maximum_version", meta.get("qgisMaximumVersion", "3.99")),
        tag("homepage", meta.get("homepage", "")),
        tag("file_name", zip_name),
        tag("icon", meta["icon"]),
        tag("author_name", meta["author"]),
        tag("download_url", url),
        tag("uploaded_by", meta["author"]),
        tag("experimental", meta.get("experimental", "False")),
        tag("deprecated", meta.get("deprecated", "False")),
        tag("tracker", meta.get("tracker", "")),
        tag("repository", meta["repository"]),
        tag("tags", meta.get("tags", "")),
    ])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<plugins>\n'
        f"  <pyqgis_plugin name={quoteattr(meta['name'])} "
        f"version={quoteattr(meta['version'])} plugin_id={quoteattr(PLUGIN_DIR.name)}>\n"
        f"{body}  </pyqgis_plugin>\n</plugins>\n"
    )


def build(out_dir: Path, base_url: str | None = None) -> tuple[Path, Path]:
    """Build the zip and ``plugins.xml`` in ``out_dir``; return both paths."""
    out_dir = Path(out_dir).resolve()
    zip_path = build_zip(out_dir)
    xml = plugins_xml(read_metadata(), zip_path.name, base_url or out_dir.as_uri())
    xml_path = out_dir / "plugins.xml"
    tmp = xml_path.with_name("plugins.xml.tmp")
    tmp.write_text(xml, encoding="utf-8")
    os.replace(tmp, xml_path)
    return zip_path, xml_path


def main(argv: list[str] | None = None) -> int:
    """Command line of the build script."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/plugin", type=Path, help="output folder")
    parser.add_argument("--base-url", default=None,
                        help="URL where the zip will be served (default: file:// of --out)")
    args = parser.parse_args(argv)
    try:
        zip_path, xml_path = build(args.out, args.base_url)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{zip_path}\n{xml_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
