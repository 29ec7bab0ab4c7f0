"""Why a date written YYYY-MM-DD is not a date: 2024-02-30 → “2月没有30日”."""
from __future__ import annotations

import calendar
import datetime as dt
import re

_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def why_not_a_date(text: str) -> tuple[str, str] | None:
    """(中文, English) saying what is impossible in a date of the right shape (month 13, February
    30th, February 29th of a common year), None when it is a date or not of the shape YYYY-MM-DD."""
    m = _DATE.match(str(text))
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        return f"没有{month}月（月份是 1–12）", f"there is no month {month} (months are 1-12)"
    last = calendar.monthrange(max(year, 1), month)[1]
    if day == 0:
        return "日期不能是 0 日", "the day cannot be 0"
    if day > last:
        if month == 2 and day == 29:
            return f"{year}年不是闰年，2月没有29日", f"{year} is not a leap year: February has no 29th"
        return f"{month}月没有{day}日（{month}月只有{last}天）", f"month {month} has no day {day} (it has {last} days)"
    try:
        dt.date(year, month, day)
    except ValueError:
        return "不是有效的日期", "not a valid date"
    return None


def parse_date_option(text: str) -> tuple[dt.date | None, tuple[str, str] | None]:
    """A --date value → (date, None) or (None, (中文, English) saying what is wrong)."""
    try:
        return dt.date.fromisoformat(text.strip()), None
    except ValueError:
        why = why_not_a_date(text)
        if why:
            return None, (f"日期 {text} 不对：{why[0]}", f"bad date {text}: {why[1]}")
        return None, (f"日期 {text} 不对，格式为 YYYY-MM-DD", f"bad date {text}: use YYYY-MM-DD")
