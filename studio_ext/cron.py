"""Cron expressions in an IANA time zone: validation with field-naming messages, and tick arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from .exceptions import InvalidParameter

FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day-of-week", "0-7 or sun-sat, 0 and 7 are Sunday"),
)

# The usual shorthands; each stands for a 5-field expression, so storing either form is fine.
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def normalize(expression: str, field: str = "schedule") -> str:
    """The expression with single spaces (aliases kept), or InvalidParameter naming the bad part."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidParameter(f"{field}: a cron expression is required, e.g. '0 6 * * *' (06:00 every day)")
    text = " ".join(expression.split())
    expanded = ALIASES.get(text.lower())
    if text.startswith("@") and expanded is None:
        raise InvalidParameter(f"{field}: unknown shorthand {text!r}; use one of {', '.join(ALIASES)} "
                               "or 5 fields (minute hour day-of-month month day-of-week)")
    parts = (expanded or text).split(" ")
    if len(parts) != 5:
        raise InvalidParameter(f"{field}: {text!r} has {len(parts)} field(s); a cron expression has exactly 5: "
                               "minute hour day-of-month month day-of-week (e.g. '*/15 * * * *')")
    for index, (name, allowed) in enumerate(FIELDS):
        # Check each field alone (the others as '*') so the message can say which one is wrong.
        probe = ["*"] * 5
        probe[index] = parts[index]
        if not croniter.is_valid(" ".join(probe)):
            raise InvalidParameter(f"{field}: the {name} field {parts[index]!r} of {text!r} is not valid "
                                   f"(allowed: {allowed}, with '*', ',', '-' and '/')")
    if not croniter.is_valid(" ".join(parts)):
        raise InvalidParameter(f"{field}: {text!r} is not a valid cron expression")
    try:
        croniter(" ".join(parts), datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        raise InvalidParameter(f"{field}: {text!r} never matches a real date (e.g. February 30)") from None
    return text.lower() if expanded else text


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called name, or InvalidParameter."""
    try:
        if not name or name != name.strip():
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidParameter(f"{field}: {name!r} is not an IANA time zone; use a name like 'UTC', "
                               "'Europe/Berlin' or 'America/New_York'") from None


def _as_utc(instant: datetime) -> datetime:
    # Naive datetimes are UTC throughout the studio (the database stores naive UTC).
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


class CronSchedule:
    """A validated 5-field cron expression evaluated in one time zone.

    Ticks are computed on wall-clock time in the zone (croniter with aware datetimes), returned as
    aware UTC. Daylight saving: a wall time skipped by spring-forward fires at the first instant
    after the gap (croniter's behaviour); a wall time repeated by fall-back fires once when the
    hour field is fixed (e.g. '30 2 * * *'), like Vixie cron, but every repetition when the hour
    field is a wildcard ('*/30 * * * *' keeps its 30-minute rhythm).
    """

    def __init__(self, expression: str, timezone: str = "UTC"):
        self.expression = normalize(expression)
        self.tz = zone(timezone)
        self._cron = ALIASES.get(self.expression, self.expression)
        self._fixed_hour = not self._cron.split(" ")[1].startswith("*")

    def _repeated(self, tick: datetime) -> bool:
        """True for the second occurrence of a wall time that fall-back repeats, on fixed-hour schedules."""
        if not self._fixed_hour:
            return False
        wall = tick.replace(tzinfo=None)
        first = wall.replace(tzinfo=self.tz, fold=0).utcoffset()
        second = wall.replace(tzinfo=self.tz, fold=1).utcoffset()
        return first != second and tick.utcoffset() == second

    def next_after(self, instant: datetime) -> datetime:
        """The first tick strictly after instant (UTC)."""
        it = croniter(self._cron, _as_utc(instant).astimezone(self.tz))
        while True:
            tick = it.get_next(datetime)
            if not self._repeated(tick):
                return tick.astimezone(UTC)

    def latest_at_or_before(self, instant: datetime) -> datetime:
        """The last tick at or before instant (UTC)."""
        # croniter's get_prev is strictly before its start; start a microsecond later to include
        # a tick that falls exactly on instant (ticks are whole minutes).
        it = croniter(self._cron, (_as_utc(instant) + timedelta(microseconds=1)).astimezone(self.tz))
        while True:
            tick = it.get_prev(datetime)
            if not self._repeated(tick):
                return tick.astimezone(UTC)

    def local(self, instant: datetime) -> datetime:
        """instant as wall-clock time in the schedule's zone."""
        return _as_utc(instant).astimezone(self.tz)

