"""Schedules in the user's time zone: manual, daily, weekly or cron, kept as zone + local time.

A pipeline's schedule becomes an APScheduler CronTrigger in its own ZoneInfo, so 09:00 stays 09:00
local across a DST change. On the night clocks go back, a fixed time that happens twice fires once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from pipelines.errors import ConfigError

Kind = Literal["manual", "daily", "weekly", "cron"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Schedule:
    kind: Kind
    timezone: str = "UTC"
    time: str | None = None
    days: tuple[str, ...] | None = None
    cron: str | None = None

    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def cron_expression(self) -> str | None:
        """The schedule as a 5-field cron in local time (None for manual)."""
        if self.kind == "manual":
            return None
        if self.kind == "cron":
            return " ".join((self.cron or "").split())
        hour, minute = _hhmm(self.time)
        days = "*" if self.kind == "daily" else ",".join(sorted(set(self.days or ()), key=DAYS.index))
        return f"{minute} {hour} * * {days}"

    def describe(self) -> str:
        where = f"({self.timezone})"
        if self.kind == "manual":
            return "Run by hand only"
        if self.kind == "daily":
            return f"Every day at {self.time} {where}"
        if self.kind == "weekly":
            names = [DAY_NAMES[d] for d in sorted(set(self.days or ()), key=DAYS.index)]
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            return f"Every {joined} at {self.time} {where}"
        return f"Cron '{self.cron_expression()}' {where}"


class LocalCronTrigger(CronTrigger):
    """CronTrigger whose fixed-hour times fire once on the night a wall-clock hour happens twice."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        nxt: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while nxt is not None and self._fixed_hours() and second_occurrence(nxt):
            nxt = super().get_next_fire_time(nxt, nxt.astimezone(UTC) + timedelta(minutes=1))
        return nxt

    def _fixed_hours(self) -> bool:
        return any(f.name == "hour" and str(f) != "*" for f in self.fields)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(
            f"'{name}' is not a time zone this computer knows.",
            hint="Pick a zone from the list, e.g. Africa/Nairobi or Asia/Kolkata.",
        ) from err


def _hhmm(value: str | None) -> tuple[int, int]:
    match = HHMM.match((value or "").strip())
    if not match:
        raise ConfigError(f"'{value or ''}' is not a time of day.", hint="Write it as HH:MM, e.g. 09:00 or 17:30.")
    return int(match.group(1)), int(match.group(2))


def validate(schedule: Schedule) -> Schedule:
    """Check the parts a kind needs; returns the schedule with the time written as HH:MM."""
    schedule_zone = schedule.zone()
    if schedule.kind in ("daily", "weekly"):
        hour, minute = _hhmm(schedule.time)
        schedule = Schedule(schedule.kind, schedule.timezone, f"{hour:02d}:{minute:02d}", schedule.days)
    if schedule.kind == "weekly" and not schedule.days:
        raise ConfigError("A weekly schedule needs at least one day.", hint="Tick the days it should run.")
    if schedule.kind == "cron" and not (schedule.cron or "").strip():
        raise ConfigError("A cron schedule needs a cron expression.", hint="For example '0 9 * * 1-5'.")
    trigger(schedule, schedule_zone)
    return schedule


def trigger(schedule: Schedule, schedule_zone: ZoneInfo | None = None) -> LocalCronTrigger | None:
    """The APScheduler trigger in the schedule's own zone (None when run by hand only)."""
    expression = schedule.cron_expression()
    if expression is None:
        return None
    if len(expression.split()) != 5:
        raise ConfigError(
            f"The cron expression '{expression}' is not valid: it needs 5 fields (minute hour day month weekday).",
            hint="For example '30 9 * * mon-fri' runs at 09:30 on weekdays.",
        )
    minute, hour, day, month, weekday = expression.split()
    try:
        return LocalCronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_standard_weekdays(weekday),
            timezone=schedule_zone or schedule.zone(),
        )
    except ValueError as err:
        raise ConfigError(
            f"The cron expression '{expression}' is not valid: {err}.",
            hint="Fields are minute (0-59), hour (0-23), day (1-31), month (1-12), weekday (mon-sun or 0-6).",
        ) from err


