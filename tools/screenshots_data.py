"""Screens of the Sources and Data pages for tools/screenshots.py: a CSV added through the dialog, a Kobo sync
running against the local Kobo fake, the sync history, and the Data grid with a filter, a sort and a profile."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

VILLAGES = ("Kisumu Ndogo", "Nyalenda", "Manyatta", "Obunga", "Kondele", "Migosi", "Mamboleo", "Otonglo")
SOURCES = ("borehole", "piped", "river", "rain tank", "vendor")


def household_visits(path: Path, rows: int = 1840) -> Path:
    """A field-visit CSV an M&E officer would import: ids, villages, sizes, water sources, dates, distances."""
    rng = random.Random(7)
    lines = ["visit_id,village,district,household_size,water_source,visit_date,distance_km,enumerator"]
    for i in range(1, rows + 1):
        village = rng.choice(VILLAGES)
        district = "Kisumu East" if VILLAGES.index(village) < 4 else "Kisumu West"
        day = date(2024, 1, 8) + timedelta(days=rng.randrange(120))
        distance = "" if rng.random() < 0.04 else f"{rng.uniform(0.1, 6.5):.1f}"
        lines.append(f"{1000 + i},{village},{district},{rng.randint(1, 11)},{rng.choice(SOURCES)},{day},{distance},"
                     f"EN{rng.randint(1, 14):02d}")  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextmanager
def kobo_fake() -> Iterator[Any]:
    """The test suite's KoboToolbox fake (many submissions, small pages) so a sync runs long enough to watch."""
    from tests.fakes.kobo import KoboFake
    from tests.fakes.server import serve_app

    fake = KoboFake(6000, page_cap=100)
    app = fake.app()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "/data/" in scope["path"]:
            await asyncio.sleep(0.08)  # a field office's connection: the progress bar has time to move
        await app(scope, receive, send)

    with serve_app(slow) as server:
        yield fake, server.url


def shoot_sources_and_data(
    shell: Any, admin: Any, shoot: Callable[[object, str], None], home: Path, wait_until: Callable[..., None]
) -> None:
    page, model = shell.sources_page, shell.sources
    shell.go("sources")
    wait_until(lambda: model.loaded and bool(model.connectors))
    dialog = page.open_add("csv", household_visits(home / "household_visits.csv"))
    wait_until(lambda: dialog.upload is not None)
    dialog.name.setText("Household visits 2024")
    shoot(dialog, "add-source-dialog")
    dialog.submit()
    wait_until(lambda: not dialog.isVisible() and model.selected is not None and bool(model.selected.catalog))
    page.detail.streams.set_mode("household_visits", "incremental_dedup")
    page.save_streams(page.detail.streams.choices)
    wait_until(lambda: model.selected.streams[0].sync_mode == "incremental_dedup")
    model.sync(model.selected)
    wait_until(lambda: model.selected.last_sync is not None and not model.selected.last_sync.active, timeout=60)
    with kobo_fake() as (_fake, url):
        kobo = admin.create_source(
            "Kobo household survey", "kobotoolbox", {"server_url": url, "api_token": "kobo-test-token"}
        )
        admin.discover_source(kobo.id)
        model.load()
        wait_until(lambda: any(s.id == kobo.id for s in model.sources))
        model.select(kobo.id)
        model.sync(model.selected)
        wait_until(lambda: (job := model.syncs.current.get(kobo.id)) is not None and job.progress.get("rows", 0) > 2000)
        shell.window().state.banner.clear()  # the CSV's "Sync finished" would stand above the Kobo sync
        shoot(shell.window(), "sync-progress")
        wait_until(lambda: model.syncs.running(kobo.id) is None, timeout=120)
    page.detail.tabs.setCurrentWidget(page.detail.history)
    wait_until(lambda: page.detail.history.table.rowCount() == 1)
    shoot(shell.window(), "sources")
    shoot_data(shell, shoot, wait_until)


def shoot_data(shell: Any, shoot: Callable[[object, str], None], wait_until: Callable[..., None]) -> None:
    page, grid = shell.data_page, shell.data.grid
    shell.go("data")
    wait_until(lambda: page.table_item("raw_household_visits_2024", "household_visits") is not None)
    page.open_table("raw_household_visits_2024", "household_visits")
    wait_until(lambda: bool(grid.rows))
    grid.add_filter("district", "eq", "Kisumu East")
    wait_until(lambda: not grid.loading)
    grid.sort_by("household_size")
    grid.sort_by("household_size")
    wait_until(lambda: not grid.loading and grid.sort is not None)
    page.view.setCurrentIndex(page.view.model().index(2, 3))
    wait_until(lambda: grid.profile is not None)
    shoot(shell.window(), "data")
