"""DataApiMixin: DalgoClient's calls for connectors, uploads, sources, jobs and the warehouse explorer."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import httpx
from pydantic import BaseModel

from desktop.client.data_models import (
    Catalog,
    CheckResult,
    ColumnInfo,
    ColumnProfile,
    Connector,
    Job,
    JobStarted,
    RowsPage,
    Source,
    StreamConfig,
    TableInfo,
    Upload,
)
from desktop.client.errors import SessionExpired, unreachable
from desktop.client.models import Page

API = "/api/v1"
CHUNK = 256 * 1024
M = TypeVar("M", bound=BaseModel)
ProgressFn = Callable[[int, int | None], None]  # (bytes done, bytes in all or None)

if TYPE_CHECKING:
    from desktop.client.models import TokenPair


class TransferCancelled(Exception):
    """The user stopped an upload or download; nothing was kept."""


class _ProgressFile:
    """A binary file that reports how much of it has been read (httpx reads multipart files in chunks)."""

    def __init__(self, fh: BinaryIO, size: int, progress: ProgressFn | None, cancelled: Callable[[], bool]) -> None:
        self.fh, self.size, self.progress, self.cancelled = fh, size, progress, cancelled
        self.done = 0
        self.name = fh.name

    def read(self, n: int = -1) -> bytes:
        if self.cancelled():
            raise TransferCancelled("Upload cancelled.")
        chunk = self.fh.read(n)
        self.done += len(chunk)
        if self.progress is not None:
            self.progress(self.done, self.size)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self.fh.seek(offset, whence)
        if whence == os.SEEK_SET:
            self.done = position  # a retry after a token refresh reads the file again
        return position

    def tell(self) -> int:
        return self.fh.tell()

    def fileno(self) -> int:
        return self.fh.fileno()


def table_path(schema: str, table: str) -> str:
    return f"{API}/warehouse/tables/{schema}/{table}"


def explorer_params(sort: str | None, filters: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    """`sort` as `col` / `-col`, filters as the JSON list the server parses."""
    params: dict[str, Any] = {}
    if sort:
        params["sort"] = sort
    if filters:
        params["filters"] = json.dumps(list(filters))
    return params


class DataApiMixin:
    """Mixed into DalgoClient; uses its `_call/_get/_post` plumbing (token refresh, org header, errors)."""

    if TYPE_CHECKING:
        base_url: str
        _http: httpx.Client
        _tokens: TokenPair | None
        _org: str | None

        def _call(self, method: str, path: str, *, auth: bool = True, org: str | None = None, **kw: Any) -> Any: ...
        def _get(self, model: type[M], path: str, **kwargs: Any) -> M: ...
        def _post(self, model: type[M], path: str, **kwargs: Any) -> M: ...
        def _refresh_after(self, stale_access: str | None) -> None: ...

    # --- connectors and uploads ------------------------------------------------------------------
    def list_connectors(self, *, org: str | None = None) -> Page[Connector]:
        return self._get(Page[Connector], f"{API}/connectors", org=org)

    def upload_file(
        self,
        path: Path,
        *,
        progress: ProgressFn | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        org: str | None = None,
    ) -> Upload:
        """POST /uploads as multipart, streamed from disk, reporting bytes sent."""
        path = Path(path)
        with path.open("rb") as fh:
            body = _ProgressFile(fh, path.stat().st_size, progress, cancelled)
            files = {"file": (path.name, body, "application/octet-stream")}
            return self._post(Upload, f"{API}/uploads", org=org, files=files, timeout=None)

    # --- sources ---------------------------------------------------------------------------------
    def list_sources(self, *, org: str | None = None) -> Page[Source]:
        return self._get(Page[Source], f"{API}/sources", org=org)

    def get_source(self, source_id: str, *, org: str | None = None) -> Source:
        return self._get(Source, f"{API}/sources/{source_id}", org=org)

    def create_source(self, name: str, type: str, config: dict[str, Any], *, org: str | None = None) -> Source:
        body = {"name": name, "type": type, "config": config}
        return self._post(Source, f"{API}/sources", org=org, json=body)

    def update_source(
        self,
        source_id: str,
        *,
        name: str | None = None,
        config: dict[str, Any] | None = None,
        org: str | None = None,
    ) -> Source:
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if config is not None:
            body["config"] = config
        return Source.model_validate(self._call("PATCH", f"{API}/sources/{source_id}", org=org, json=body))

    def delete_source(self, source_id: str, *, org: str | None = None) -> None:
        self._call("DELETE", f"{API}/sources/{source_id}", org=org)

    def check_source(self, source_id: str, *, org: str | None = None) -> CheckResult:
        return self._post(CheckResult, f"{API}/sources/{source_id}/check", org=org, timeout=None)

    def discover_source(self, source_id: str, *, org: str | None = None) -> Catalog:
        return self._post(Catalog, f"{API}/sources/{source_id}/discover", org=org, timeout=None)

    def set_streams(self, source_id: str, streams: Sequence[StreamConfig], *, org: str | None = None) -> Source:
        body = {"streams": [s.model_dump() for s in streams]}
        return Source.model_validate(self._call("PUT", f"{API}/sources/{source_id}/streams", org=org, json=body))

    def sync_source(self, source_id: str, streams: list[str] | None = None, *, org: str | None = None) -> JobStarted:
        body = {"streams": streams} if streams else None
        return self._post(JobStarted, f"{API}/sources/{source_id}/sync", org=org, json=body)

    def list_syncs(self, source_id: str, *, limit: int = 20, org: str | None = None) -> Page[Job]:
        params = {"limit": limit}
        return self._get(Page[Job], f"{API}/sources/{source_id}/syncs", org=org, params=params)

    # --- jobs ------------------------------------------------------------------------------------
    def get_job(self, job_id: str, *, org: str | None = None) -> Job:
        return self._get(Job, f"{API}/jobs/{job_id}", org=org)

    def cancel_job(self, job_id: str, *, org: str | None = None) -> Job:
        return self._post(Job, f"{API}/jobs/{job_id}/cancel", org=org)

    def job_log(self, job_id: str, *, org: str | None = None) -> str:
        """The job's log as plain text."""
        with self._open_stream("GET", f"{API}/jobs/{job_id}/log", org=org) as response:
            response.read()
            return response.text

    # --- warehouse explorer ----------------------------------------------------------------------
    def list_tables(self, schema: str | None = None, *, org: str | None = None) -> Page[TableInfo]:
        params = {"schema": schema} if schema else {}
        return self._get(Page[TableInfo], f"{API}/warehouse/tables", org=org, params=params)

    def list_columns(self, schema: str, table: str, *, org: str | None = None) -> Page[ColumnInfo]:
        return self._get(Page[ColumnInfo], f"{table_path(schema, table)}/columns", org=org)

    def get_rows(
        self,
        schema: str,
        table: str,
        *,
        limit: int = 100,
        offset: int = 0,
        sort: str | None = None,
        filters: Sequence[dict[str, Any]] | None = None,
        org: str | None = None,
    ) -> RowsPage:
        params = {"limit": limit, "offset": offset, **explorer_params(sort, filters)}
        return self._get(RowsPage, f"{table_path(schema, table)}/rows", org=org, params=params)

    def profile_column(self, schema: str, table: str, column: str, *, org: str | None = None) -> ColumnProfile:
        params = {"column": column}
        return self._get(ColumnProfile, f"{table_path(schema, table)}/profile", org=org, params=params)

    def export_table(
        self,
        schema: str,
        table: str,
        fmt: str,
        dest: Path,
        *,
        sort: str | None = None,
        filters: Sequence[dict[str, Any]] | None = None,
        progress: ProgressFn | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        org: str | None = None,
        system_columns: bool = False,
    ) -> Path:
        """Stream an export to `dest` (via a `.part` file, so a failed or cancelled one leaves nothing)."""
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")
        params = {"format": fmt, **explorer_params(sort, filters)}
        if system_columns:
            params["system_columns"] = "true"
        try:
            with self._open_stream("GET", f"{table_path(schema, table)}/export", org=org, params=params) as response:
                total = int(response.headers["content-length"]) if "content-length" in response.headers else None
                done = 0
                with part.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        if cancelled():
                            raise TransferCancelled("Download cancelled.")
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
            part.replace(dest)
        finally:
            part.unlink(missing_ok=True)
        return dest

    # --- streaming plumbing ----------------------------------------------------------------------
    def _open_stream(self, method: str, path: str, *, org: str | None = None, **kwargs: Any) -> _Streamed:
        return _Streamed(self, method, path, org, kwargs)

    def _stream_headers(self, org: str | None) -> dict[str, str]:
        if self._tokens is None:
            raise SessionExpired("SessionExpired", "You are not signed in; sign in first.", 401)
        headers = {"Authorization": f"Bearer {self._tokens.access_token}"}
        slug = org or self._org
        if slug:
            headers["X-Dalgo-Org"] = slug
        return headers


