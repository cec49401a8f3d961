"""Sources: configure a connector, test it, discover its streams, sync them into the org warehouse."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import uuid
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from pipelines.connectors import REGISTRY, get_connector
from pipelines.connectors.base import ConfiguredStream, Connector, ReadContext, Stream, SyncMode
from pipelines.errors import PipelineError
from pipelines.limited import FILE_CONNECTORS, Verb, run_limited
from pipelines.naming import normalise_identifier
from server.audit.service import AuditService
from server.core.config import Settings
from server.core.deps import OrgContext
from server.core.security import SecretBox
from server.core.storage import OrgStorage
from server.jobs.runner import JobContext
from server.jobs.service import JobService
from server.locks.service import LockService, source_key
from server.models import Job, Source, Upload
from server.sources import secrets
from server.sources.errors import (
    FileTooLarge,
    InvalidSourceConfig,
    InvalidUpload,
    NothingToSync,
    SourceUnavailable,
    UnknownConnector,
)
from server.sources.repository import SourceCounts, SourcesRepository
from server.sources.schemas import StreamConfig

CHUNK = 1024 * 1024


def schema_for(source: Source) -> str:
    return f"raw_{source.slug}"


@dataclasses.dataclass
class PreparedSync:
    """A sync ready to run: what `pipelines.ingest.run_sync` takes, and the source's name for messages."""

    name: str
    slug: str
    connector: Connector
    config: dict[str, Any]
    chosen: list[ConfiguredStream]
    read_ctx: ReadContext
    schema: str


