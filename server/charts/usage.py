"""Where charts are used. Dashboards (next) register a provider here; until then every list is empty."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from server.charts.schemas import UsedIn

# (session, org_id) -> {chart_id: [UsedIn(kind="dashboard", ...)]}
Provider = Callable[[Session, str], dict[str, list[UsedIn]]]
DASHBOARD_PROVIDERS: list[Provider] = []


def dashboards_using(session: Session, org_id: str) -> dict[str, list[UsedIn]]:
    """Each chart's dashboards, from every registered provider."""
    found: dict[str, list[UsedIn]] = {}
    for provider in DASHBOARD_PROVIDERS:
        for chart_id, uses in provider(session, org_id).items():
            found.setdefault(chart_id, []).extend(uses)
    return found
