"""`make plugin`: the zip installs into a QGIS profile and contains everything."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

from conftest import HERE, PLUGIN_ROOT

INSTALL_CHECK = """
import sys
from qgis.core import QgsApplication
app = QgsApplication([], True, sys.argv[2]); app.initQgis()
sys.path.insert(0, sys.argv[3])
from stand_in_iface import StandInIface
import qgis.utils
qgis.utils.iface = StandInIface()
qgis.utils.plugin_paths = [sys.argv[1]]
sys.path.insert(0, sys.argv[1])  # QGIS puts the profile's python/plugins folder on sys.path
qgis.utils.updateAvailablePlugins()
assert "wijkatlas" in qgis.utils.available_plugins, qgis.utils.available_plugins
assert qgis.utils.loadPlugin("wijkatlas") and qgis.utils.startPlugin("wijkatlas")
import wijkatlas
assert wijkatlas.__file__.startswith(sys.argv[1]), wijkatlas.__file__
registry = QgsApplication.processingRegistry()
ids = sorted(a.id() for a in registry.providerById("wijkatlas").algorithms())
assert qgis.utils.unloadPlugin("wijkatlas")
assert registry.providerById("wijkatlas") is None
print("installed:", ",".join(ids))
app.exitQgis()
"""


def _build(out):
    proc = subprocess.run([sys.executable, str(PLUGIN_ROOT / "build.py"), "--out", str(out),
                           "--base-url", "https://example.org/qgis"],
                          capture_output=True, text=True, check=True)
    return proc.stdout.split()


def test_zip_contains_every_plugin_file(tmp_path):
    zip_path, xml_path = _build(tmp_path)
    names = set(zipfile.ZipFile(zip_path).namelist())
    source = PLUGIN_ROOT / "wijkatlas"
    expected = {f"wijkatlas/{p.relative_to(source).as_posix()}" for p in source.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts} | {"wijkatlas/LICENSE"}
    assert names == expected
    for required in ("metadata.txt", "icon.png", "__init__.py", "plugin.py", "panel.py",
                     "loader.py", "styling.py", "data/strings.json", "data/styles.json",
                     "processing_provider/provider.py", "processing_provider/alg_validate.py",
                     "processing_provider/alg_diff.py",
                     "processing_provider/alg_reaggregate.py"):
        assert f"wijkatlas/{required}" in names
    plugin = ET.parse(xml_path).getroot().find("pyqgis_plugin")
    assert plugin.get("plugin_id") == "wijkatlas"
    assert plugin.findtext("download_url") == f"https://example.org/qgis/{os.path.basename(zip_path)}"
    assert plugin.findtext("version") in os.path.basename(zip_path)
    assert plugin.findtext("qgis_minimum_version") == "3.22"


def test_zip_installs_and_starts_in_qgis(tmp_path):
    zip_path, _ = _build(tmp_path / "dist")
    plugins = tmp_path / "profile" / "python" / "plugins"
    plugins.mkdir(parents=True)
    zipfile.ZipFile(zip_path).extractall(plugins)  # what "Install from ZIP" does
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH="/usr/share/qgis/python/plugins")
    proc = subprocess.run([sys.executable, "-c", INSTALL_CHECK, str(plugins),
                           str(tmp_path / "profile"), str(HERE)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "installed: wijkatlas:diff,wijkatlas:reaggregate,wijkatlas:validate" in proc.stdout


def test_build_refuses_incomplete_metadata(tmp_path):
    import shutil

    sys.path.insert(0, str(PLUGIN_ROOT))
    import build

    broken = tmp_path / "wijkatlas"
    shutil.copytree(PLUGIN_ROOT / "wijkatlas", broken)
    text = (broken / "metadata.txt").read_text().replace("version=", "versie=")
    (broken / "metadata.txt").write_text(text)
    try:
        build.build_zip(tmp_path / "out", broken)
    except build.BuildError as exc:
        assert "metadata.txt" in str(exc) and "version" in str(exc)
    else:
        raise AssertionError("incomplete metadata was accepted")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