class SourceService:
    def __init__(self, session: Session, settings: Settings, storage: OrgStorage, box: SecretBox) -> None:
        self.session = session
        self.settings = settings
        self.storage = storage
        self.box = box
        self.repo = SourcesRepository(session)

    # --- connectors and uploads ------------------------------------------------------------------
    def connector(self, connector_type: str) -> Connector:
        if connector_type not in REGISTRY:
            raise UnknownConnector(f"There is no connector '{connector_type}'. Known: {', '.join(sorted(REGISTRY))}.")
        return get_connector(connector_type)

    def save_upload(self, ctx: OrgContext, filename: str, stream: BinaryIO) -> Upload:
        """Stream the file to disk in chunks (never whole in memory), refusing it past the size limit."""
        safe_name = _safe_filename(filename)
        upload_id = uuid.uuid4().hex
        folder = self.storage.subdir(ctx.org.slug, "uploads") / upload_id
        folder.mkdir(parents=True)
        limit = self.settings.max_upload_mb * 1024 * 1024
        digest, size = hashlib.sha256(), 0
        try:
            with (folder / safe_name).open("wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FileTooLarge(
                            f"{filename} is larger than the {self.settings.max_upload_mb} MB limit of this server."
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(
            id=upload_id,
            org_id=ctx.org_id,
            filename=safe_name,
            size=size,
            sha256=digest.hexdigest(),
            created_by_id=ctx.user.id,
        )
        self.session.add(upload)
        self.session.flush()
        return upload

    # --- CRUD ------------------------------------------------------------------------------------
    def create(self, ctx: OrgContext, name: str, connector_type: str, config: dict[str, Any], ip: str) -> Source:
        connector = self.connector(connector_type)
        self._validate(ctx, connector, config)
        public, secret = secrets.split(connector.spec(), config)
        source = Source(
            org_id=ctx.org_id,
            name=name.strip(),
            slug=self._free_slug(ctx, name),
            type=connector_type,
            config=public,
            secrets=secrets.seal(self.box, secret),
        )
        self.session.add(source)
        self.session.flush()
        AuditService(self.session).record(
            "source.created", actor=ctx.user, org_id=ctx.org_id, target=source.name, ip=ip, type=connector_type
        )
        return source

    def update(
        self, ctx: OrgContext, source_id: str, name: str | None, config: dict[str, Any] | None, ip: str
    ) -> Source:
        source = self.repo.get(ctx.org_id, source_id)
        if name is not None:
            source.name = name.strip()
        if config is not None:
            connector = self.connector(source.type)
            try:
                old = self.full_config(source)
            except SourceUnavailable:
                old = dict(source.config)  # unreadable secrets: the user is entering them again
            full = secrets.keep_unchanged(config, old)
            self._validate(ctx, connector, full)
            public, secret = secrets.split(connector.spec(), full)
            source.config, source.secrets = public, secrets.seal(self.box, secret)
        self.session.flush()
        AuditService(self.session).record(
            "source.updated", actor=ctx.user, org_id=ctx.org_id, target=source.name, ip=ip
        )
        return source

    def delete(self, ctx: OrgContext, source_id: str, ip: str) -> None:
        source = self.repo.get(ctx.org_id, source_id)
        self.session.delete(source)
        AuditService(self.session).record(
            "source.deleted", actor=ctx.user, org_id=ctx.org_id, target=source.name, ip=ip
        )

    def get(self, ctx: OrgContext, source_id: str) -> Source:
        return self.repo.get(ctx.org_id, source_id)

    def running_sync(self, ctx: OrgContext, source_id: str) -> Job | None:
        """The hand-started sync of this source still going, if any (a pipeline waits for it)."""
        return self.repo.running_sync(ctx.org_id, source_id)

    def list_counted(self, ctx: OrgContext) -> list[SourceCounts]:
        return self.repo.list_counted(ctx.org_id)

    def last_syncs(self, ctx: OrgContext, source_ids: list[str]) -> dict[str, Job]:
        return self.repo.last_jobs(ctx.org_id, source_ids)

    def _secrets(self, source: Source) -> dict[str, Any]:
        try:
            return secrets.unseal(self.box, source.secrets)
        except ValueError as err:
            raise SourceUnavailable(
                f"The saved credentials of {source.name} cannot be read with this computer's key "
                "(the OS keyring was reset or the data folder was copied) → edit the source and enter them again."
            ) from err

    def full_config(self, source: Source) -> dict[str, Any]:
        return secrets.merge(source.config, self._secrets(source))

    def masked_config(self, source: Source) -> dict[str, Any]:
        try:
            return secrets.masked(source.config, self._secrets(source))
        except SourceUnavailable:
            return dict(source.config)  # still list the source; its secrets show as missing

    def _validate(self, ctx: OrgContext, connector: Connector, config: dict[str, Any]) -> None:
        import jsonschema

        spec = connector.spec()
        validator = jsonschema.validators.validator_for(spec)(spec)
        problems = [
            f"{'.'.join(str(p) for p in e.absolute_path) or 'config'}: {e.message}"
            for e in validator.iter_errors(config)
        ]
        if problems:
            raise InvalidSourceConfig(f"The {connector.name} settings are not complete: " + "; ".join(problems))
        if "upload_id" in config:
            self.repo.upload(ctx.org_id, str(config["upload_id"]))
        if "path" in config and not self.settings.local_paths_allowed:
            raise InvalidSourceConfig("This server does not read files from its own disk; upload the file instead.")

    def _free_slug(self, ctx: OrgContext, name: str) -> str:
        base = normalise_identifier(name, fallback="source")[:40]
        slug, n = base, 1
        while self.repo.slug_taken(ctx.org_id, slug):
            n += 1
            slug = f"{base}_{n}"
        return slug

    # --- check, discover, sync -------------------------------------------------------------------
    def read_context(self, ctx: OrgContext) -> ReadContext:
        return ReadContext(
            uploads_dir=self.storage.subdir(ctx.org.slug, "uploads"),
            allow_local_paths=self.settings.local_paths_allowed,
            max_upload_bytes=self.settings.max_upload_mb * 1024 * 1024,
            network=self.settings.network_policy(),
        )

    def _run_connector(self, ctx: OrgContext, source: Source, verb: Verb) -> Any:
        """check/discover; on a hosted server a file is read in a memory-capped child (pipelines.limited)."""
        connector, config, read_ctx = self.connector(source.type), self.full_config(source), self.read_context(ctx)
        if self.settings.file_parsing_isolated and source.type in FILE_CONNECTORS:
            return run_limited(source.type, verb, config, read_ctx, self.settings.parse_memory_limit_mb)
        return getattr(connector, verb)(config, read_ctx)

    def check(self, ctx: OrgContext, source_id: str) -> tuple[bool, str, str | None]:
        source = self.repo.get(ctx.org_id, source_id)
        try:
            self._run_connector(ctx, source, "check")
        except PipelineError as err:
            return False, err.message, err.hint
        return True, f"{source.name}: connection works.", None

    def discover(self, ctx: OrgContext, source_id: str) -> list[dict[str, Any]]:
        source = self.repo.get(ctx.org_id, source_id)
        try:
            streams: list[Stream] = self._run_connector(ctx, source, "discover")
        except PipelineError as err:
            raise SourceUnavailable(str(err)) from err
        source.catalog = [_stream_dict(s) for s in streams]
        if source.streams is None:
            source.streams = [_default_stream_config(s) for s in streams]
        self.session.flush()
        return source.catalog

    def set_streams(self, ctx: OrgContext, source_id: str, streams: list[StreamConfig]) -> Source:
        source = self.repo.get(ctx.org_id, source_id)
        known = {s["name"]: s for s in source.catalog or []}
        for stream in streams:
            _check_stream_choice(stream, known)
        source.streams = [s.model_dump(mode="json") for s in streams]
        self.session.flush()
        return source

    def _choose_all_if_never_chosen(self, ctx: OrgContext, source: Source) -> None:
        """From file to table in one click: streams never chosen means every discovered stream, default mode."""
        if source.streams is not None:
            return
        if not source.catalog:
            self.discover(ctx, source.id)  # sets the defaults for every stream it finds
        else:
            source.streams = [_default_config_of(entry) for entry in source.catalog]
            self.session.flush()

    def prepare_sync(self, ctx: OrgContext, source_id: str, only: list[str] | None) -> PreparedSync:
        """Everything a sync needs (connector, config, chosen streams, target); a pipeline's sync task reuses it."""
        source = self.repo.get(ctx.org_id, source_id)
        self._choose_all_if_never_chosen(ctx, source)
        chosen = [
            ConfiguredStream(
                name=s["name"],
                sync_mode=SyncMode(s["sync_mode"]),
                cursor_field=s.get("cursor_field"),
                primary_key=list(s.get("primary_key") or []),
            )
            for s in source.streams or []
        ]
        if only:
            unknown = sorted(set(only) - {c.name for c in chosen})
            if unknown:
                raise NothingToSync(
                    f"These streams are not selected on {source.name}: {', '.join(unknown)}. Select them first."
                )
            chosen = [c for c in chosen if c.name in only]
        if not chosen:
            raise NothingToSync(f"{source.name} has no streams selected; run Discover and pick the streams to sync.")
        return PreparedSync(
            source.name,
            source.slug,
            self.connector(source.type),
            self.full_config(source),
            chosen,
            self.read_context(ctx),
            schema_for(source),
        )

    def start_sync(self, ctx: OrgContext, source_id: str, only: list[str] | None, jobs: JobService, ip: str) -> Job:
        source = self.repo.get(ctx.org_id, source_id)
        LockService(self.session).check_free(source_key(source.id))  # a running pipeline is syncing it: 409
        prepared = self.prepare_sync(ctx, source_id, only)
        connector, config, chosen, read_ctx = prepared.connector, prepared.config, prepared.chosen, prepared.read_ctx
        con, schema, slug = self.storage.duckdb(ctx.org.slug), prepared.schema, prepared.slug
        AuditService(self.session).record(
            "source.sync_started", actor=ctx.user, org_id=ctx.org_id, target=source.name, ip=ip
        )

        def run(job: JobContext) -> dict[str, Any]:
            from pipelines.ingest import run_sync

            read_ctx.cancel_event = job.cancel_event
            read_ctx.progress = job.progress
            job.log(f"syncing {len(chosen)} stream(s) of {slug} into {schema}")
            result = run_sync(
                connector, config, chosen, con=con.cursor(), schema=schema, ctx=read_ctx, batch_id=job.job_id
            )
            summary = _jsonable(result)
            job.log(f"done: {summary}")
            return summary

        return jobs.start(ctx, "source_sync", source.id, f"A sync of {source.name}", run)


def _safe_filename(filename: str) -> str:
    """The last part of the name, in safe characters; a leading dot would hide the file from its source."""
    name = filename.replace("\\", "/").split("/")[-1].strip().lstrip(".").strip()
    if not any(c.isalnum() for c in name):  # "", ".", "..", "///": nothing to name a file by
        raise InvalidUpload(
            f"'{filename[:100]}' is not a usable file name → rename the file (for example survey.csv) and upload it again."
        )
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:200]