def _standard_weekdays(field: str) -> str:
    """Cron counts weekdays from Sunday = 0 (or 7); APScheduler from Monday = 0: numbers become names."""
    cron_days = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
    parts: list[str] = []
    for part in field.split(","):
        span = re.fullmatch(r"([0-7])-([0-7])", part)
        if span and int(span.group(1)) <= int(span.group(2)):
            parts.extend(cron_days[n] for n in range(int(span.group(1)), int(span.group(2)) + 1))
        elif re.fullmatch(r"[0-7]", part):
            parts.append(cron_days[int(part)])
        else:
            parts.append(part)
    return ",".join(dict.fromkeys(parts))


def next_run(schedule: Schedule, after: datetime) -> datetime | None:
    """The next time the schedule fires after `after`, in UTC."""
    found = trigger(schedule)
    nxt = found.get_next_fire_time(None, after) if found else None
    return nxt.astimezone(UTC) if nxt else None


def second_occurrence(moment: datetime) -> bool:
    """True for the second of a wall-clock time that happens twice (the hour clocks go back)."""
    tz = moment.tzinfo
    if not isinstance(tz, ZoneInfo):
        return False
    local = moment.astimezone(tz)
    naive = local.replace(tzinfo=None)
    ambiguous = naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset()
    return ambiguous and local.fold == 1


def dst_warnings(schedule: Schedule, start: datetime, days: int = 366) -> list[str]:
    """Plain words for the coming year's days when a fixed local time does not exist or happens twice."""
    found = trigger(schedule)
    times = _fixed_times(found)
    if found is None or not times:
        return []
    tz = schedule.zone()
    notes = []
    for day in _change_days(tz, start.astimezone(tz).date(), days):
        for hour, minute in times:
            note = _note(schedule, found, tz, datetime(day.year, day.month, day.day, hour, minute))
            if note:
                notes.append(note)
    return notes


def _fixed_times(found: CronTrigger | None) -> list[tuple[int, int]]:
    if found is None:
        return []
    fields = {f.name: str(f) for f in found.fields}
    if not (fields["hour"].isdigit() and fields["minute"].isdigit()):
        return []
    return [(int(fields["hour"]), int(fields["minute"]))]


def _change_days(tz: ZoneInfo, first: date, days: int) -> list[date]:
    """Days on which the zone's UTC offset changes."""
    changes = []
    for n in range(days):
        day = first + timedelta(days=n)
        before = datetime(day.year, day.month, day.day, tzinfo=tz).utcoffset()
        after = (datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)).utcoffset()
        if before != after:
            changes.append(day)
    return changes


def _note(schedule: Schedule, found: CronTrigger, tz: ZoneInfo, wall: datetime) -> str | None:
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    runs_that_day = found.get_next_fire_time(None, datetime(wall.year, wall.month, wall.day, tzinfo=tz))
    if runs_that_day is None or runs_that_day.astimezone(tz).date() != wall.date():
        return None
    label, when = wall.strftime("%H:%M"), f"in {schedule.timezone} on {wall.day} {wall:%B %Y}"
    if first.utcoffset() == second.utcoffset():
        return None
    if _exists(wall, tz):
        return f"{label} happens twice {when} (clocks go back); the pipeline runs once, at the first {label}."
    actual = runs_that_day.astimezone(UTC).astimezone(tz).strftime("%H:%M")
    return f"{label} does not exist {when} (clocks go forward); that day the pipeline runs at {actual}."


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    """A wall-clock time exists when it survives a round trip through UTC."""
    aware = wall.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def from_fields(kind: str | None, fields: dict[str, Any]) -> Schedule:
    """A Schedule from API-style fields; {cron, timezone} alone means a cron schedule."""
    chosen = kind or ("cron" if fields.get("cron") else "manual")
    days = fields.get("days")
    return Schedule(
        kind=chosen,  # type: ignore[arg-type]
        timezone=fields.get("timezone") or "UTC",
        time=fields.get("time"),
        days=tuple(days) if days else None,
        cron=fields.get("cron"),
    )
