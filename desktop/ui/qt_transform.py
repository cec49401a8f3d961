"""QtTransformPage: recipes and models on the left; the recipe or SQL editor, run results and lineage on the right."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.state import words
from desktop.state.recipe import RecipeModel, cannot_change
from desktop.state.session import AppState
from desktop.state.sql_model import SqlModelState
from desktop.state.transform import Item, TransformModel, node_rows, running_text
from desktop.ui.qt_dialogs import QtFormDialog, QtSaveFirstDialog
from desktop.ui.qt_fit import QtElidedLabel
from desktop.ui.qt_lineage import QtLineageView
from desktop.ui.qt_recipe import QtRecipeEditor
from desktop.ui.qt_sql_editor import QtSqlEditor
from desktop.ui.qt_theme import label, set_kind

KIND_WORDS = {"recipe": "recipe", "ejected": "turned into SQL", "sql": "SQL", "imported": "imported"}


class QtNewRecipeDialog(QtFormDialog):
    def __init__(self, parent: QWidget, model: TransformModel) -> None:
        super().__init__(parent, "New recipe", "A recipe cleans one table step by step.", "Create recipe")
        self.model = model
        self.name = self.field("Name", "e.g. Clean villages")
        self.source = QComboBox()
        for schema, table in model.tables:
            self.source.addItem(f"{schema}.{table}", f"{schema}.{table}")
        for m in model.models:
            self.source.addItem(f"{words.CLEANED_TABLE} {m['name']}", f"model:{m['name']}")
        self.form.addRow("Start from", self.source)

    def submit(self) -> None:
        self.model.new_recipe(self.name.text(), self.source.currentData() or "", then=self.accept)


class QtNewSqlModelDialog(QtFormDialog):
    def __init__(self, parent: QWidget, model: TransformModel) -> None:
        intro = "Advanced: a cleaned table written by hand in SQL, beside the recipes."
        super().__init__(parent, "New SQL table", intro, "Create")
        self.model = model
        self.name = self.field("Name", "e.g. city_counts")
        self.sql = QPlainTextEdit()
        schema, table = model.tables[0] if model.tables else ("raw_schema", "table")
        self.sql.setPlainText(f"select *\nfrom {{{{ source('{schema}', '{table}') }}}}\n")
        self.form.addRow("SQL", self.sql)

    def submit(self) -> None:
        self.model.new_sql_model(self.name.text(), self.sql.toPlainText(), then=self.accept)


class QtEjectDialog(QtFormDialog):
    def __init__(self, parent: QWidget, page: QtTransformPage) -> None:
        intro = (
            "Advanced: the recipe becomes SQL that you edit by hand. The recipe stays, read-only, "
            "and never overwrites the SQL."
        )
        super().__init__(parent, "Turn the recipe into SQL?", intro, "Turn into SQL", danger=True)
        self.page = page

    def submit(self) -> None:
        self.page.recipe.eject(self.page.ejected)
        self.accept()


class QtImportReportDialog(QtFormDialog):
    def __init__(self, parent: QWidget, report: dict) -> None:
        super().__init__(parent, f"Imported {report.get('project_name')}", "", "Close")
        self.cancel_button.hide()
        models = ", ".join(report.get("models", [])) or "(none)"
        self.form.addRow("Models", label(models, "", wrap=True))
        notes = "\n".join(report.get("notes", [])) or "(none)"
        self.form.addRow("Notes", label(notes, "Muted", wrap=True))


class QtTransformPage(QWidget):
    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.state = state
        self.model = TransformModel(state)
        self.recipe = RecipeModel(state)
        self.sql = SqlModelState(state)
        self.dialog: QWidget | None = None
        self._run_after_save = False
        self.recipe_editor = QtRecipeEditor(self.recipe, self.model)
        self.sql_editor = QtSqlEditor(self.sql)
        self.empty = label("Choose a recipe or cleaned table on the left, or create a new recipe.", "Muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.editors = QStackedWidget()
        for w in (self.empty, self.recipe_editor, self.sql_editor):
            self.editors.addWidget(w)
        self.lineage = QtLineageView(self.model)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editors, "Editor")
        self.tabs.addTab(self.lineage, "Lineage")
        self.tabs.currentChanged.connect(self._tab_changed)
        right = QSplitter(Qt.Orientation.Vertical)  # the run panel takes room only when you give it room
        right.addWidget(self.tabs)
        right.addWidget(self._job_panel())
        right.setStretchFactor(0, 1)
        right.setSizes([600, 110])
        self.split = QSplitter()  # the list can be narrowed on a small screen
        self.split.addWidget(self._left())
        self.split.addWidget(right)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([170, 800])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.split)
        self.model.changed.connect(self.refresh)
        self.model.job_changed.connect(self.refresh_job)
        self.model.created.connect(self.open_item)
        self.recipe.saved_changed.connect(self._saved)
        self.recipe_editor.run_requested.connect(self.save_and_run)
        self.recipe_editor.eject_button.clicked.connect(self.confirm_eject)
        self.sql.saved.connect(lambda _m: self.model.load())
        self.refresh()
        self.refresh_job()

    def _left(self) -> QWidget:
        self.list = QListWidget()
        self.list.itemClicked.connect(lambda it: self.open_item(it.data(Qt.ItemDataRole.UserRole)))
        self.new_recipe_button = QPushButton("New recipe…")
        set_kind(self.new_recipe_button, "primary")
        self.new_sql_button = QPushButton("New SQL table…")
        self.new_sql_button.setToolTip("Advanced: a dbt model written by hand in SQL")
        self.import_button = QPushButton("Import a project…")
        self.import_button.setToolTip("Advanced: bring in an existing dbt project's models")
        self.run_all_button, self.test_all_button = QPushButton("Run all"), QPushButton("Test all")
        self.new_recipe_button.clicked.connect(lambda: self._open(QtNewRecipeDialog(self.window(), self.model)))
        self.new_sql_button.clicked.connect(lambda: self._open(QtNewSqlModelDialog(self.window(), self.model)))
        self.import_button.clicked.connect(self.choose_import)
        self.run_all_button.clicked.connect(lambda: self.model.run(None))
        self.test_all_button.clicked.connect(lambda: self.model.test(None))
        panel = QWidget()
        panel.setMinimumWidth(120)
        panel.setMaximumWidth(320)
        self.list.setWordWrap(True)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label("Recipes and cleaned tables", "Section"))
        layout.addWidget(self.list, 1)
        for b in (self.new_recipe_button, self.new_sql_button, self.import_button):
            layout.addWidget(b)
        runs = QHBoxLayout()
        runs.addWidget(self.run_all_button)
        runs.addWidget(self.test_all_button)
        layout.addLayout(runs)
        for words_ in panel.findChildren(QLabel):  # a narrow panel wraps its heading rather than cutting it
            words_.setWordWrap(True)
        return panel

    def _job_panel(self) -> QWidget:
        self.job_title = QtElidedLabel("", "Section")
        self.job_table = QTableWidget(0, 5)
        self.job_table.setHorizontalHeaderLabels(["Table", "Status", "Rows", "Time", "Message"])
        self.job_table.verticalHeader().hide()
        self.job_table.horizontalHeader().setStretchLastSection(True)
        self.job_table.setMinimumHeight(60)
        self.job_box = QWidget()
        layout = QVBoxLayout(self.job_box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.job_title)
        layout.addWidget(self.job_table)
        return self.job_box

    # --- rendering --------------------------------------------------------------------------------
    def activate(self) -> None:
        """Called when the section is shown."""
        self.model.load()

    def refresh(self) -> None:
        self.list.clear()
        for item in self.model.items:
            entry = QListWidgetItem(f"{item.name}\n{KIND_WORDS.get(item.kind, item.kind)} · {item.status}")
            entry.setData(Qt.ItemDataRole.UserRole, item)
            self.list.addItem(entry)
        tip = "" if self.model.can_edit else cannot_change(self.state.role)
        for b in (self.new_recipe_button, self.new_sql_button, self.import_button):
            b.setEnabled(self.model.can_edit)
            b.setToolTip(tip)
        for b in (self.run_all_button, self.test_all_button):
            b.setEnabled(self.model.can_run and not self.model.running)
            b.setToolTip(tip)
        self.recipe_editor.refresh()

    def refresh_job(self) -> None:
        job = self.model.job
        self.job_box.setVisible(job is not None)
        if job is None:
            return
        words = {"queued": "waiting", "running": "running…", "succeeded": "succeeded", "failed": "failed"}
        took = f" in {job.elapsed_s:.1f} s" if job.elapsed_s and not job.active else ""
        doing = f" — {running_text(job)}" if job.active and running_text(job) else ""
        self.job_title.setText(f"{self.model.job_label}: {words.get(job.status, job.status)}{took}{doing}")
        rows = node_rows(job)
        self.job_table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                self.job_table.setItem(r, c, QTableWidgetItem(text))
        self.job_table.resizeColumnsToContents()
        for b in (self.run_all_button, self.test_all_button):
            b.setEnabled(self.model.can_run and not job.active)

    # --- actions ----------------------------------------------------------------------------------
    def _open(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

    @property
    def unsaved(self) -> bool:
        """SQL typed in the editor and not saved."""
        return self.sql_editor.unsaved

    def ask_save_first(self, action: str, then: Callable[[], None]) -> QtSaveFirstDialog:
        """Save your SQL first? [Cancel] [<action> without saving] [Save and <action>]; `then` after either."""
        name = self.sql.model["name"] if self.sql.model else "this model"
        dialog = QtSaveFirstDialog(self.window(), "Save your SQL first?", f"You changed the SQL of {name} and have "
                                   "not saved it. Save it first?", f"Save and {action}",
                                   f"{action.capitalize()} without saving")  # fmt: skip

        def answered() -> None:
            if dialog.choice == "save":
                self.sql.save(self.sql_editor.text.toPlainText(), then=then)
            else:
                self.sql_editor.discard()
                then()

        dialog.accepted.connect(answered)
        self._open(dialog)
        return dialog

    def open_item(self, item: Item) -> None:
        """A recipe opens in the recipe editor, a model (or an ejected recipe's model) in the SQL editor."""
        if self.unsaved and item.model != (self.sql.model or {}).get("name"):
            self.ask_save_first("open it", lambda: self.open_item(item))
            return
        if item.recipe_id and item.kind == "recipe":
            self.recipe.open(item.recipe_id)
            self.editors.setCurrentWidget(self.recipe_editor)
        elif item.model:
            self.sql.open(item.model)
            self.editors.setCurrentWidget(self.sql_editor)
        self.tabs.setCurrentWidget(self.editors)
        self.lineage.node = item.model

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.lineage:
            self.lineage.show_node(self.lineage.node)

    def save_and_run(self) -> None:
        self._run_after_save = True
        self.recipe.save()

    def _saved(self, saved: dict) -> None:
        self.model.load()
        if self._run_after_save:
            self._run_after_save = False
            self.model.run([saved["name"]])

    def confirm_eject(self) -> None:
        self._open(QtEjectDialog(self.window(), self))

    def ejected(self, saved: dict) -> None:
        self.sql.open(saved["name"])
        self.editors.setCurrentWidget(self.sql_editor)

    def choose_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the project folder to import")
        if folder:
            self.model.import_project(folder, lambda r: self._open(QtImportReportDialog(self.window(), r)))
