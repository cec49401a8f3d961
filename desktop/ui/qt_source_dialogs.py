"""Dialogs of the Sources page: add/edit a source (form from the connector spec, file drop), delete, job log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.client.data_models import Connector, Source, Upload
from desktop.state.banner import Level
from desktop.state.sources import SourcesModel
from desktop.state.spec_form import UPLOAD, build_config, fields_of, is_file_connector
from desktop.state.transfer import Transfer, human_bytes
from desktop.ui.qt_dialogs import QtDialog, QtFormDialog
from desktop.ui.qt_spec_form import QtSpecForm
from desktop.ui.qt_theme import label, set_kind
from desktop.ui.qt_transfer import QtTransferBar

FILE_FILTER = "Data files (*.csv *.tsv *.txt *.xlsx *.json *.ndjson *.jsonl *.parquet);;All files (*)"


def dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The one local file being dragged, if that is what it is."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return files[0] if len(files) == 1 and files[0].is_file() else None


def pick_file(parent: QWidget, title: str = "Choose a data file") -> Path | None:
    path, _filter = QFileDialog.getOpenFileName(parent, title, str(Path.home()), FILE_FILTER)
    return Path(path) if path else None


class QtDropZone(QFrame):
    """'Drag a file here, or Choose file…', then the upload's progress and the uploaded file's name."""

    def __init__(self, on_file: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("DropZone")
        self.setStyleSheet("#DropZone { border: 1px dashed #94a3b8; border-radius: 8px; background: #f8fafc; }")
        self.text = label("Drag a file here, or", "Muted", wrap=True)
        self.choose = QPushButton("Choose file…")
        self.choose.clicked.connect(on_file)
        self.progress = QtTransferBar()
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.choose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(row)
        layout.addWidget(self.progress)


class QtSourceDialog(QtDialog):
    """Add a source (pick a connector, fill its form, drop its file) or edit one (its connector is fixed)."""

    def __init__(self, parent: QWidget | None, model: SourcesModel, source: Source | None = None) -> None:
        super().__init__(parent, "Edit source" if source else "Add a source", min_width=560)
        self.model, self.source = model, source
        self.upload: Upload | None = None
        self.transfer: Transfer | None = None
        self.form: QtSpecForm | None = None
        self.drop_zone: QtDropZone | None = None
        self.setAcceptDrops(True)
        self.connector = QComboBox()
        for connector in model.connectors:
            self.connector.addItem(f"{connector.name}", connector.type)
        self.connector.currentIndexChanged.connect(self._connector_changed)
        self.name = QLineEdit(source.name if source else "")
        self.name.setPlaceholderText("e.g. Household survey 2024")
        self.about = label("", "Muted", wrap=True)
        self.fields_box = QVBoxLayout()  # the picked connector's form, rebuilt when the connector changes
        self.ok_button = QPushButton("Save" if source else "Create source")
        set_kind(self.ok_button, "primary")
        self.ok_button.clicked.connect(self.submit)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.buttons.addStretch(1)
        self.buttons.addWidget(cancel)
        self.buttons.addWidget(self.ok_button)
        top = self.body
        top.setSpacing(10)
        top.addWidget(label(self.windowTitle(), "Section"))
        if source is None:
            top.addWidget(label("Connector", "Muted"))
            top.addWidget(self.connector)
        else:
            top.addWidget(label(f"Connector: <b>{model.type_name(source)}</b>", "Muted"))
        top.addWidget(self.about)
        top.addWidget(label("Name", "Muted"))
        top.addWidget(self.name)
        top.addLayout(self.fields_box)
        top.addStretch(1)
        if source is not None:
            self.connector.blockSignals(True)
            self.connector.setCurrentIndex(max(0, self.connector.findData(source.type)))
            self.connector.blockSignals(False)
        self._connector_changed()

    @property
    def current(self) -> Connector | None:
        return self.model.connector(self.connector.currentData() or "")

    def choose_connector(self, connector_type: str) -> None:
        self.connector.setCurrentIndex(self.connector.findData(connector_type))

    def _connector_changed(self) -> None:
        """Rebuild the form for the picked connector."""
        while self.fields_box.count():
            item = self.fields_box.takeAt(0)
            if item is not None and (widget := item.widget()):
                widget.setParent(None)  # gone at once, not only when the event loop gets to deleteLater
                widget.deleteLater()
        connector = self.current
        if connector is None:
            return
        spec = connector.spec
        self.about.setText(str(spec.get("description") or ""))
        self.about.setVisible(bool(spec.get("description")))
        self.drop_zone = None
        if is_file_connector(spec):
            self.drop_zone = QtDropZone(self.choose_file)
            self.fields_box.addWidget(label("File *", "Muted"))
            self.fields_box.addWidget(self.drop_zone)
            self._show_file()
        self.form = QtSpecForm(fields_of(spec), self.source.config if self.source else None)
        self.fields_box.addWidget(self.form)

    def _show_file(self) -> None:
        if self.drop_zone is None:
            return
        if self.upload is not None:
            text = (
                f"<b>{self.upload.filename}</b> ({human_bytes(self.upload.size)}) uploaded. Drop another to replace it."
            )
        elif self.source is not None and UPLOAD in self.source.config:
            text = "The current file stays unless you drop or choose a new one."
        else:
            text = "Drag a CSV, Excel, JSON or Parquet file here, or"
        self.drop_zone.text.setText(text)

    # --- files --------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        if path := pick_file(self):
            self.use_file(path)

    def use_file(self, path: Path) -> None:
        """Upload `path` now (progress in the drop zone); the source is created with its upload id."""
        self.upload = None
        if not self.name.text().strip():
            self.name.setText(Path(path).stem.replace("_", " ").replace("-", " ").strip().capitalize())
        self.transfer = self.model.upload(Path(path), self._uploaded, self._upload_failed)
        if self.drop_zone is not None:
            self.drop_zone.progress.follow(self.transfer)

    def _uploaded(self, upload: Upload) -> None:
        self.upload = upload
        self._show_file()

    def _upload_failed(self, err: BaseException) -> None:
        self.model.app.handle_error(err)
        self._show_file()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.drop_zone is not None and dropped_file(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if path := dropped_file(event):
            event.acceptProposedAction()
            self.use_file(path)

    def reject(self) -> None:
        if self.transfer is not None and not self.transfer.finished:
            self.transfer.cancel()  # closing the dialog stops its upload
        super().reject()

    # --- save ---------------------------------------------------------------------------------------
    def submit(self) -> None:
        connector = self.current
        if connector is None or self.form is None:
            return
        if self.transfer is not None and not self.transfer.finished:
            self.model.app.banner.show("Wait for the upload to finish.", Level.warning)
            return
        saved = self.source.config if self.source else None
        config, problems = build_config(self.form.fields, self.form.values(), saved)
        if self.upload is not None:
            config[UPLOAD] = self.upload.id
        elif saved and UPLOAD in saved:
            config[UPLOAD] = saved[UPLOAD]
        elif is_file_connector(connector.spec):
            problems.insert(0, "Pick a file to upload (or drag it onto this window).")
        if problems:
            self.model.app.banner.show(" ".join(problems), Level.error)
            return
        if self.source is None:
            self.model.create(self.name.text(), connector.type, config, then=self.accept)
        else:
            self.model.update(self.source, self.name.text(), config, then=self.accept)


class QtDeleteSourceDialog(QtFormDialog):
    def __init__(self, parent: QWidget, model: SourcesModel, source: Source) -> None:
        intro = (
            f"{source.name}'s settings and sync history are removed. The tables already loaded into "
            f"{source.schema_name} stay in your data (the Data page)."
        )
        super().__init__(parent, f"Delete {source.name}?", intro, "Delete", danger=True)
        self.model, self.source = model, source

    def submit(self) -> None:
        self.model.delete(self.source, then=self.accept)


class QtLogDialog(QtDialog):
    """The log of one sync run, read-only, in a fixed-width font."""

    def __init__(self, parent: QWidget | None, title: str, text: str) -> None:
        super().__init__(parent, title, min_width=560)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        self.text.setMinimumHeight(160)
        self.body.addWidget(label(title, "Section"))
        self.body.addWidget(self.text, 1)
        self.buttons.addStretch(1)
        self.buttons.addWidget(close)

    def sizeHint(self) -> QSize:
        return QSize(760, 460)