def _stream_dict(stream: Stream) -> dict[str, Any]:
    data = dataclasses.asdict(stream)
    data["supported_sync_modes"] = [str(m) for m in stream.supported_sync_modes]
    return data


def _default_stream_config(stream: Stream) -> dict[str, Any]:
    return {
        "name": stream.name,
        "sync_mode": SyncMode.full_refresh.value,
        "cursor_field": stream.default_cursor,
        "primary_key": list(stream.primary_key),
    }


def _default_config_of(entry: dict[str, Any]) -> dict[str, Any]:
    """`_default_stream_config` for a stream already in the catalog (stored as a dict)."""
    return {
        "name": entry["name"],
        "sync_mode": SyncMode.full_refresh.value,
        "cursor_field": entry.get("default_cursor"),
        "primary_key": list(entry.get("primary_key") or []),
    }


def _check_stream_choice(stream: StreamConfig, known: dict[str, dict[str, Any]]) -> None:
    info = known.get(stream.name)
    if info is None:
        raise InvalidSourceConfig(f"There is no stream '{stream.name}'; run Discover to refresh the list.")
    if stream.sync_mode.value not in info["supported_sync_modes"]:
        raise InvalidSourceConfig(f"Stream '{stream.name}' does not support {stream.sync_mode.value}.")
    columns = {c["name"] for c in info["columns"]}
    if stream.sync_mode != SyncMode.full_refresh and not stream.cursor_field:
        raise InvalidSourceConfig(f"Stream '{stream.name}': incremental sync needs a cursor column.")
    if stream.sync_mode == SyncMode.incremental_dedup and not stream.primary_key:
        raise InvalidSourceConfig(f"Stream '{stream.name}': deduplicated sync needs a primary key.")
    for column in [stream.cursor_field, *stream.primary_key]:
        if column and column not in columns:
            raise InvalidSourceConfig(f"Stream '{stream.name}' has no column '{column}'.")


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
