"""Google Sheets connector against a fake Google (token endpoint, Sheets API v4, CSV export) over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pipelines.connectors import get_connector
from pipelines.connectors.base import Batch, ConfiguredStream, ReadContext, SyncMode
from pipelines.connectors.gsheets import GoogleSheetsConnector
from pipelines.errors import AuthError, BadInputError, ConfigError
from tests.fakes.gsheets import FakeGoogle, Tab
from tests.fakes.server import FakeServer, SwappableApp, serve_swappable


@pytest.fixture(scope="module")
def shared_server() -> Iterator[tuple[FakeServer, SwappableApp]]:
    with serve_swappable() as served:
        yield served


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fake(private_key: rsa.RSAPrivateKey) -> FakeGoogle:
    return FakeGoogle(public_key=private_key.public_key())


@pytest.fixture
def server(fake: FakeGoogle, shared_server: tuple[FakeServer, SwappableApp]) -> FakeServer:
    running, swap = shared_server
    swap.app = fake.app()
    return running


def key_json(key: rsa.RSAPrivateKey, email: str, token_uri: str) -> str:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "dalgo-test",
            "private_key_id": "k1",
            "private_key": pem.decode(),
            "client_email": email,
            "token_uri": token_uri,
        }
    )


@pytest.fixture
def api_config(fake: FakeGoogle, server: FakeServer, private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return {
        "spreadsheet": f"https://docs.google.com/spreadsheets/d/{fake.spreadsheet_id}/edit#gid=0",
        "auth_type": "service_account",
        "service_account_json": key_json(private_key, fake.client_email, f"{server.url}/token"),
        "api_base_url": server.url,
        "page_rows": 50,
    }


@pytest.fixture
def public_config(fake: FakeGoogle, server: FakeServer) -> dict[str, Any]:
    return {
        "spreadsheet": f"https://docs.google.com/spreadsheets/d/{fake.spreadsheet_id}/edit#gid=0",
        "tabs": [{"name": "Beneficiaries", "gid": 0}, {"name": "Distributions", "gid": 418207}],
        "export_base_url": server.url,
    }


def ctx(events: list[dict[str, Any]] | None = None, batch_rows: int = 50) -> ReadContext:
    sink = events if events is not None else []
    return ReadContext(max_retries=3, batch_rows=batch_rows, progress=sink.append)


def read_all(config: dict[str, Any], name: str, state: Any = None, context: ReadContext | None = None) -> list[Batch]:
    stream = ConfiguredStream(name, SyncMode.full_refresh)
    return list(GoogleSheetsConnector().read(config, stream, state, context or ctx()))


def rows(batches: list[Batch]) -> list[dict[str, Any]]:
    return pa.concat_tables([b.data for b in batches], promote_options="permissive").to_pylist()


def test_registry_and_spec_mark_the_key_secret() -> None:
    connector = get_connector("google_sheets")
    spec = connector.spec()
    assert isinstance(connector, GoogleSheetsConnector)
    assert spec["properties"]["service_account_json"]["format"] == "password"
    assert spec["properties"]["service_account_json"]["writeOnly"] is True
    assert spec["properties"]["auth_type"]["enum"] == ["public_link", "service_account"]
    assert "v4" in connector.api_version


def test_service_account_discover_lists_tabs_with_header_columns(api_config: dict[str, Any]) -> None:
    streams = {s.name: s for s in GoogleSheetsConnector().discover(api_config, ctx())}
    assert set(streams) == {"beneficiaries", "distributions_2024"}
    columns = [(c.name, c.original_name) for c in streams["beneficiaries"].columns]
    assert columns[:3] == [("_sheet_row", None), ("beneficiary_id", "Beneficiary ID"), ("full_name", "Full name")]
    assert [c.name for c in streams["distributions_2024"].columns][-2:] == ["quantity", "quantity_2"]
    assert "sheetId 418207" in (streams["distributions_2024"].description or "")
    assert streams["beneficiaries"].supported_sync_modes == [SyncMode.full_refresh]


def test_service_account_read_pages_rows_and_keeps_empty_cells_null(
    fake: FakeGoogle, api_config: dict[str, Any]
) -> None:
    batches = read_all(api_config, "beneficiaries")
    got = rows(batches)
    assert len(got) == 120 and len(batches) == 3  # windows of 50 rows; the empty ones yield nothing
    assert fake.value_ranges()[:3] == ["'Beneficiaries'!1:1", "'Beneficiaries'!2:51", "'Beneficiaries'!52:101"]
    assert len(fake.value_ranges()) == 1 + 20  # header + rowCount 1000 in windows of 50
    first = {"_sheet_row": 2, "beneficiary_id": "B0001", "full_name": "Person 1", "village": "Lira"}
    assert got[0] == {**first, "household_size": "2", "enrolled_on": "2024-02-02"}
    row_9 = next(r for r in got if r["beneficiary_id"] == "B0009")
    assert row_9["village"] is None  # empty cell → NULL
    row_13 = next(r for r in got if r["beneficiary_id"] == "B0013")
    assert row_13["village"] is None and row_13["household_size"] is None  # short row → NULLs
    assert batches[-1].state == {"sheet_id": 0, "title": "Beneficiaries"}


def test_a_renamed_tab_is_followed_by_sheet_id_and_reported(fake: FakeGoogle, api_config: dict[str, Any]) -> None:
    state = read_all(api_config, "distributions_2024")[-1].state
    fake.tab("Distributions 2024").title = "Food distributions"
    events: list[dict[str, Any]] = []
    batches = read_all(api_config, "distributions_2024", state, ctx(events))
    assert len(rows(batches)) == 30 and {b.table_name for b in batches} == {"distributions_2024"}
    renamed = [e for e in events if e.get("event") == "renamed"]
    assert [(e["old_title"], e["new_title"], e["new_stream"]) for e in renamed] == [
        ("Distributions 2024", "Food distributions", "food_distributions")
    ]
    assert batches[-1].state == {"sheet_id": 418207, "title": "Food distributions"}
    known = {"distributions_2024": 418207, "beneficiaries": 0}
    assert GoogleSheetsConnector().renamed_streams(api_config, ctx(), known) == {
        "distributions_2024": "food_distributions"
    }
    assert {s.name for s in GoogleSheetsConnector().discover(api_config, ctx())} == {
        "beneficiaries",
        "food_distributions",
    }


def test_a_wrong_key_and_an_unshared_sheet_are_auth_errors(
    fake: FakeGoogle, api_config: dict[str, Any], server: FakeServer
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = {**api_config, "service_account_json": key_json(other, fake.client_email, f"{server.url}/token")}
    with pytest.raises(AuthError) as err:
        GoogleSheetsConnector().check(bad, ctx())
    assert "invalid_grant" in err.value.message and "new JSON key" in (err.value.hint or "")
    fake.shared_with_service_account = False
    with pytest.raises(AuthError) as err:
        GoogleSheetsConnector().check(api_config, ctx())
    assert fake.client_email in (err.value.hint or "") and "403" in err.value.message


def test_a_broken_key_file_is_a_config_error(api_config: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        GoogleSheetsConnector().check({**api_config, "service_account_json": "{not json"}, ctx())
    with pytest.raises(ConfigError):
        GoogleSheetsConnector().check({**api_config, "service_account_json": '{"type": "service_account"}'}, ctx())


def test_401_mid_sync_gets_one_new_token_then_fails_clearly(fake: FakeGoogle, api_config: dict[str, Any]) -> None:
    fake.unauthorized_after_value_reads = 3
    got: list[Batch] = []
    with pytest.raises(AuthError) as err:
        got.extend(GoogleSheetsConnector().read(api_config, ConfiguredStream("beneficiaries"), None, ctx()))
    assert fake.client_email in err.value.message and "401" in err.value.message
    assert len(rows(got)) == 100  # two windows came before the 401
    assert [path for status, path, _ in fake.log].count("/token") == 2  # retried once with a fresh token


def test_429_and_500_are_retried(fake: FakeGoogle, api_config: dict[str, Any]) -> None:
    fake.fail_500, fake.fail_429 = 1, 1
    assert len(rows(read_all(api_config, "distributions_2024"))) == 30
    statuses = [s for s, _, _ in fake.log]
    assert statuses.count(500) == 1 and statuses.count(429) == 1


def test_public_link_reads_each_tab_through_the_csv_export(fake: FakeGoogle, public_config: dict[str, Any]) -> None:
    streams = {s.name: s for s in GoogleSheetsConnector().discover(public_config, ctx())}
    assert set(streams) == {"beneficiaries", "distributions"}
    batches = read_all(public_config, "beneficiaries")
    got = rows(batches)
    assert len(got) == 120 and len(batches) == 3 and got[0]["_sheet_row"] == 2
    assert next(r for r in got if r["beneficiary_id"] == "B0009")["village"] is None
    assert batches[-1].state == {"gid": 0}
    assert ("/spreadsheets/d/" + fake.spreadsheet_id + "/export") in [p for _, p, _ in fake.log]


def test_public_link_to_a_private_sheet_says_how_to_share(fake: FakeGoogle, public_config: dict[str, Any]) -> None:
    fake.shared_publicly = False
    with pytest.raises(AuthError) as err:
        GoogleSheetsConnector().check(public_config, ctx())
    assert "sign-in page" in err.value.message and "Anyone with the link" in (err.value.hint or "")


def test_data_without_a_header_row_is_bad_input(fake: FakeGoogle, api_config: dict[str, Any]) -> None:
    fake.tabs.append(Tab(77, "No header", [[], ["a", "b"], ["c", "d"]], row_count=10))
    with pytest.raises(BadInputError) as err:
        read_all(api_config, "no_header")
    assert "no_header" in err.value.message and "row 1" in err.value.message


def test_an_empty_tab_reads_as_no_rows(fake: FakeGoogle, api_config: dict[str, Any]) -> None:
    fake.tabs.append(Tab(78, "Empty", [], row_count=100))
    assert read_all(api_config, "empty") == []


def test_a_renamed_tab_is_listed_as_a_schema_change_of_the_sync(
    fake: FakeGoogle, api_config: dict[str, Any], tmp_path: Any, extension_dir: Any
) -> None:
    from pipelines.duckdb_conn import connect
    from pipelines.ingest import run_sync

    con = connect(tmp_path / "w.duckdb", extension_dir=extension_dir)
    stream = [ConfiguredStream("distributions_2024", SyncMode.full_refresh)]
    first = run_sync(GoogleSheetsConnector(), api_config, stream, con=con, schema="raw_sheet", ctx=ctx(), batch_id="b1")
    assert first.streams["distributions_2024"].rows == 30
    fake.tab("Distributions 2024").title = "Food distributions"
    second = run_sync(
        GoogleSheetsConnector(), api_config, stream, con=con, schema="raw_sheet", ctx=ctx(), batch_id="b2"
    )
    renamed = [c for c in second.schema_changes if c["kind"] == "renamed"]
    assert renamed and "Food distributions" in renamed[0]["message"] and renamed[0]["table"] == "distributions_2024"
    assert con.execute("SELECT COUNT(*) FROM raw_sheet.distributions_2024").fetchone() == (30,)
