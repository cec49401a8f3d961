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
    Section("data", "Data", "Browse your organisation's tables: sort, filter and download them.", built=True),
    Section(
        "transform",
        "Transform",
        "Clean and reshape data step by step (remove duplicates, fix spellings, read dates, join, pivot); "
        "each recipe saves a cleaned table.",
        built=True,
    ),
    Section(
        "pipelines",
        "Pipelines",
        "Bring in, clean and check your data in order on a schedule, with a history of every run.",
        built=True,
    ),
    Section("charts", "Charts", "Bar, line, pie, number and table charts from your tables, saved as pictures or PDF."),
    Section("dashboards", "Dashboards", "Arrange charts into dashboards with filters and print them for meetings."),
    Section(
        "sync",
        "Sync",
        "Send cleaned tables to your organisation's online database (Postgres or BigQuery) when you are "
        "online; a sync cut short carries on where it stopped, and the copies are checked.",
    ),
    Section("users", "Users", "Members of the organisation, invitations and roles.", built=True),
    Section("settings", "Settings", "Your account, organisations and the audit log.", built=True),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
