"""is_date: does the output denote a date (or a date-time)?"""

from __future__ import annotations

import datetime
import re
import warnings

from .base import Arg, Args, MetricSpec, Record, Score, field_text, pass_fail

STRUCTURAL = "Structural"
MAX_DATE_CHARS = 200

# The serialized form of Python's native date and datetime (isoformat), with either separator, optional
# seconds and fraction, and an optional offset or Z.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
)
TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%T", "%R")


class ParsedDate:
    def __init__(self, has_time: bool, has_timezone: bool, how: str):
        self.has_time = has_time
        self.has_timezone = has_timezone
        self.how = how


def _parse_iso(text: str) -> ParsedDate | None:
    try:
        if ISO_DATE.fullmatch(text):
            datetime.date.fromisoformat(text)
            return ParsedDate(False, False, "ISO-8601 date")
        if match := ISO_DATETIME.fullmatch(text):
            datetime.datetime.fromisoformat(text)
            return ParsedDate(True, match["zone"] is not None, "ISO-8601 datetime")
    except ValueError:  # right shape, impossible value such as 2024-02-30
        return None
    return None


def _parse_with_formats(text: str, formats: list[str]) -> ParsedDate | None:
    for date_format in formats:
        try:
            parsed = datetime.datetime.strptime(text, date_format)
        except ValueError:
            continue
        has_time = any(directive in date_format for directive in TIME_DIRECTIVES)
        return ParsedDate(has_time, parsed.tzinfo is not None, f"format {date_format}")
    return None


def _parse_lenient(text: str) -> ParsedDate | None:
    from dateutil import parser  # type: ignore[import-untyped]  # no stubs are installed for python-dateutil

    # Parse twice with different defaults: a component that changes with the default was not in the text.
    first_default = datetime.datetime(2001, 1, 1, 0, 0)
    second_default = datetime.datetime(2002, 2, 2, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown timezone names warn; they simply leave the value naive
        try:
            first = parser.parse(text, default=first_default)
            second = parser.parse(text, default=second_default)
        except (ValueError, OverflowError):
            return None
    if first.month != second.month or first.day != second.day:
        return None  # a lone year, weekday or time is not a date
    return ParsedDate(first.hour == second.hour, first.tzinfo is not None, "a recognisable date")


def _few_formats(args: Args) -> bool:
    # Each allowed format is one strptime attempt: a long list is not a small evaluation.
    return len(args.get("allowed_formats") or ()) <= 20


def score_is_date(record: Record, args: Args) -> Score:
    text = field_text(record, "output")
    if not text.strip():
        return pass_fail(False, "output is empty")
    if len(text) > MAX_DATE_CHARS:
        return pass_fail(False, "output is too long to be a date")
    parsed = _parse_iso(text)
    if parsed is None and not args.get("strict_type", True):
        formats = args.get("allowed_formats")
        parsed = _parse_with_formats(text, formats) if formats else _parse_lenient(text)
    if parsed is None:
        if args.get("strict_type", True):
            return pass_fail(False, "output is not an ISO-8601 date or datetime")
        return pass_fail(False, "output is not a date in an accepted format")
    if args.get("require_datetime", False) and not parsed.has_time:
        return pass_fail(False, f"output is {parsed.how} without a time")
    if args.get("require_timezone", False) and not parsed.has_timezone:
        return pass_fail(False, f"output is {parsed.how} without a timezone")
    return pass_fail(True, f"output is {parsed.how}")


SPECS = [
    MetricSpec(
        id=8,
        shortname="is_date",
        name="Is date",
        category=STRUCTURAL,
        description=(
            "Passes when the output is a date. With strict_type (default) only the ISO-8601 form of a native "
            "date or datetime is accepted (2024-05-01, 2024-05-01T13:45:00+02:00, Z allowed). Without it, the "
            "output may instead match one of allowed_formats (strptime) or, when none are given, any date that "
            "python-dateutil recognises with at least a month and a day. require_datetime needs a time; "
            "require_timezone needs an offset or zone. Surrounding spaces are not trimmed; empty fails."
        ),
        default_threshold=100,
        inputs=("output",),
        args=(
            Arg("require_datetime", "boolean", default=False, description="Require a time of day."),
            Arg("require_timezone", "boolean", default=False, description="Require a timezone offset."),
            Arg(
                "allowed_formats",
                "array",
                item_type="string",
                description="strptime formats accepted when strict_type is false, e.g. %d/%m/%Y.",
            ),
            Arg(
                "strict_type",
                "boolean",
                default=True,
                description="Accept only the ISO-8601 form of a native date or datetime.",
            ),
        ),
        is_active=True,
        scorer=score_is_date,
        linear_when=_few_formats,
    ),
]
