"""Schedules: local time kept across DST, a time that does not exist or happens twice, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.errors import ConfigError
from pipelines.runs.schedule import Schedule, dst_warnings, next_run, trigger, validate

BERLIN = ZoneInfo("Europe/Berlin")


def fires(schedule: Schedule, start: datetime, count: int) -> list[datetime]:
    found, out, prev, now = trigger(schedule), [], None, start
    assert found is not None
    for _ in range(count):
        nxt = found.get_next_fire_time(prev, now)
        out.append(nxt)
        prev = now = nxt
    return out


def test_nine_oclock_stays_nine_oclock_local_across_the_dst_change() -> None:
    daily = validate(Schedule("daily", "Europe/Berlin", "9:00"))
    winter = next_run(daily, datetime(2026, 3, 20, tzinfo=UTC))
    summer = next_run(daily, datetime(2026, 4, 2, tzinfo=UTC))
    assert winter is not None and summer is not None
    assert (winter.hour, summer.hour) == (8, 7)  # UTC moves, local does not
    assert {winter.astimezone(BERLIN).hour, summer.astimezone(BERLIN).hour} == {9}


def test_weekly_runs_on_the_chosen_days_only() -> None:
    weekly = validate(Schedule("weekly", "Africa/Nairobi", "06:30", ("thu", "mon")))
    days = {
        d.astimezone(ZoneInfo("Africa/Nairobi")).strftime("%a")
        for d in fires(weekly, datetime(2026, 1, 1, tzinfo=UTC), 6)
    }
    assert days == {"Mon", "Thu"}
    assert weekly.describe() == "Every Monday and Thursday at 06:30 (Africa/Nairobi)"


def test_cron_weekdays_count_from_sunday_as_cron_does() -> None:
    sunday = validate(Schedule("cron", "UTC", cron="0 9 * * 0"))
    workdays = validate(Schedule("cron", "UTC", cron="0 9 * * 1-5"))
    assert next_run(sunday, datetime(2026, 1, 1, tzinfo=UTC)).strftime("%A") == "Sunday"  # type: ignore[union-attr]
    names = {d.strftime("%a") for d in fires(workdays, datetime(2026, 1, 1, tzinfo=UTC), 10)}
    assert names == {"Mon", "Tue", "Wed", "Thu", "Fri"}


@pytest.mark.parametrize("cron", ["61 * * * *", "0 9 * *", "every day", "0 25 * * *", "0 9 * * 9"])
def test_an_invalid_cron_is_refused_with_what_the_fields_are(cron: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate(Schedule("cron", "UTC", cron=cron))
    assert cron.split()[0] in str(err.value) and ("minute" in str(err.value))


def test_a_time_that_does_not_exist_says_when_it_runs_instead() -> None:
    gap = validate(Schedule("daily", "Europe/Berlin", "02:30"))
    notes = dst_warnings(gap, datetime(2026, 1, 1, tzinfo=UTC))
    assert notes[0] == (
        "02:30 does not exist in Europe/Berlin on 29 March 2026 (clocks go forward); that day the pipeline runs at 03:30."
    )
    spring = fires(gap, datetime(2026, 3, 28, 12, tzinfo=BERLIN), 2)
    assert spring[0].astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 summer time


def test_a_time_that_happens_twice_runs_once() -> None:
    fold = validate(Schedule("daily", "Europe/Berlin", "02:30"))
    notes = dst_warnings(fold, datetime(2026, 6, 1, tzinfo=UTC))
    assert notes[0] == (
        "02:30 happens twice in Europe/Berlin on 25 October 2026 (clocks go back); the pipeline runs once, at the first 02:30."
    )
    autumn = fires(fold, datetime(2026, 10, 24, 12, tzinfo=BERLIN), 3)
    assert [d.astimezone(UTC) - autumn[0].astimezone(UTC) for d in autumn] == [
        timedelta(0),
        timedelta(hours=25),
        timedelta(hours=49),
    ]


def test_a_zone_without_dst_has_no_warnings() -> None:
    assert dst_warnings(validate(Schedule("daily", "Asia/Kolkata", "02:30")), datetime(2026, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (Schedule("daily", "Mars/Olympus", "09:00"), "not a time zone"),
        (Schedule("daily", "UTC", "9am"), "not a time of day"),
        (Schedule("daily", "UTC", "24:00"), "not a time of day"),
        (Schedule("weekly", "UTC", "09:00", ()), "at least one day"),
        (Schedule("cron", "UTC", cron=" "), "needs a cron expression"),
    ],
)
def test_bad_schedule_parts_are_named(schedule: Schedule, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        validate(schedule)
