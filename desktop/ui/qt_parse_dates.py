"""Parse dates: the formats found in the column as check boxes with examples, and unparsed text kept."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QVBoxLayout, QWidget

from desktop.state import date_formats
from desktop.state.recipe import RecipeModel
from desktop.ui.qt_dialogs import QtFormDialog
from desktop.ui.qt_step_form import error_label
from desktop.ui.qt_theme import label

Json = dict[str, Any]


class QtParseDatesDialog(QtFormDialog):
    """Add or edit a Parse dates step: tick the detected formats; what is not a date stays visible."""

    def __init__(self, parent: QWidget, model: RecipeModel, config: Json, step_id: str | None = None) -> None:
        intro = "Tick the ways dates are written in this column. The counts and examples come from your data."
        super().__init__(parent, "Parse dates", intro, "Save step" if step_id else "Add step")
        self.model, self.step_id = model, step_id
        self.saved_formats = list(config.get("formats") or []) if step_id else []
        self.detection: Json | None = None
        self.column = QComboBox()
        self.column.addItems(model.columns)
        self.column.setCurrentText(str(config.get("column") or ""))
        self.column.currentTextChanged.connect(lambda _t: self.detect())
        self.form.addRow("Column", self.column)
        self.boxes_area = QWidget()
        self.boxes = QVBoxLayout(self.boxes_area)
        self.boxes.setContentsMargins(0, 0, 0, 0)
        self.checks: list[QCheckBox] = []
        self.form.addRow("Formats", self.boxes_area)
        self.ambiguous = label("", "Muted", wrap=True)
        self.form.addRow("", self.ambiguous)
        self.other = QLineEdit(date_formats.other_formats(list(config.get("formats") or [])))
        self.other.setPlaceholderText("optional, e.g. yyyy.mm.dd or dd/mm/yy")
        self.form.addRow("Other format", self.other)
        self.unread = label("", "Muted", wrap=True)
        self.form.addRow("", self.unread)
        self.keep = QCheckBox("Keep the original text when a value is not a date")
        self.keep.setChecked(bool(config.get("keep_unparsed", True)))
        self.keep.setToolTip("It goes into a column named like the dates column with __unparsed at the end")
        self.form.addRow("", self.keep)
        self.with_time = QCheckBox("The values also have a time of day")
        self.with_time.setChecked(config.get("output") == "timestamp")
        self.form.addRow("", self.with_time)
        self.output = QLineEdit(str(config.get("output_column") or ""))
        self.output.setPlaceholderText("leave empty to replace the column")
        self.form.addRow("New column name", self.output)
        self.error = error_label()
        self.form.addRow("", self.error)
        self.show_choices()
        self.detect()

    def detect(self) -> None:
        column = self.column.currentText()
        self.detection = None
        self.show_choices()
        if column:
            self.model.load_date_formats(column, self._detected)

    def _detected(self, detection: Json) -> None:
        if detection.get("column") == self.column.currentText():
            self.detection = detection
            self.show_choices()

    def show_choices(self) -> None:
        for old in self.checks:
            old.deleteLater()
        self.checks = []
        for choice in date_formats.choices(self.detection, self.saved_formats):
            box = QCheckBox(choice.text)
            box.setChecked(choice.checked)
            box.setToolTip(choice.tip)
            box.setProperty("format", choice.format)
            self.boxes.addWidget(box)
            self.checks.append(box)
        self.ambiguous.setText((self.detection or {}).get("ambiguous", ""))
        self.ambiguous.setVisible(bool(self.ambiguous.text()))
        self.unread.setText(date_formats.unread_text(self.detection))

    def ticked(self) -> list[str]:
        return [str(b.property("format")) for b in self.checks if b.isChecked()]

    def values(self) -> Json:
        """The step config (ValueError says what is missing)."""
        return date_formats.parse_config(
            self.column.currentText(),
            self.ticked(),
            self.other.text(),
            self.keep.isChecked(),
            self.with_time.isChecked(),
            self.output.text(),
        )

    def submit(self) -> None:
        try:
            config = self.values()
        except ValueError as err:  # the dialog stays open with what the user chose
            self.error.setText(str(err))
            self.error.show()
            return
        if self.step_id:
            self.model.update_step(self.step_id, config)
        else:
            self.model.add_step("parse_dates", config)
        self.accept()
