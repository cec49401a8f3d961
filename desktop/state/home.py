"""What Home shows: the sections that work today and the next steps this person's role can actually take."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.state.sections import SECTIONS, Section
from desktop.state.session import AppState


@dataclass(frozen=True)
class Step:
    """One suggestion on Home: a short action, why, and the section its button opens."""

    title: str
    text: str
    section: str


# In the order a new organisation needs them: bringing in data comes first.
STEPS = (
    ("sources:write", Step("Add a source", "Bring in a CSV or Excel file, or a KoboToolbox, ODK or CommCare form.", "sources")),
    ("warehouse:read", Step("Look at your data", "Open a table to sort, filter and download it.", "data")),
    ("transforms:write", Step("Clean a table", "Fix spellings, dates and duplicates step by step.", "transform")),
    ("pipelines:write", Step("Run it every day", "Bring in, clean and check your data on a schedule.", "pipelines")),
    ("users:manage", Step("Invite your team", "Give colleagues a role; they join with a one-time code.", "users")),
)  # fmt: skip
NOTHING_YET = Step(
    "Ask for more access",
    "Your role can see pipelines but not the data itself. Ask an admin of your organisation to make you an analyst.",
    "settings",
)
PREVIEW_ONLY = Step(
    "Try a cleaning recipe", "Preview cleaning steps on a table; an admin saves and runs them.", "transform"
)
# What a section needs before Home lists it as something you can use.
READ_PERMISSION = {
    "sources": "sources:read",
    "data": "warehouse:read",
    "transform": "transforms:read",
    "pipelines": "pipelines:read",
}


def next_steps(app: AppState) -> list[Step]:
    """The steps the signed-in person's permissions (from /me) allow, first things first."""
    if app.org is None:
        return []
    steps = [step for permission, step in STEPS if app.can(permission)]
    if app.can("transforms:preview") and not app.can("transforms:write"):
        steps.append(PREVIEW_ONLY)
    return steps or [NOTHING_YET]


def available(app: AppState) -> list[Section]:
    """Built data sections this person may open (Sources, Data, Transform, Pipelines)."""
    return [s for s in SECTIONS if s.key in READ_PERMISSION and s.built and app.can(READ_PERMISSION[s.key])]


def later() -> list[Section]:
    """Sections not in this version yet, each with what it will do."""
    return [s for s in SECTIONS if not s.built]