class _Streamed:
    """`with` an authenticated streamed response: one token refresh on 401, the server's error otherwise."""

    def __init__(self, client: DataApiMixin, method: str, path: str, org: str | None, kwargs: dict[str, Any]) -> None:
        self.client, self.method, self.path, self.org, self.kwargs = client, method, path, org, kwargs
        self.response: httpx.Response | None = None

    def _open(self) -> httpx.Response:
        request = self.client._http.build_request(
            self.method, self.path, headers=self.client._stream_headers(self.org), timeout=None, **self.kwargs
        )
        try:
            return self.client._http.send(request, stream=True)
        except httpx.TransportError as err:
            raise unreachable(self.client.base_url, err) from err

    def __enter__(self) -> httpx.Response:
        from desktop.client.client import _error_of  # client.py imports this module: import at call time

        used = self.client._tokens.access_token if self.client._tokens else None
        response = self._open()
        if response.status_code == 401:
            response.close()
            self.client._refresh_after(used)
            response = self._open()
        if response.is_error:
            response.read()
            response.close()
            if response.status_code == 401:
                raise SessionExpired("SessionExpired", _error_of(response).detail, 401)
            raise _error_of(response)
        self.response = response
        return response

    def __exit__(self, *exc: object) -> None:
        if self.response is not None:
            self.response.close()
