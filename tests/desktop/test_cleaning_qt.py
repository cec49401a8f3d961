"""Cleaning the field test's villages and dates in the Transform page (offscreen, real server): cluster
methods with a radius, facets that count again after every change, and Parse dates with detected formats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.state.credentials import FileCredentialStore
from desktop.state.prefs import Preferences
from desktop.state.server import ServerTarget
from desktop.state.session import AppState, Screen
from desktop.ui import qt_recipe_dialogs
from desktop.ui.qt_parse_dates import QtParseDatesDialog
from desktop.ui.qt_recipe_dialogs import QtClusterDialog
from desktop.ui.qt_runner import QtRunner
from desktop.ui.qt_transform import QtTransformPage
from tests.desktop.conftest import ADMIN, PASSWORD
from tests.desktop.test_transform_qt import click, new_recipe
from tests.desktop.transform_helpers import load_csv

pytestmark = [pytest.mark.qt, pytest.mark.e2e]
WAIT = 30_000
ROWS = [
    ("Rampur", "31/12/2024"), ("Rampur", "15/01/2025"), ("Rampur", "2024-12-31"), ("Raampur", "03/04/2024"),
    ("Ramapur", "45657"), ("Kibera", "31.12.2024"), ("Kibera", "31-Dec-2024"), ("Kiberra", "unknown"),
    ("Sitapur", "20/02/2024"), ("Sitapur", " "), ("Seetapur", ""), ("Mathare", "2024-01-05"), ("Mathari", "01/03/2024"),
]  # fmt: skip
CSV = "id,village,survey_date\n" + "".join(f"{i},{v},{d}\n" for i, (v, d) in enumerate(ROWS))


@pytest.fixture
def page(qtbot: QtBot, url: str, dalgo_home: Path, tmp_path: Path) -> Iterator[QtTransformPage]:
    """The Transform page of a signed-in admin with the villages CSV synced, a recipe open on it."""
    runner = QtRunner()
    state = AppState(
        runner, FileCredentialStore(dalgo_home / "credentials.json"), Preferences(dalgo_home / "desktop.json")
    )
    state.local_ready(ServerTarget.local(url, dalgo_home))
    qtbot.waitUntil(lambda: state.screen == Screen.onboarding, timeout=WAIT)
    state.setup(ADMIN, PASSWORD, PASSWORD, "Alpha Office", False)
    qtbot.waitUntil(lambda: state.screen == Screen.main, timeout=WAIT)
    assert state.client is not None and state.org is not None
    state.client.use_org(state.org.org.slug)
    load_csv(state.client, tmp_path, CSV)
    widget = QtTransformPage(state)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    widget.activate()
    qtbot.waitUntil(lambda: bool(widget.model.tables and widget.model.operations), timeout=WAIT)
    new_recipe(qtbot, widget)
    yield widget
    runner.wait()


def facet_values(page: QtTransformPage) -> dict[str, int]:
    table = page.recipe_editor.facet.table
    return {table.item(r, 0).text(): int(table.item(r, 1).text()) for r in range(table.rowCount())}  # type: ignore[union-attr]


def open_clusters(page: QtTransformPage) -> QtClusterDialog:
    entry = next(a for a in page.recipe_editor.column_menu("village").actions() if a.text().startswith("Cluster"))
    entry.trigger()
    dialog = page.recipe_editor.dialog
    assert isinstance(dialog, QtClusterDialog)
    return dialog


def cluster_values(dialog: QtClusterDialog) -> list[str]:
    return [dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())]  # type: ignore[union-attr]


def test_cluster_methods_radius_and_facet_refresh_after_merge(qtbot: QtBot, page: QtTransformPage) -> None:
    page.recipe.load_facet("village")
    qtbot.waitUntil(lambda: facet_values(page).get("Raampur") == 1, timeout=WAIT)
    dialog = open_clusters(page)
    texts = [dialog.method.itemText(i) for i in range(dialog.method.count())]
    assert texts[0] == "Same letters in another order or spacing"
    assert {"Small typos (a letter or two different)", "Sounds alike"} <= set(texts)
    assert not dialog.radius.isVisibleTo(dialog)  # key collision has no radius
    qtbot.waitUntil(lambda: "No clusters" in dialog.summary.text(), timeout=WAIT)

    dialog.method.setCurrentIndex(dialog.method.findData("levenshtein"))
    assert dialog.radius.isVisibleTo(dialog) and (dialog.radius.minimum(), dialog.radius.value()) == (1, 1)
    qtbot.waitUntil(lambda: len(cluster_values(dialog)) == 3, timeout=WAIT)
    assert cluster_values(dialog)[0] == "Rampur (3), Raampur (1), Ramapur (1)"
    assert not any("Seetapur" in v for v in cluster_values(dialog))
    dialog.radius.setValue(2)
    qtbot.waitUntil(lambda: any("Seetapur" in v for v in cluster_values(dialog)), timeout=WAIT)

    dialog.method.setCurrentIndex(dialog.method.findData("phonetic"))
    assert (dialog.radius.minimum(), dialog.radius.maximum(), dialog.radius.value()) == (0, 2, 0)
    qtbot.waitUntil(
        lambda: len(cluster_values(dialog)) == 4 and "Seetapur" in str(cluster_values(dialog)), timeout=WAIT
    )
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: page.recipe_editor.steps.count() == 2, timeout=WAIT)
    # The open facet counts again without being reopened.
    qtbot.waitUntil(lambda: facet_values(page) == {"Rampur": 5, "Kibera": 3, "Sitapur": 3, "Mathare": 2}, timeout=WAIT)


def test_facet_counts_again_after_an_edit_made_from_the_facet(
    qtbot: QtBot, page: QtTransformPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    page.recipe.load_facet("village")
    qtbot.waitUntil(lambda: facet_values(page).get("Kiberra") == 1, timeout=WAIT)
    facet = page.recipe_editor.facet
    row = next(r for r in range(facet.table.rowCount()) if facet.table.item(r, 0).text() == "Kiberra")  # type: ignore[union-attr]
    assert facet.table.item(row, 0).toolTip() == "Kiberra: 1 rows"  # type: ignore[union-attr]
    monkeypatch.setattr(qt_recipe_dialogs, "ask_text", lambda *a, **k: ("Kibera", True))  # the Edit value dialog
    facet.edit_value(row)
    qtbot.waitUntil(lambda: page.recipe_editor.steps.count() == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: "Kiberra" not in facet_values(page), timeout=WAIT)
    assert facet_values(page)["Kibera"] == 3


def test_parse_dates_offers_detected_formats_and_keeps_unparsed_text(qtbot: QtBot, page: QtTransformPage) -> None:
    entry = next(a for a in page.recipe_editor.column_menu("survey_date").actions() if a.text() == "Parse dates…")
    entry.trigger()
    dialog = page.recipe_editor.dialog
    assert isinstance(dialog, QtParseDatesDialog)
    qtbot.waitUntil(lambda: dialog.detection is not None, timeout=WAIT)
    texts = {c.property("format"): c.text() for c in dialog.checks}
    assert texts["dd/mm/yyyy"].startswith("31/12/2024  (day/month/year)\n5 rows, e.g.")
    assert "45657 → 31 Dec 2024" in texts["excel"]
    assert set(dialog.ticked()) == {"dd/mm/yyyy", "yyyy-mm-dd", "dd.mm.yyyy", "dd-mon-yyyy", "excel"}
    assert dialog.ambiguous.isVisibleTo(dialog) and "3 April" in dialog.ambiguous.text()
    assert dialog.unread.text().startswith("1 row has text that is not a date")
    assert dialog.keep.isChecked()

    for box in dialog.checks:
        box.setChecked(False)
    click(qtbot, dialog.ok_button)
    assert dialog.isVisible() and "Tick at least one" in dialog.error.text()  # stays open, choices intact
    for box in dialog.checks:
        box.setChecked(box.property("format") in {"dd/mm/yyyy", "yyyy-mm-dd", "excel"})
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "survey_date__unparsed" in page.recipe.columns, timeout=WAIT)
    step = page.recipe.steps[-1]["config"]
    assert step["formats"] == ["dd/mm/yyyy", "yyyy-mm-dd", "excel"] and step["keep_unparsed"] is True


def test_a_slower_answer_for_the_previous_method_does_not_replace_the_chosen_one(
    qtbot: QtBot, page: QtTransformPage
) -> None:
    dialog = open_clusters(page)  # asks for fingerprint clusters (none here) ...
    dialog.method.setCurrentIndex(dialog.method.findData("phonetic"))  # ... and at once for sounds-alike ones
    qtbot.waitUntil(lambda: len(cluster_values(dialog)) == 4, timeout=WAIT)
    qtbot.wait(1000)  # both answers are in by now
    assert len(cluster_values(dialog)) == 4 and page.recipe.clusters
