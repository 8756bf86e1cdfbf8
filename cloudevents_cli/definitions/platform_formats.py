"""Checks for the platform's date formats, time zones and poller-URL macros. Pure, stdlib only, cached.

What counts as valid follows what the platform (Java) accepts:
- date formats are `java.text.SimpleDateFormat` patterns, or the literal `milliseconds`;
- time zones are what `java.util.TimeZone` / `java.time.ZoneId` resolve: region ids, short ids, offsets;
- poller URLs may carry the platform's macros (`${gmtDate:PATTERN}`, `${epoch:ms}`, ...), which reach the
  platform untouched and are expanded there.

Every function returns a message (or issues) instead of raising, whatever the input. Positions in messages
count from 1, as editors do; `MacroIssue.offset` is a 0-based index into the string that was scanned.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache

MILLISECONDS = "milliseconds"

# java.text.SimpleDateFormat: the pattern letters (Java 7+: Y, u, X; Java 8+: L).
PATTERN_LETTERS = frozenset("GyYMLwWDdFEuaHkKhmsSzZX")

# java.time.ZoneId.SHORT_IDS, plus java.util.TimeZone's old three-letter ids (same set).
JAVA_SHORT_IDS = frozenset(
    {
        "ACT", "AET", "AGT", "ART", "AST", "BET", "BST", "CAT", "CNT", "CST", "CTT", "EAT", "ECT", "IET",
        "IST", "JST", "MIT", "NET", "NST", "PLT", "PNT", "PRT", "PST", "SST", "VST", "EST", "MST", "HST",
    }
)  # fmt: skip
_UTC_IDS = frozenset({"GMT", "UTC", "UT", "Z"})
# Files the tz database ships that are not zone ids Java knows.
_NOT_JAVA_ZONES = frozenset({"localtime", "posixrules", "Factory"})

# [GMT|UTC|UT] sign, 1-2 digit hours, optional [:]mm. Without a prefix the sign is still required.
_OFFSET = re.compile(r"(?P<prefix>GMT|UTC|UT)?(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?")


# -- date formats -----------------------------------------------------------------------------------------


def check_date_format(pattern: str) -> str | None:
    """None when PATTERN is a valid SimpleDateFormat pattern or `milliseconds`; else what is wrong, where."""
    found = _date_format_error(pattern)
    if found and pattern.strip().lower() == MILLISECONDS:
        return f"{found[0]}; to mean epoch milliseconds write '{MILLISECONDS}' in lower case"
    return found[0] if found else None


@lru_cache(maxsize=4096)
def _date_format_error(pattern: str) -> tuple[str, int] | None:
    """(message, 0-based index of the fault) or None. Mirrors SimpleDateFormat.compile()."""
    if pattern == MILLISECONDS:
        return None
    if not pattern:
        return ("empty date format", 0)
    in_quote = False
    quote_start = 0
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if i + 1 < n and pattern[i + 1] == "'":  # '' is a literal quote, inside or outside quoted text
                i += 2
                continue
            in_quote = not in_quote
            quote_start = i
            i += 1
            continue
        if not in_quote and ("a" <= c <= "z" or "A" <= c <= "Z"):
            if c not in PATTERN_LETTERS:
                return (
                    f"unknown pattern letter '{c}' at position {i + 1} (quote literal text, e.g. '{c}')",
                    i,
                )
            run = i
            while run < n and pattern[run] == c:
                run += 1
            if c == "X" and run - i > 3:
                return (f"'X' repeated {run - i} times at position {i + 1} (at most XXX)", i)
            i = run
            continue
        i += 1
    if in_quote:
        return (f"unterminated quote starting at position {quote_start + 1}", quote_start)
    return None


# -- time zones -------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def region_ids() -> frozenset[str]:
    """The IANA region ids this machine knows (zoneinfo), minus files that are not zone ids."""
    try:
        import zoneinfo

        return frozenset(zoneinfo.available_timezones()) - _NOT_JAVA_ZONES
    except Exception:  # no zoneinfo data at all: region ids cannot be checked
        return frozenset()


def _is_zone_file(zone: str) -> bool:
    """True when ZONE is certainly in region_ids(), found without listing every zone of the machine: a TZif file
    where zoneinfo.available_timezones() would list it (below a zone root, through real directories it can read,
    not under right/ or posix/). False says nothing: region_ids() decides then."""
    parts = zone.split("/")
    if zone in _NOT_JAVA_ZONES or parts[0] in ("right", "posix") or any(p in ("", ".", "..") for p in parts):
        return False
    import zoneinfo

    for root in zoneinfo.TZPATH:
        folders = [os.path.join(root, *parts[:i]) for i in range(len(parts))]  # the root, then the ones below
        try:
            walked = (
                os.path.isdir(root)
                and all(stat.S_ISDIR(os.lstat(f).st_mode) for f in folders[1:])  # a link to a folder is not entered
                and all(os.access(f, os.R_OK | os.X_OK) for f in folders)
            )
            path = os.path.join(root, *parts)
            if walked and stat.S_ISREG(os.stat(path).st_mode):
                with open(path, "rb") as f:
                    if f.read(4) == b"TZif":
                        return True
        except (OSError, ValueError):
            continue
    return False


@lru_cache(maxsize=1)
def _all_ids_folded() -> dict[str, str]:
    ids = region_ids() | JAVA_SHORT_IDS | _UTC_IDS
    return {z.casefold(): z for z in sorted(ids)}


def check_timezone(zone: str) -> str | None:
    """None when ZONE is a time zone Java resolves; else a message, with "did you mean" when one is close."""
    return _timezone_error(zone)


@lru_cache(maxsize=4096)
def _timezone_error(zone: str) -> str | None:
    if not zone:
        return "empty time zone"
    if zone in _UTC_IDS or zone in JAVA_SHORT_IDS or _is_zone_file(zone):
        return None
    offset = _OFFSET.fullmatch(zone)
    hours, minutes = (int(offset["hours"]), int(offset["minutes"] or 0)) if offset else (0, 0)
    if offset and hours <= 23 and minutes <= 59:
        return None  # a valid offset: whether a zone file has that name too changes nothing
    regions = region_ids()
    if zone in regions:
        return None
    if offset:
        if hours > 23:
            return f"offset hours must be 0-23 in time zone '{zone}'"
        return f"offset minutes must be 00-59 in time zone '{zone}'"
    if not regions and re.fullmatch(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)+", zone):
        return None  # no tz data on this machine: a region-shaped id gets the benefit of the doubt
    message = f"unknown time zone '{zone}'"
    suggestion = suggest_timezone(zone)
    if suggestion:
        message += f"; did you mean '{suggestion}'?"
    else:
        message += " (use a region id like America/Denver, GMT, or an offset like GMT-08:00)"
    return message


@lru_cache(maxsize=4096)
def suggest_timezone(zone: str) -> str | None:
    """The known zone id closest to ZONE (case-insensitive), or None."""
    folded = _all_ids_folded()
    key = zone.strip().casefold()
    if not key:
        return None
    if key in folded:
        return folded[key]
    upper = zone.strip().upper()
    if _OFFSET.fullmatch(upper) and _timezone_error(upper) is None:  # gmt+8 -> GMT+8
        return upper
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.8)
    return folded[close[0]] if close else None


# -- macros in poller URLs --------------------------------------------------------------------------------

MACROS: tuple[str, ...] = ("gmtDate", "date", "dateTimeZone", "epoch", "milliseconds")
MACRO_FORMS: tuple[str, ...] = (
    "${gmtDate:PATTERN}",
    "${date:PATTERN}",
    "${date}",
    "${dateTimeZone:ZONE:PATTERN}",
    "${epoch}",
    "${epoch:s}",
    "${epoch:ms}",
    "${epoch:us}",
    "${milliseconds}",
)
EPOCH_UNITS: tuple[str, ...] = ("s", "ms", "us")
# Other spellings of a macro name that official material uses (the Revel guide's ${DateTimeZone:...}, 3 times,
# against 235 uses of the documented names across the developer portal): whether the platform expands them is
# not known, so they are a warning (macro-case) instead of the unknown-macro error that ${gmtdate:...} gets.
SEEN_SPELLINGS: dict[str, str] = {"DateTimeZone": "dateTimeZone"}


def known_macro_names() -> frozenset[str]:
    return frozenset(MACROS)


@dataclass(frozen=True)
class MacroIssue:
    """One problem with a `${...}` in a poller URL.

    code: unbalanced-macro | unknown-macro | bad-date-format | unknown-timezone (errors) | macro-case (a warning).
    offset: 0-based index into the scanned string (the message does not repeat it): the `$` of the macro
    for unbalanced-macro and unknown-macro, the faulty character of the pattern for bad-date-format, the
    start of the zone for unknown-timezone, the `$` for macro-case.
    suggestion: for unknown-macro, macro-case and unknown-timezone, the likely intended name or zone.
    """

    code: str
    message: str
    offset: int
    suggestion: str | None = None


def scan_macros(url: str) -> list[MacroIssue]:
    """Every problem with the `${...}` macros in URL, in order; [] when all are known and well formed.

    URL is the final string sent to the platform: every `${` in it starts a platform macro.
    """
    return list(_scan(url))


@lru_cache(maxsize=4096)
def _scan(url: str) -> tuple[MacroIssue, ...]:
    issues: list[MacroIssue] = []
    pos = url.find("${")
    while pos != -1:
        close = url.find("}", pos + 2)
        nested = url.find("${", pos + 2)
        if close == -1 or (nested != -1 and nested < close):
            end = nested if nested != -1 and (close == -1 or nested < close) else len(url)
            shown = _shorten(url[pos:end])
            issues.append(MacroIssue("unbalanced-macro", f"'{shown}' has no closing '}}'", pos))
            pos = nested
            continue
        issues.extend(_check_macro(url, pos, close))
        pos = url.find("${", close + 1)
    return tuple(issues)


def _check_macro(url: str, start: int, close: int) -> list[MacroIssue]:
    body_at = start + 2
    body = url[body_at:close]
    macro = url[start : close + 1]
    name, sep, arg = body.partition(":")
    arg_at = body_at + len(name) + len(sep)
    if name in SEEN_SPELLINGS:
        proper = SEEN_SPELLINGS[name]
        seen = MacroIssue(
            "macro-case",
            f"{_shorten(macro)}: the platform documents this macro as '{proper}' (macro names are case-sensitive); "
            f"'{name}' appears in one official guide only, so it may not be expanded",
            start,
            proper,
        )
        return [seen, *_check_named(url, start, close, proper, sep, arg, arg_at)]
    return _check_named(url, start, close, name, sep, arg, arg_at)


def _check_named(url: str, start: int, close: int, name: str, sep: str, arg: str, arg_at: int) -> list[MacroIssue]:
    macro = url[start : close + 1]
    if name in ("gmtDate", "date"):
        if not sep:
            if name == "date":
                return []
            return [_unknown(macro, start, "gmtDate needs a pattern: ${gmtDate:PATTERN}", "gmtDate")]
        return _pattern_issues(macro, arg, arg_at)
    if name == "dateTimeZone":
        return _date_time_zone_issues(macro, start, arg if sep else None, arg_at)
    if name == "epoch":
        if not sep or arg in EPOCH_UNITS:
            return []
        return [
            _unknown(
                macro,
                start,
                f"unknown epoch unit '{arg}' (use ${{epoch}}, ${{epoch:s}}, ${{epoch:ms}} or ${{epoch:us}})",
                _suggest(arg, EPOCH_UNITS, "epoch:"),
            )
        ]
    if name == "milliseconds":
        if not sep:
            return []
        return [_unknown(macro, start, "${milliseconds} takes no argument", "milliseconds")]

    suggestion = _suggest(name, MACROS)
    if suggestion:
        hint = f"did you mean '{suggestion}'? (macro names are case-sensitive)"
    else:
        hint = "known macros: " + ", ".join(MACRO_FORMS)
    return [_unknown(macro, start, f"unknown macro '{name}'; {hint}", suggestion)]


def _unknown(macro: str, start: int, detail: str, suggestion: str | None) -> MacroIssue:
    return MacroIssue("unknown-macro", f"{_shorten(macro)}: {detail}", start, suggestion)


def _pattern_issues(macro: str, pattern: str, pattern_at: int) -> list[MacroIssue]:
    found = _date_format_error(pattern)
    if found is None:
        return []
    message, index = found
    return [MacroIssue("bad-date-format", f"{_shorten(macro)}: in the date pattern, {message}", pattern_at + index)]


def _date_time_zone_issues(macro: str, start: int, arg: str | None, arg_at: int) -> list[MacroIssue]:
    if arg is None or ":" not in arg:
        return [
            _unknown(
                macro,
                start,
                "dateTimeZone needs a zone and a pattern: ${dateTimeZone:ZONE:PATTERN}",
                "dateTimeZone",
            )
        ]
    # A zone may hold ':' itself (GMT-08:00): prefer the split where both parts are valid, then a valid zone.
    splits = [i for i, c in enumerate(arg) if c == ":"]
    chosen = splits[0]
    for i in splits:
        if _timezone_error(arg[:i]) is None and _date_format_error(arg[i + 1 :]) is None:
            chosen = i
            break
    else:
        for i in splits:
            if _timezone_error(arg[:i]) is None:
                chosen = i
                break
    zone, pattern = arg[:chosen], arg[chosen + 1 :]
    issues: list[MacroIssue] = []
    zone_error = _timezone_error(zone)
    if zone_error is not None:
        issues.append(
            MacroIssue("unknown-timezone", f"{_shorten(macro)}: {zone_error}", arg_at, suggest_timezone(zone))
        )
    issues.extend(_pattern_issues(macro, pattern, arg_at + chosen + 1))
    return issues


def _suggest(word: str, choices: tuple[str, ...], prefix: str = "") -> str | None:
    folded = {c.casefold(): c for c in choices}
    if word.casefold() in folded:
        return prefix + folded[word.casefold()]
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return prefix + folded[close[0]] if close else None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
