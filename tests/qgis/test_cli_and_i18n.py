"""The subprocess plumbing (not installed / failing paths) and the Dutch/English strings."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from conftest import PLUGIN_ROOT
from wijkatlas import cli, i18n


def test_find_cli_prefers_explicit_then_env(tmp_path, monkeypatch, failing_cli):
    monkeypatch.setenv("WIJKATLAS_CLI", failing_cli)
    assert cli.find_cli() == failing_cli
    other = tmp_path / "bin" / "wijkatlas"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\nexit 0\n")
    other.chmod(0o755)
    assert cli.find_cli(str(other)) == str(other)


def test_not_installed_message_says_how_to_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("WIJKATLAS_CLI", raising=False)
    with pytest.raises(cli.CliError) as info:
        cli.run_cli(["versions", "list"])
    assert "wijkatlas" in str(info.value) and "WIJKATLAS_CLI" in str(info.value)


def test_failing_cli_reports_exit_code_and_stderr(failing_cli):
    with pytest.raises(cli.CliError) as info:
        cli.run_cli(["validate", "x.gpkg", "--json"], cli=failing_cli, root="/r")
    message = str(info.value)
    assert "--root /r validate x.gpkg --json" in message
    assert "(afsluitcode 2)" in message and "no CRS" in message


def test_every_string_has_dutch_and_english_with_the_same_placeholders():
    fields = string.Formatter()
    for key, texts in i18n.strings().items():
        assert set(texts) == set(i18n.LANGUAGES), key
        names = [{f for _, f, _, _ in fields.parse(texts[lang]) if f} for lang in i18n.LANGUAGES]
        assert all(texts.values()) and names[0] == names[1], key


def test_every_key_used_in_the_code_exists():
    used = set()
    for path in Path(PLUGIN_ROOT, "wijkatlas").rglob("*.py"):
        used |= set(re.findall(r"\btr\(\s*[\"']([a-z_]+)[\"']\s*[,)]", path.read_text()))
    assert used and not used - set(i18n.strings())
    for prefix in ("status_", "severity_"):  # keys built as prefix + value
        assert any(k.startswith(prefix) for k in i18n.strings())


def test_language_follows_setting(monkeypatch):
    monkeypatch.setenv("WIJKATLAS_LANG", "en")
    assert i18n.tr("button_load") == "Load layers"
    monkeypatch.setenv("WIJKATLAS_LANG", "nl")
    assert i18n.tr("button_load") == "Lagen laden"
    monkeypatch.delenv("WIJKATLAS_LANG")
    from qgis.core import QgsSettings

    QgsSettings().setValue("locale/userLocale", "nl_NL")
    assert i18n.language() == "nl"
    QgsSettings().setValue("locale/userLocale", "en_GB")
    assert i18n.language() == "en"
