"""Qt-free pieces without a server: forms from connector specs, filter parsing, words for jobs, transfers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from desktop.client.data_models import Job
from desktop.state.grid import FilterSpec, parse_filter
from desktop.state.source_syncs import details_text, elapsed_text, error_text, progress_text, summary_text
from desktop.state.sources import connector_for_file
from desktop.state.spec_form import MASK, build_config, fields_of
from desktop.state.transfer import Transfer, human_bytes
from pipelines.connectors import get_connector


def _by_key(connector_type: str) -> dict[str, object]:
    return {f.key: f for f in fields_of(get_connector(connector_type).spec())}


def test_kobo_form_marks_required_fields_masks_the_token_and_keeps_help() -> None:
    fields = _by_key("kobotoolbox")
    token, server = fields["api_token"], fields["server_url"]
    assert token.kind == "secret" and token.required and "API key" in token.description  # type: ignore[attr-defined]
    assert server.kind == "text" and server.default == "https://kf.kobotoolbox.org"  # type: ignore[attr-defined]


def test_csv_form_has_an_upload_choices_numbers_and_no_local_path() -> None:
    fields = _by_key("csv")
    assert "path" not in fields
    assert fields["upload_id"].kind == "upload" and fields["upload_id"].required  # type: ignore[attr-defined]
    assert fields["header"].kind == "choice" and fields["header"].options == ["auto", "yes", "no"]  # type: ignore[attr-defined]
    assert fields["skip_rows"].kind == "integer" and fields["skip_rows"].minimum == 0  # type: ignore[attr-defined]
    assert fields["delimiter"].kind == "text" and "\\t" in fields["delimiter"].options  # type: ignore[attr-defined]


def test_other_connectors_get_checkboxes_and_json_editors() -> None:
    commcare, rest = _by_key("commcare"), _by_key("rest_api")
    assert commcare["include_forms"].kind == "boolean" and commcare["page_size"].maximum == 1000  # type: ignore[attr-defined]
    assert rest["streams"].kind == "json" and rest["auth"].kind == "json"  # type: ignore[attr-defined]


def test_building_a_config_keeps_saved_secrets_and_explains_what_is_missing() -> None:
    fields = fields_of(get_connector("kobotoolbox").spec())
    config, problems = build_config(fields, {"server_url": " https://kf.example.org ", "api_token": ""})
    assert problems == ["Fill in the API token."] and config == {"server_url": "https://kf.example.org"}
    saved = {"server_url": "https://kf.example.org", "api_token": MASK}
    config, problems = build_config(fields, {"server_url": "https://kf.example.org", "api_token": ""}, saved)
    assert problems == [] and config["api_token"] == MASK  # untouched: the server keeps the stored token
    config, _ = build_config(fields, {"server_url": "https://kf.example.org", "api_token": "new"}, saved)
    assert config["api_token"] == "new"


def test_json_fields_are_parsed_or_named_in_the_problem() -> None:
    fields = fields_of(get_connector("postgres").spec())
    values = {"host": "db", "database": "d", "user": "u", "schemas": '["public", "m_and_e"]', "queries": "[{bad"}
    config, problems = build_config(fields, values)
    assert config["schemas"] == ["public", "m_and_e"]
    assert problems == [
        "Custom query streams: not valid JSON (line 1: Expecting property name enclosed in double quotes)."
    ]


def test_filters_are_parsed_from_what_was_typed() -> None:
    assert parse_filter("age", "ge", " 18 ") == FilterSpec("age", "ge", "18")
    assert parse_filter("district", "in", "north, east,") == FilterSpec("district", "in", ["north", "east"])
    assert parse_filter("age", "between", "10 and 20") == FilterSpec("age", "between", ["10", "20"])
    assert parse_filter("age", "between", "10") == "Between needs two values: low, high (e.g. 10, 20)."
    assert parse_filter("age", "gt", "") == "Type a value to compare age with."
    assert parse_filter("phone", "is_null", "ignored") == FilterSpec("phone", "is_null")
    assert FilterSpec("district", "in", ["north", "east"]).label() == "district is one of north, east"
    assert FilterSpec("age", "ge", "18").label() == "age ≥ 18"


def _job(**fields: object) -> Job:
    base: dict[str, object] = {"id": "j1", "status": "succeeded", "created_at": datetime(2024, 1, 5, 8, tzinfo=UTC)}
    return Job.model_validate(base | fields)


def test_jobs_read_as_plain_language() -> None:
    failed = _job(
        status="failed", error="KoboToolbox token rejected", error_hint="edit the source and paste a new token"
    )
    assert error_text(failed) == "KoboToolbox token rejected → edit the source and paste a new token"
    assert summary_text(failed) == error_text(failed)
    assert "What to do: edit the source and paste a new token" in details_text(failed)
    running = _job(status="running", elapsed_s=12.4, progress={"stream": "survey", "table": "survey__members",
                                                                "rows": 1200, "bytes": 3_400_000})  # fmt: skip
    assert progress_text(running) == "Table survey → survey__members · 1,200 rows · 3.4 MB · 12 s"
    done = _job(result={"rows": 7, "streams": {"survey": {"rows": 7, "sync_mode": "full_refresh",
                "rows_by_table": {"survey": 7, "survey__members": 19}}},
                "schema_changes": [{"message": "New column 'phone' (VARCHAR) in survey"}], "warnings": ["2 ragged rows"]})  # fmt: skip
    text = details_text(done)
    assert "survey: 7 rows (full refresh)" in text and "survey__members: 19 rows" in text
    assert "• New column 'phone' (VARCHAR) in survey" in text and "• 2 ragged rows" in text
    assert summary_text(done) == "7 rows, 1 column change"
    assert elapsed_text(75) == "1 min 15 s" and elapsed_text(0.42) == "0.4 s"


def test_transfers_and_dropped_files() -> None:
    transfer = Transfer("Uploading a.csv")
    assert transfer.percent() is None and transfer.text() == "Uploading a.csv: 0 bytes"
    transfer.report(1_500_000, 3_000_000)
    assert transfer.percent() == 50 and transfer.text() == "Uploading a.csv: 1.5 MB of 3.0 MB"
    transfer.cancel()
    assert transfer.cancelled() and human_bytes(999) == "999 bytes"
    assert connector_for_file(Path("Survey.XLSX")) == "excel" and connector_for_file(Path("x.tsv")) == "csv"
    assert connector_for_file(Path("notes.docx")) is None
