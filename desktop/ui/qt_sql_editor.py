"""QtSqlEditor: a dbt model's SQL with highlighting (keywords, strings, comments, Jinja), saved to the project."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.state.sql_model import SqlModelState
from desktop.ui.qt_theme import label, set_kind

KEYWORDS = [
    "select",
    "from",
    "where",
    "group",
    "by",
    "order",
    "having",
    "join",
    "left",
    "right",
    "full",
    "inner",
    "outer",
    "cross",
    "on",
    "as",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "case",
    "when",
    "then",
    "else",
    "end",
    "distinct",
    "union",
    "all",
    "with",
    "limit",
    "offset",
    "cast",
    "coalesce",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "like",
    "between",
    "exists",
    "true",
    "false",
    "asc",
    "desc",
    "over",
    "partition",
    "window",
    "qualify",
    "using",
]


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class QtSqlHighlighter(QSyntaxHighlighter):
    """SQL keywords, numbers, 'strings', -- and /* */ comments, and Jinja {{ }} / {% %} blocks."""

    RULES = [
        (re.compile(r"\b(" + "|".join(KEYWORDS) + r")\b", re.IGNORECASE), _format("#1d4ed8", bold=True)),
        (re.compile(r"\b\d+(\.\d+)?\b"), _format("#b45309")),
        (re.compile(r"'(?:[^'\\]|\\.|'')*'"), _format("#15803d")),
        (re.compile(r"\{\{.*?\}\}|\{%.*?%\}"), _format("#9333ea", bold=True)),
        (re.compile(r"--[^\n]*"), _format("#64748b", italic=True)),
    ]
    COMMENT = _format("#64748b", italic=True)

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self.RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
        self._block_comments(text)

    def _block_comments(self, text: str) -> None:
        """/* … */ may span lines: block state 1 means 'inside a comment'."""
        self.setCurrentBlockState(0)
        start = 0 if self.previousBlockState() == 1 else text.find("/*")
        while start >= 0:
            end = text.find("*/", start)
            if end < 0:
                self.setCurrentBlockState(1)
                self.setFormat(start, len(text) - start, self.COMMENT)
                return
            self.setFormat(start, end + 2 - start, self.COMMENT)
            start = text.find("/*", end + 2)


class QtSqlEditor(QWidget):
    """Shows the model named in `state`; read-only (with a note) for recipe models or roles that cannot write."""

    unsaved_changed = Signal(bool)

    def __init__(self, state: SqlModelState) -> None:
        super().__init__()
        self.state = state
        self.title = label("", "Section")
        self.note = label("", "Muted", wrap=True)
        self.text = QPlainTextEdit()
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text.setFont(font)
        self.text.setTabStopDistance(4 * self.text.fontMetrics().horizontalAdvance(" "))
        self.highlighter = QtSqlHighlighter(self.text.document())
        self.save_button = QPushButton("Save SQL")
        set_kind(self.save_button, "primary")
        self.save_button.clicked.connect(lambda: state.save(self.text.toPlainText()))
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        self._marked = False
        self.text.textChanged.connect(self._mark)
        state.changed.connect(self.refresh)
        self.refresh()

    @property
    def unsaved(self) -> bool:
        """Typed SQL that is not saved yet."""
        model = self.state.model
        return model is not None and self.state.editable and self.text.toPlainText() != model["sql"]

    def discard(self) -> None:
        """Back to the saved SQL."""
        if self.state.model is not None:
            self.text.setPlainText(self.state.model["sql"])

    def _mark(self) -> None:
        unsaved = self.unsaved
        if unsaved != self._marked:
            self._marked = unsaved
            self.save_button.setText("Save SQL ●" if unsaved else "Save SQL")
            self.save_button.setToolTip("Unsaved changes" if unsaved else self.state.read_only_note())
            self.unsaved_changed.emit(unsaved)

    def refresh(self) -> None:
        model = self.state.model
        self.title.setText(f"SQL model {model['name']}" if model else "")
        if model is not None and self.text.toPlainText() != model["sql"]:
            self.text.setPlainText(model["sql"])
        note = self.state.read_only_note()
        self.note.setText(
            note or f"models/{model['folder']}/{model['name']}.sql in the org's dbt project" if model else ""
        )
        self.text.setReadOnly(not self.state.editable)
        self.save_button.setEnabled(self.state.editable)
        self.save_button.setToolTip(note)
        self._mark()
