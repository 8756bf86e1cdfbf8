"""Date formats, time zones and poller-URL macros, as the platform (Java) reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudevents_cli.definitions.platform_formats import (
    MACROS,
    MacroIssue,
    check_date_format,
    check_timezone,
    known_macro_names,
    scan_macros,
)

SEED_URL = "/hubs/crm/contacts?where=lastUpdated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'"


# -- date formats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "EEE, dd MMM yyyy HH:mm:ss Z",
        "milliseconds",
        "yyyy-MM-dd",
        "yyyyMMddHHmmss",
        "YYYY-'W'ww-u",
        "hh 'o''clock' a, zzzz",
        "''",
        "''yyyy''",
        "'it''s' yyyy",
        "'quoted text only'",
        "G yy LLL w W D F E k K S",
        "X",
        "XX",
        "XXX",
        "yyyy-MM-dd HH:mm:ss.SSS Z",
        "dd/MM/yyyy @ HH:mm",
        "1234-_.,:/ ",
    ],
)
def test_valid_date_formats(pattern: str) -> None:
    assert check_date_format(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss'Z", "unterminated quote starting at position 22"),
        ("'abc", "unterminated quote starting at position 1"),
        ("'abc''", "unterminated quote starting at position 1"),
        ("yyyy-MM-ddTHH:mm:ss", "unknown pattern letter 'T' at position 11"),
        ("bbbb", "unknown pattern letter 'b' at position 1"),
        ("yyyy-MM-dd'T'HH:mm:ssZ'", "unterminated quote"),
        ("XXXX", "'X' repeated 4 times at position 1"),
        ("yyyy-MM-dd XXXXX", "'X' repeated 5 times at position 12"),
        ("", "empty date format"),
        ("Milliseconds", "unknown pattern letter 'i'"),
        ("yyyy-MM-dd hh:mm:ss tt", "unknown pattern letter 't' at position 21"),
    ],
)
def test_invalid_date_formats(pattern: str, expected: str) -> None:
    message = check_date_format(pattern)
    assert message is not None
    assert expected in message


def test_zulu_is_flagged_at_its_first_non_pattern_letter() -> None:
    # Z and u are pattern letters; l is not.
    assert "'l' at position 24" in (check_date_format("yyyy-MM-dd'T'HH:mm:ssZulu") or "")


# -- time zones -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone",
    [
        "GMT",
        "UTC",
        "UT",
        "Z",
        "America/Denver",
        "Europe/Berlin",
        "Asia/Kolkata",
        "US/Mountain",
        "Etc/GMT+8",
        "PST",
        "MST",
        "EST",
        "HST",
        "IST",
        "CTT",
        "VST",
        "EST5EDT",
        "GMT-08:00",
        "GMT+8",
        "GMT+0800",
        "GMT+08",
        "GMT-8:00",
        "UTC+01:00",
        "UT-05:00",
        "-8:00",
        "+05:30",
        "-0800",
        "+23:59",
    ],
)
def test_valid_timezones(zone: str) -> None:
    assert check_timezone(zone) is None


@pytest.mark.parametrize(
    ("zone", "suggestion"),
    [
        ("america/denver", "America/Denver"),
        ("US/Mountian", "US/Mountain"),
        ("America/Denvr", "America/Denver"),
        ("pst", "PST"),
        ("utc", "UTC"),
        (" GMT", "GMT"),
        ("gmt+8", "GMT+8"),
        ("Europe/Berln", "Europe/Berlin"),
    ],
)
def test_invalid_timezones_suggest(zone: str, suggestion: str) -> None:
    message = check_timezone(zone)
    assert message is not None
    assert f"did you mean '{suggestion}'?" in message


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("", "empty time zone"),
        ("Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"),
        ("GMT+24", "hours must be 0-23"),
        ("GMT+08:60", "minutes must be 00-59"),
        ("-08:75", "minutes must be 00-59"),
        ("8:00", "unknown time zone"),
        ("GMT+", "unknown time zone"),
        ("GMT+12345", "unknown time zone"),
        ("localtime", "unknown time zone"),
    ],
)
def test_invalid_timezones(zone: str, expected: str) -> None:
    message = check_timezone(zone)
    assert message is not None
    assert expected in message


# -- macros -----------------------------------------------------------------------------------------------


def test_known_macros() -> None:
    assert known_macro_names() == frozenset(MACROS)
    assert {"gmtDate", "date", "dateTimeZone", "epoch", "milliseconds"} == set(MACROS)


@pytest.mark.parametrize(
    "url",
    [
        SEED_URL,
        "/hubs/crm/contacts",
        "",
        "/x?since=${date}",
        "/x?since=${date:yyyy-MM-dd}",
        "/x?since=${epoch}&a=${epoch:s}&b=${epoch:ms}&c=${epoch:us}",
        "/x?since=${milliseconds}",
        "/x?since=${dateTimeZone:America/Denver:yyyy-MM-dd'T'HH:mm:ss}",
        "/x?since=${dateTimeZone:GMT-08:00:yyyy-MM-dd HH:mm}",
        "/x?since=${dateTimeZone:PST:HH:mm:ss}",
        "https://api.example.com/v1/items?updated_after=${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSSXXX}&limit=100",
        '/x?json={"a":1}',
        "/x?price=$5",
    ],
)
def test_urls_without_issues(url: str) -> None:
    assert scan_macros(url) == []


def _one(url: str) -> MacroIssue:
    issues = scan_macros(url)
    assert len(issues) == 1, issues
    return issues[0]


def test_wrong_case_macro_suggests_the_right_spelling() -> None:
    url = "/hubs/crm/contacts?where=lastUpdated>'${gmtdate:yyyy-MM-dd'T'HH:mm:ss'Z'}'"
    issue = _one(url)
    assert issue.code == "unknown-macro"
    assert issue.offset == url.index("${")
    assert issue.suggestion == "gmtDate"
    assert "did you mean 'gmtDate'?" in issue.message


def test_unknown_macro_without_suggestion_lists_the_known_ones() -> None:
    issue = _one("/x?a=${foo}")
    assert (issue.code, issue.offset, issue.suggestion) == ("unknown-macro", 5, None)
    assert "${gmtDate:PATTERN}" in issue.message


@pytest.mark.parametrize(
    ("url", "offset"),
    [
        ("/x?a=${gmtDate:yyyy-MM-dd", 5),
        ("${date", 0),
        ("/x?a=${epoch&b=${epoch:ms}", 5),
    ],
)
def test_unbalanced(url: str, offset: int) -> None:
    issue = _one(url)
    assert (issue.code, issue.offset) == ("unbalanced-macro", offset)
    assert "no closing '}'" in issue.message


def test_unbalanced_then_a_good_macro_then_another_unbalanced() -> None:
    url = "/x?a=${epoch&b=${date}&c=${gmtDate:yyyy"
    issues = scan_macros(url)
    assert [(i.code, i.offset) for i in issues] == [
        ("unbalanced-macro", 5),
        ("unbalanced-macro", url.rindex("${")),
    ]


def test_bad_pattern_inside_a_date_macro_points_at_the_letter() -> None:
    url = "/x?since=${gmtDate:yyyy-MM-ddTHH:mm:ss}"
    issue = _one(url)
    assert issue.code == "bad-date-format"
    assert issue.offset == url.index("T")
    assert "unknown pattern letter 'T'" in issue.message


def test_unterminated_quote_inside_a_macro() -> None:
    url = "/x?since=${date:yyyy-MM-dd'T'HH:mm:ss'Z}"
    issue = _one(url)
    assert issue.code == "bad-date-format"
    assert issue.offset == url.rindex("'")
    assert "unterminated quote" in issue.message


def test_empty_pattern_inside_a_macro() -> None:
    url = "/x?since=${gmtDate:}"
    issue = _one(url)
    assert (issue.code, issue.offset) == ("bad-date-format", url.index("}"))


def test_date_time_zone_with_bad_zone() -> None:
    url = "/x?since=${dateTimeZone:America/Denvr:yyyy-MM-dd}"
    issue = _one(url)
    assert issue.code == "unknown-timezone"
    assert issue.offset == url.index("America")
    assert issue.suggestion == "America/Denver"
    assert "did you mean 'America/Denver'?" in issue.message


def test_date_time_zone_with_bad_zone_and_bad_pattern() -> None:
    url = "/x?${dateTimeZone:Nowhere:bbbb}"
    issues = scan_macros(url)
    assert [(i.code, i.offset) for i in issues] == [
        ("unknown-timezone", url.index("Nowhere")),
        ("bad-date-format", url.index("bbbb")),
    ]


@pytest.mark.parametrize("url", ["/x?${dateTimeZone}", "/x?${dateTimeZone:GMT}", "/x?${gmtDate}"])
def test_date_macros_missing_their_arguments(url: str) -> None:
    issue = _one(url)
    assert (issue.code, issue.offset) == ("unknown-macro", 3)


def test_epoch_units() -> None:
    assert scan_macros("/x?${epoch:ms}") == []
    issue = _one("/x?${epoch:xx}")
    assert (issue.code, issue.offset) == ("unknown-macro", 3)
    assert "${epoch:ms}" in issue.message
    assert _one("/x?${epoch:MS}").suggestion == "epoch:ms"


def test_milliseconds_takes_no_argument() -> None:
    assert _one("/x?${milliseconds:x}").code == "unknown-macro"


def test_several_issues_in_order() -> None:
    url = "/x?a=${Date}&b=${epoch:ms}&c=${date:bbb}&d=${epoch:ns}"
    issues = scan_macros(url)
    assert [i.code for i in issues] == ["unknown-macro", "bad-date-format", "unknown-macro"]
    assert [i.offset for i in issues] == sorted(i.offset for i in issues)
    assert issues[0].suggestion == "date"


def test_scan_returns_a_fresh_list() -> None:
    first = scan_macros("/x?${foo}")
    first.clear()
    assert len(scan_macros("/x?${foo}")) == 1


# -- never raise ------------------------------------------------------------------------------------------

_text = st.text(alphabet=st.sampled_from("${}:'yMdHXTZz GMT+-0189/abAB\\\x00é"), max_size=40) | st.text()


@given(_text)
def test_check_date_format_never_raises(text: str) -> None:
    result = check_date_format(text)
    assert result is None or isinstance(result, str)


@given(_text)
def test_check_timezone_never_raises(text: str) -> None:
    result = check_timezone(text)
    assert result is None or isinstance(result, str)


@given(_text)
def test_scan_macros_never_raises(text: str) -> None:
    issues = scan_macros(text)
    for issue in issues:
        assert 0 <= issue.offset <= len(text)
        assert issue.code in {"unbalanced-macro", "unknown-macro", "bad-date-format", "unknown-timezone"}
