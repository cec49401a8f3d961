"""Every dialog of the desktop app, built as the app builds it: the registry the size sweep walks.

A new `*Dialog` class in desktop/ui must get a factory here (test_screen_sizes checks), so it is swept too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QDialog

import desktop.ui
from desktop.client.models import Member
from desktop.ui.qt_account import (
    QtAcceptInvitationDialog,
    QtChangePasswordDialog,
    QtCreateOrgDialog,
    QtForgotPasswordDialog,
)
from desktop.ui.qt_dialogs import QtCodeDialog, QtEditValueDialog, QtSaveFirstDialog
from desktop.ui.qt_main import QtMainWindow
from desktop.ui.qt_notifications import QtNotificationsDialog
from desktop.ui.qt_parse_dates import QtParseDatesDialog
from desktop.ui.qt_pipeline_editor import QtPipelineDialog
from desktop.ui.qt_pipelines import QtDeletePipelineDialog
from desktop.ui.qt_recipe_dialogs import QtClusterDialog
from desktop.ui.qt_recipe_tests import QtRecipeTestsDialog
from desktop.ui.qt_source_dialogs import QtDeleteSourceDialog, QtLogDialog, QtSourceDialog
from desktop.ui.qt_step_dialog import QtAddStepDialog, QtStepDialog
from desktop.ui.qt_transform import QtEjectDialog, QtImportReportDialog, QtNewRecipeDialog, QtNewSqlModelDialog
from desktop.ui.qt_users import QtChangeRoleDialog, QtInviteDialog, QtRemoveMemberDialog

BASES = {"QtDialog", "QtFormDialog"}  # building blocks, only shown through the dialogs below
LONG = "Mwanaisha Abdallah Salim Wanjiru Nyambura — राजेश्वरी कुमारी शर्मा"


@dataclass
class Scene:
    """The signed-in window with a synced source, an open recipe on it, and a second member."""

    window: QtMainWindow
    member: Member
    text_column: str


Factory = Callable[[Scene], list[QDialog]]


def _steps(scene: Scene) -> list[QDialog]:
    """One step dialog per operation the server offers (parse dates and clusters have their own)."""
    editor = scene.window.shell.transform_page.recipe_editor
    dialogs: list[QDialog] = []
    for operation in scene.window.shell.transform_page.model.operations:
        if operation["op"] not in ("parse_dates", "clusters"):
            dialogs.append(QtStepDialog(scene.window, editor.model, operation, {}, None, editor.form_context()))
    return dialogs


def _recipe(scene: Scene):  # type: ignore[no-untyped-def]
    return scene.window.shell.transform_page.recipe


def _source(scene: Scene):  # type: ignore[no-untyped-def]
    return scene.window.shell.sources.selected


DIALOGS: dict[str, Factory] = {
    "QtForgotPasswordDialog": lambda s: [QtForgotPasswordDialog(s.window, s.window.shell.account, "a@example.org")],
    "QtAcceptInvitationDialog": lambda s: [QtAcceptInvitationDialog(s.window, s.window.state)],
    "QtChangePasswordDialog": lambda s: [QtChangePasswordDialog(s.window, s.window.shell.account)],
    "QtCreateOrgDialog": lambda s: [QtCreateOrgDialog(s.window, s.window.shell.account)],
    "QtCodeDialog": lambda s: [
        QtCodeDialog(s.window, "Invitation created", "Give them this code.", "TQDW-XC3H-R2QM", f"Hello {LONG}. " * 6)
    ],
    "QtSaveFirstDialog": lambda s: [
        QtSaveFirstDialog(s.window, "Save your changes first?", LONG, "Save and sync", "Sync without saving")
    ],
    "QtEditValueDialog": lambda s: [QtEditValueDialog(s.window, "Edit value", "New spelling of", LONG)],
    "QtInviteDialog": lambda s: [QtInviteDialog(s.window, s.window.shell.users)],
    "QtChangeRoleDialog": lambda s: [QtChangeRoleDialog(s.window, s.window.shell.users, s.member)],
    "QtRemoveMemberDialog": lambda s: [QtRemoveMemberDialog(s.window, s.window.shell.users, s.member)],
    "QtSourceDialog": lambda s: (
        [QtSourceDialog(s.window, s.window.shell.sources, _source(s))]
        + [_add_source(s, kind) for kind in ("csv", "kobotoolbox", "postgres")]
    ),
    "QtDeleteSourceDialog": lambda s: [QtDeleteSourceDialog(s.window, s.window.shell.sources, _source(s))],
    "QtLogDialog": lambda s: [QtLogDialog(s.window, f"Sync log — {LONG}", "a log line\n" * 80)],
    "QtNewRecipeDialog": lambda s: [QtNewRecipeDialog(s.window, s.window.shell.transform_page.model)],
    "QtNewSqlModelDialog": lambda s: [QtNewSqlModelDialog(s.window, s.window.shell.transform_page.model)],
    "QtEjectDialog": lambda s: [QtEjectDialog(s.window, s.window.shell.transform_page)],
    "QtImportReportDialog": lambda s: [
        QtImportReportDialog(s.window, {"project_name": LONG, "models": ["a"] * 40, "notes": [LONG] * 10})
    ],
    "QtClusterDialog": lambda s: [QtClusterDialog(s.window, _recipe(s), s.text_column)],
    "QtRecipeTestsDialog": lambda s: [QtRecipeTestsDialog(s.window, _recipe(s))],
    "QtParseDatesDialog": lambda s: [QtParseDatesDialog(s.window, _recipe(s), {"column": s.text_column})],
    "QtAddStepDialog": lambda s: [QtAddStepDialog(s.window, s.window.shell.transform_page.model.operations)],
    "QtStepDialog": _steps,
    "QtPipelineDialog": lambda s: [
        QtPipelineDialog(s.window, _pipelines(s)),
        QtPipelineDialog(s.window, _pipelines(s), _pipelines(s).pipelines[0]),
    ],
    "QtDeletePipelineDialog": lambda s: [QtDeletePipelineDialog(s.window, _pipelines(s), _pipelines(s).pipelines[0])],
    "QtNotificationsDialog": lambda s: [
        QtNotificationsDialog(s.window, s.window.shell.notifications, lambda _run: None, _pipelines(s))
    ],
}


def _pipelines(scene: Scene):  # type: ignore[no-untyped-def]
    """The Pipelines page's model, loaded by the page sweep with the seeded pipeline."""
    return scene.window.shell.pipelines


def _add_source(scene: Scene, connector_type: str) -> QDialog:
    dialog = QtSourceDialog(scene.window, scene.window.shell.sources)
    dialog.choose_connector(connector_type)
    return dialog


def dialog_classes() -> set[str]:
    """The names of every QDialog subclass defined in desktop/ui."""
    names = set()
    for info in pkgutil.iter_modules(desktop.ui.__path__):
        module = importlib.import_module(f"desktop.ui.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, QDialog) and cls.__module__ == module.__name__:
                names.add(name)
    return names
