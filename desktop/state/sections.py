"""The sections of the app, in sidebar order, and what the ones not built yet will do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    summary: str
    built: bool = False


SECTIONS = (
    Section("home", "Home", "Where you are and what you can do next.", built=True),
    Section(
        "sources",
        "Sources",
        "Bring in data from KoboToolbox, ODK Central, CommCare, SurveyCTO, Google Sheets, Postgres, "
        "and CSV or Excel files, with incremental syncs and plain-language errors.",
        built=True,
    ),
    Section(
        "data", "Data", "Browse the tables in your organisation's warehouse, sort, filter and export them.", built=True
    ),
    Section(
        "transform",
        "Transform",
        "Clean and reshape data step by step (dedupe, fix typos, parse dates, join, pivot); "
        "each recipe becomes a dbt model you can also edit as SQL.",
        built=True,
    ),
    Section(
        "pipelines",
        "Pipelines",
        "Run ingest, transform, tests and sync in order on a schedule, with a history of every run and its logs.",
    ),
    Section("charts", "Charts", "Bar, line, pie, number and table charts from your tables, exported as PNG or PDF."),
    Section("dashboards", "Dashboards", "Arrange charts into dashboards with filters and print them for meetings."),
    Section(
        "sync",
        "Sync",
        "Push cleaned tables to your organisation's Postgres or BigQuery warehouse when you are online; "
        "resumable and verified.",
    ),
    Section("users", "Users", "Members of the organisation, invitations and roles.", built=True),
    Section("settings", "Settings", "Your account, organisations and the audit log.", built=True),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
