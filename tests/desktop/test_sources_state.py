"""The Sources view model driven headless (work runs inline) against the real server, a CSV and the Kobo fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.client import DalgoClient
from desktop.client.data_models import Upload
from desktop.state.banner import Level
from desktop.state.session import AppState
from desktop.state.source_syncs import details_text, summary_text
from desktop.state.sources import SourcesModel, stream_choices
from desktop.state.spec_form import MASK
from desktop.state.transfer import Transfer
from tests.desktop.conftest import ADMIN, invite_and_join
from tests.desktop.sources_helpers import sign_in, wait_job, write_csv
from tests.fakes.kobo import TOKEN, KoboFake

pytest_plugins = ["tests.desktop.sources_fixtures"]  # the window and kobo fixtures
pytestmark = pytest.mark.e2e


@pytest.fixture
def model(admin: DalgoClient, headless: AppState, url: str, dalgo_home: Path) -> SourcesModel:
    sources = SourcesModel(sign_in(headless, url, dalgo_home, ADMIN))
    sources.syncs.poll_interval = 0.05
    sources.load()
    return sources


def notice(model: SourcesModel) -> str:
    assert model.app.banner.notice is not None
    return model.app.banner.notice.text


def upload(model: SourcesModel, path: Path) -> Upload:
    uploaded: list[Upload] = []
    transfer = model.upload(path, uploaded.append, model.app.handle_error)
    assert transfer.finished and transfer.snapshot() == (path.stat().st_size, path.stat().st_size)
    return uploaded[0]


def test_csv_source_from_upload_to_sync_history(model: SourcesModel, tmp_path: Path) -> None:
    assert model.loaded and model.sources == [] and model.can_write and model.connectors
    csv = write_csv(tmp_path / "clinic_visits.csv", 250)
    pressed_cancel = Transfer("Uploading")
    pressed_cancel.cancel()
    model.upload(csv, lambda _u: pytest.fail("a cancelled upload finished"), model.app.handle_error, pressed_cancel)
    assert notice(model) == "The upload of clinic_visits.csv was cancelled."
    model.create("Clinic visits", "csv", {"upload_id": upload(model, csv).id})
    source = model.selected
    assert source is not None and source.name == "Clinic visits"
    assert "Found 1 table" in notice(model)  # discovered right after creating
    (choice,) = stream_choices(source)
    assert choice.stream.name == "clinic_visits" and len(choice.stream.columns) == 4
    assert choice.stream.primary_key_candidates == ["id"] and "incremental_dedup" in choice.stream.supported_sync_modes
    choice.sync_mode, choice.cursor_field, choice.primary_key = "incremental_dedup", "id", ["id"]
    model.save_streams(source, [choice])
    assert model.selected.streams[0].sync_mode == "incremental_dedup"  # type: ignore[union-attr, index]

    model.sync(model.selected)  # type: ignore[arg-type]
    job = model.syncs.current[source.id]
    assert job.status == "succeeded" and notice(model).startswith("Sync finished: 250 rows")
    assert [j.id for j in model.syncs.history] == [job.id]
    assert "clinic_visits: 250 rows (incremental dedup)" in details_text(job)
    assert model.selected.last_sync is not None and model.selected.last_sync.id == job.id  # type: ignore[union-attr]
    model.syncs.load_log(job)


def test_new_file_version_reports_the_added_column(model: SourcesModel, tmp_path: Path) -> None:
    model.create("Clinic visits", "csv", {"upload_id": upload(model, write_csv(tmp_path / "v1.csv", 20)).id})
    source = model.selected
    assert source is not None
    model.sync(source)
    model.upload_new_version(source, write_csv(tmp_path / "v2.csv", 30, extra_column=True))
    assert "now reads v2.csv" in notice(model)
    model.sync(model.selected)  # type: ignore[arg-type]
    job = model.syncs.current[source.id]
    assert job.status == "succeeded", job.error
    assert summary_text(job) == "30 rows, 1 column change"
    assert "phone" in details_text(job) and "1 column change" in notice(model)
    assert len(model.syncs.history) == 2


def test_wrong_kobo_token_is_explained_and_fixed_by_editing(
    model: SourcesModel,
    kobo: tuple[KoboFake, str],
) -> None:
    _fake, kobo_url = kobo
    model.create("Kobo households", "kobotoolbox", {"server_url": kobo_url, "api_token": "not-the-token"})
    source = model.selected
    assert source is not None and source.config["api_token"] == MASK
    assert model.app.banner.notice.level == Level.error  # type: ignore[union-attr]
    assert "KoboToolbox token rejected → edit the source and paste a new token" in notice(model)
    model.check(source)
    assert notice(model).startswith("KoboToolbox token rejected → edit the source")
    model.update(source, "Kobo households", {"server_url": kobo_url, "api_token": TOKEN})
    model.update(model.selected, "Kobo HH", {"server_url": kobo_url, "api_token": MASK})  # type: ignore[arg-type]
    model.check(model.selected)  # type: ignore[arg-type]
    assert model.app.banner.notice.level == Level.success and "connection works" in notice(model)  # type: ignore[union-attr]
    model.discover(model.selected)  # type: ignore[arg-type]
    assert "household_survey" in [c.stream.name for c in stream_choices(model.selected)]  # type: ignore[arg-type]


def test_a_second_sync_is_refused_naming_who_runs_it_and_its_progress_shows(
    model: SourcesModel,
    admin: DalgoClient,
    kobo: tuple[KoboFake, str],
) -> None:
    fake, kobo_url = kobo
    model.create("Kobo", "kobotoolbox", {"server_url": kobo_url, "api_token": TOKEN})
    source = model.selected
    assert source is not None
    fake.fail_next(503, times=2, retry_after=1)  # keeps the first sync busy for a couple of seconds
    first = admin.sync_source(source.id).job_id
    notices: list[str] = []
    model.app.banner.changed.connect(lambda n: n and notices.append(n.text))
    model.sync(source)
    assert "already running (started by root@example.org" in notices[0], notices
    assert notices[-1].startswith("Sync finished: 43 rows")  # 40 + 3 in the second form
    seen = model.syncs.current[source.id]
    assert seen.id == first and seen.status == "succeeded"  # followed to the end, inline
    assert [j.id for j in model.syncs.history] == [first]
    assert wait_job(admin, first).status == "succeeded"


def test_sorting_the_list_and_roles(
    model: SourcesModel, admin: DalgoClient, tmp_path: Path, headless: AppState, url: str, dalgo_home: Path
) -> None:
    for name, rows in (("Beta", 5), ("alpha", 12)):
        upload_ = admin.upload_file(write_csv(tmp_path / f"{name}.csv", rows))
        source = admin.create_source(name, "csv", {"upload_id": upload_.id})
        admin.discover_source(source.id)
        wait_job(admin, admin.sync_source(source.id).job_id)
    model.load()
    assert [s.name for s in model.rows()] == ["alpha", "Beta"]
    model.sort("rows")
    assert [s.name for s in model.rows()] == ["alpha", "Beta"] and model.sort_desc  # most rows first
    model.sort("rows")
    assert [s.name for s in model.rows()] == ["Beta", "alpha"]

    invite_and_join(admin, "analyst@example.org", "analyst")
    analyst = SourcesModel(sign_in(_fresh(dalgo_home), url, dalgo_home, "analyst@example.org"))
    analyst.load()
    assert analyst.can_read and not analyst.can_write and not analyst.can_sync and len(analyst.sources) == 2


def test_a_member_gets_a_page_state_not_an_error(
    admin: DalgoClient, url: str, dalgo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invite_and_join(admin, "member@example.org", "member")
    member = SourcesModel(sign_in(_fresh(dalgo_home), url, dalgo_home, "member@example.org"))
    calls = member.app.runner.calls  # type: ignore[attr-defined]
    member.load()
    assert not member.can_read and member.app.runner.calls == calls  # type: ignore[attr-defined]
    monkeypatch.setattr("desktop.state.sources.access.may", lambda _role, _perm: True)  # as if the UI misjudged
    member.load()
    assert member.forbidden and member.app.banner.notice is None  # the server's 403 becomes the page state
    monkeypatch.undo()
    assert not member.can_read


def _fresh(home: Path) -> AppState:
    from desktop.state.credentials import FileCredentialStore
    from desktop.state.prefs import Preferences
    from desktop.state.runner import InlineRunner

    return AppState(InlineRunner(), FileCredentialStore(home / "other.json"), Preferences(home / "other-prefs.json"))
