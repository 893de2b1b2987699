"""The dock panel: load an atlas GeoPackage (tab 1) and redraw the wijkindeling (tab 2).

The panel only collects choices and shows messages; the work is done by :mod:`.loader`
and :mod:`.redraw`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from qgis.core import QgsProject
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import atlas, loader, redraw, settings
from .atlas import AtlasError
from .cli import CliError
from .i18n import tr
from .layers_io import ExportError
from .validation import format_issue

ROLE = Qt.UserRole
USER_ERRORS = (AtlasError, CliError, ExportError, redraw.RedrawError)


def _tree_item(text: str, value: str) -> QTreeWidgetItem:
    item = QTreeWidgetItem([text])
    item.setData(0, ROLE, value)
    item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
    item.setCheckState(0, Qt.Unchecked)
    return item


def _list_item(text: str, value: int, checked: bool) -> QListWidgetItem:
    item = QListWidgetItem(text)
    item.setData(ROLE, value)
    item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
    item.setCheckState(Qt.Checked if checked else Qt.Unchecked)
    return item


class WijkatlasPanel(QDockWidget):
    """Dock widget of the wijkatlas plugin."""

    def __init__(self, parent=None, project: QgsProject | None = None):
        super().__init__(tr("panel_title"), parent)
        self.setObjectName("WijkatlasPanel")
        self.project = project or QgsProject.instance()
        self.draft_layer = None
        self.atlas_path = ""
        tabs = QTabWidget()
        tabs.addTab(self._atlas_tab(), tr("tab_atlas"))
        tabs.addTab(self._redraw_tab(), tr("tab_redraw"))
        self.setWidget(tabs)
        if settings.get("atlas"):
            self.atlas_file.setFilePath(settings.get("atlas"))

    # --- tab 1: load the atlas -------------------------------------------------------------
    def _atlas_tab(self) -> QWidget:
        self.atlas_file = QgsFileWidget()
        self.atlas_file.setFilter("GeoPackage (*.gpkg)")
        self.atlas_file.fileChanged.connect(self.open_atlas)
        self.version_box = QComboBox()
        self.version_box.currentIndexChanged.connect(self._fill_choices)
        self.level_box = QComboBox()
        self.year_list = QListWidget()
        self.indicator_tree = QTreeWidget()
        self.indicator_tree.setHeaderHidden(True)
        self.load_button = QPushButton(tr("button_load"))
        self.load_button.clicked.connect(self.load_selected)
        self.atlas_message = QLabel()
        self.atlas_message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("label_atlas"), self.atlas_file)
        form.addRow(tr("label_version"), self.version_box)
        form.addRow(tr("label_level"), self.level_box)
        layout = QVBoxLayout()
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("label_indicators")))
        layout.addWidget(self.indicator_tree, 3)
        layout.addWidget(QLabel(tr("label_years")))
        layout.addWidget(self.year_list, 1)
        layout.addWidget(self.load_button)
        layout.addWidget(self.atlas_message)
        widget = QWidget()
        widget.setLayout(layout)
        return widget

    def open_atlas(self, path: str) -> None:
        """Read the versions of the atlas at ``path`` into the panel."""
        self.atlas_path = path
        self.version_box.clear()
        self.indicator_tree.clear()
        self.year_list.clear()
        if not path:
            return
        try:
            versions = atlas.read_versions(path)
        except AtlasError as exc:
            self.atlas_message.setText(str(exc))
            return
        settings.put("atlas", path)
        for row in versions:
            status = tr("status_" + row["status"]) if row.get("status") else ""
            self.version_box.addItem(f"{row['name'] or row['id']} ({status})", row["id"])
        self.atlas_message.setText(tr("atlas_opened", n=len(versions)))

    def _fill_choices(self) -> None:
        self.indicator_tree.clear()
        self.year_list.clear()
        self.level_box.clear()
        version, path = self.version_box.currentData(), self.atlas_path
        if not version or not path:
            return
        try:
            groups = atlas.indicators_by_theme(atlas.read_indicators(path, version))
            years = atlas.read_years(path, version)
            levels = atlas.read_levels(path, version)
        except AtlasError as exc:
            self.atlas_message.setText(str(exc))
            return
        for row in levels:
            self.level_box.addItem(row["label"], row["id"])
        for theme, rows in groups.items():
            node = QTreeWidgetItem([theme])
            for row in rows:
                node.addChild(_tree_item(atlas.indicator_title(row), row["code"]))
            self.indicator_tree.addTopLevelItem(node)
        self.indicator_tree.expandAll()
        for year in reversed(years):  # newest first: the ticked default is visible
            self.year_list.addItem(_list_item(str(year), year, year == years[-1]))

    def checked_indicators(self) -> list[str]:
        """Return the codes of the ticked indicators."""
        codes = []
        for i in range(self.indicator_tree.topLevelItemCount()):
            theme = self.indicator_tree.topLevelItem(i)
            for j in range(theme.childCount()):
                if theme.child(j).checkState(0) == Qt.Checked:
                    codes.append(theme.child(j).data(0, ROLE))
        return codes

    def checked_years(self) -> list[int]:
        """Return the ticked years."""
        items = (self.year_list.item(i) for i in range(self.year_list.count()))
        return [int(item.data(ROLE)) for item in items if item.checkState() == Qt.Checked]

    def load_selected(self) -> list:
        """Load the ticked indicators and years of the chosen version; return the layers."""
        codes, years = self.checked_indicators(), self.checked_years()
        if not codes or not years:
            self.atlas_message.setText(tr("choose_indicator_year"))
            return []
        try:
            layers = loader.load_atlas(self.atlas_path,
                                       self.version_box.currentData(), codes, years,
                                       project=self.project,
                                       level=self.level_box.currentData() or "wijk")
        except AtlasError as exc:
            self.atlas_message.setText(str(exc))
            return []
        self.atlas_message.setText(tr("layers_loaded", n=len(layers)))
        return layers

    # --- tab 2: redraw the wijkindeling ----------------------------------------------------
    def _redraw_tab(self) -> QWidget:
        self.cli_file = QgsFileWidget()
        self.cli_file.setFilePath(settings.get("cli_path"))
        self.cli_file.fileChanged.connect(lambda p: settings.put("cli_path", p))
        self.root_dir = QgsFileWidget()
        self.root_dir.setStorageMode(QgsFileWidget.GetDirectory)
        self.root_dir.setFilePath(settings.get("root"))
        self.root_dir.fileChanged.connect(lambda p: settings.put("root", p))
        self.version_list = QListWidget()
        refresh = QPushButton(tr("button_refresh"))
        refresh.clicked.connect(self.refresh_versions)
        open_button = QPushButton(tr("button_open"))
        open_button.clicked.connect(self.open_selected_version)
        self.new_id = QLineEdit()
        self.new_id.setPlaceholderText(tr("placeholder_new_id"))
        draft_button = QPushButton(tr("button_draft"))
        draft_button.clicked.connect(self.draft_from_selected)
        validate_button = QPushButton(tr("button_validate"))
        validate_button.clicked.connect(self.validate_draft)
        publish_button = QPushButton(tr("button_publish"))
        publish_button.clicked.connect(self.publish_draft)
        self.redraw_log = QTextBrowser()
        form = QFormLayout()
        form.addRow(tr("label_cli"), self.cli_file)
        form.addRow(tr("label_root"), self.root_dir)
        row1, row2, row3 = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        row1.addWidget(refresh)
        row1.addWidget(open_button)
        row2.addWidget(self.new_id)
        row2.addWidget(draft_button)
        row3.addWidget(validate_button)
        row3.addWidget(publish_button)
        layout = QVBoxLayout()
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("label_versions")))
        layout.addWidget(self.version_list, 1)
        for row in (row1, row2, row3):
            layout.addLayout(row)
        layout.addWidget(self.redraw_log, 1)
        widget = QWidget()
        widget.setLayout(layout)
        return widget

    def _cli_root(self) -> tuple[str | None, str | None]:
        return self.cli_file.filePath() or None, self.root_dir.filePath() or None

    def _workdir(self) -> Path:
        return Path(settings.get("workdir") or Path(tempfile.gettempdir()) / "wijkatlas")

    def _run(self, step, *args):
        try:
            return step(*args)
        except USER_ERRORS as exc:
            self.redraw_log.append(f"<b>{tr('error')}</b>: {exc}")
            return None

    def refresh_versions(self) -> None:
        """List the versions of the register."""
        rows = self._run(redraw.list_versions, *self._cli_root())
        self.version_list.clear()
        for row in rows or []:
            status = tr("status_" + row.get("status", "draft"))
            if row.get("intact") is False:
                status = tr("status_changed")
                self.redraw_log.append(tr("version_changed", version=row["id"],
                                          fix=row.get("fix", "")))
            item = QListWidgetItem(f"{row['id']}  {row.get('name', '')} ({status})")
            item.setData(ROLE, row["id"])
            self.version_list.addItem(item)

    def _selected_version(self) -> str | None:
        item = self.version_list.currentItem()
        if item is None:
            self.redraw_log.append(tr("choose_version"))
            return None
        return item.data(ROLE)

    def open_selected_version(self) -> None:
        """Open the selected version (drafts editable, published read-only)."""
        version = self._selected_version()
        if version:
            result = self._run(redraw.open_version, version, self._workdir(),
                               *self._cli_root(), self.project)
            if result:
                self.draft_layer, message = result
                self.redraw_log.append(message)

    def draft_from_selected(self) -> None:
        """Draft a new version from the selected published version and open it."""
        parent, new_id = self._selected_version(), self.new_id.text().strip()
        if parent and not new_id:
            self.redraw_log.append(tr("choose_new_id"))
        elif parent:
            result = self._run(redraw.draft_version, new_id, parent, self._workdir(), None,
                               *self._cli_root(), self.project)
            if result:
                self.draft_layer, message = result
                self.redraw_log.append(message)
                self.refresh_versions()

    def validate_draft(self) -> None:
        """Validate the open draft layer and list the issues."""
        if self.draft_layer is None:
            self.redraw_log.append(tr("open_draft_first"))
            return
        report = self._run(redraw.validate_layer, self.draft_layer, self._workdir(),
                           *self._cli_root())
        if report is not None:
            self.redraw_log.append(tr("validate_summary", n_units=report["n_units"],
                                      n_errors=sum(i["severity"] == "error"
                                                   for i in report["issues"]),
                                      n_warnings=sum(i["severity"] != "error"
                                                     for i in report["issues"])))
            for issue in report["issues"]:
                self.redraw_log.append(format_issue(issue))

    def publish_draft(self) -> None:
        """Validate, import and publish the open draft layer."""
        if self.draft_layer is None:
            self.redraw_log.append(tr("open_draft_first"))
            return
        message = self._run(redraw.publish_layer, self.draft_layer, self._workdir(),
                            *self._cli_root())
        if message:
            self.redraw_log.append(message)
            self.refresh_versions()
