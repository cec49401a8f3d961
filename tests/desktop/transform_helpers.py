"""Shared by the Transform tests: a CSV loaded as a source through the desktop client."""

from __future__ import annotations

import time
from pathlib import Path

from desktop.client import DalgoClient

CSV = (
    "id,city,district,households,surveyed_on\n"
    "1,Bengaluru , North,12,01/02/2024\n"
    "2,bengaluru,North,7,02/02/2024\n"
    "3,BENGALURU,South,3,03/02/2024\n"
    "4,Mysuru,South,9,04/02/2024\n"
    "5,Bangalore,North,4,05/02/2024\n"
)


def load_csv(client: DalgoClient, folder: Path, text: str = CSV) -> tuple[str, str]:
    """Upload, create a CSV source, discover and sync it; returns (raw schema, table)."""
    path = folder / "villages.csv"
    path.write_text(text)
    upload = client.upload_file(path)
    source = client.create_source("Villages", "csv", {"upload_id": upload.id})
    client.discover_source(source.id)
    job_id = client.sync_source(source.id).job_id
    deadline = time.monotonic() + 60
    job = client.get_job(job_id)
    while job.active and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get_job(job_id)
    assert job.status == "succeeded", job
    schema = client.get_source(source.id).schema_name
    table = client.list_tables(schema).items[0].name
    return schema, table
