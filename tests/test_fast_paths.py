"""The shortcuts that keep start-up and `validate` fast give the answers of the slow paths they stand in for:
shape.py against the pydantic model, the one-file time zone check against the machine's list of zones, typer's
coercion of texts, plain stderr lines against rich's; and a valid run imports neither pydantic nor rich."""

from __future__ import annotations

import io
import subprocess
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cloudevents_cli.definitions import keys, platform_formats, shape
from cloudevents_cli.definitions.loader import load
from cloudevents_cli.definitions.model import Dates, Definition, Events, Resource
from cloudevents_cli.output import Output

SAMPLES = Path(__file__).resolve().parent.parent / "sample-configs"

# -- shape.py against the model ------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "polling", "webhooks", "webhook", "x", "GMT", "1"]),
    st.text(max_size=3),
)
_any = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=4,
)


def _section(names: list[str], value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings of mostly known keys, each value either plausible or anything."""
    return st.dictionaries(st.sampled_from([*names, "extra", "idField"]), st.one_of(value, _any), max_size=6)


_dates = _section(list(Dates.model_fields), _scalars)
_resource = _section(list(Resource.model_fields), st.one_of(_scalars, _dates))
_events = _section(
    list(Events.model_fields), st.one_of(_scalars, st.dictionaries(st.text(max_size=2), _resource, max_size=2))
)
_definitions = st.builds(
    lambda head, rest: {**head, **rest},
    st.fixed_dictionaries({}, optional={"name": _scalars, "element": _scalars}),
    _section(
        list(Definition.model_fields),
        st.one_of(
            _scalars,
            _events,
            st.lists(st.text(max_size=3), max_size=2),
            st.lists(st.dictionaries(st.text(max_size=2), _scalars, max_size=2), max_size=2),
            st.dictionaries(st.text(max_size=2), _any, max_size=2),
        ),
    ),
)


def _model_passes(data: Any) -> bool:
    try:
        Definition.model_validate(data)
    except ValidationError:
        return False
    return True


@settings(max_examples=600, deadline=None)
@given(_definitions)
def test_shape_never_passes_what_the_model_refuses(data: dict[str, Any]) -> None:
    if shape.fits(data):
        assert _model_passes(data), data


def test_shape_knows_the_models_keys() -> None:
    assert set(shape.TOP_LEVEL) == set(Definition.model_fields)
    for scope, model in (("instance", Events), ("resource", Resource), ("dates", Dates)):
        assert {k.short_key for k in keys.section_keys(scope)} == set(model.model_fields)


def test_valid_samples_take_the_fast_path() -> None:
    docs = [doc for f in sorted(SAMPLES.glob("*.yaml")) for doc in load(str(f))[0]]
    plain = [doc for doc in docs if "tenants" not in doc.data]
    assert plain and all(shape.fits(doc.data) for doc in plain if _model_passes(doc.data))


@pytest.mark.parametrize(
    "data",
    [
        {"name": "a", "element": "b", "events": {"enabled": None}},  # enabled has a default, not None
        {"name": "a", "element": "b", "events": {"refresh_interval": True}},  # strict: a bool is no number
        {"name": "a", "element": "b", "events": {"refresh_interval": 0}},
        {"name": "a", "element": "b", "events": {"resources": {"c": {"url": ""}}}},
        {"name": "a", "element": "b", "events": {"resources": {"c": None}}},
        {"name": "a", "element": "b", "events": {"type": "poll"}},
        {"name": "", "element": "b"},
        {"name": "a"},
        {"name": "a", "element": "b", "tags": ("x",)},
        {"name": "a", "element": "b", "tenants": [{"k": [1]}]},
    ],
)
def test_shape_refuses_what_the_model_refuses(data: dict[str, Any]) -> None:
    assert not _model_passes(data)
    assert not shape.fits(data)


def test_a_definition_with_problems_still_gets_the_models_messages(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text("name: a\nelement: b\nevents:\n  type: polling\n  refresh_intervall: 5\n")
    res = cli("validate", str(f))
    assert res.exit_code == 3
    assert "unknown key 'refresh_intervall' in events" in res.stderr
    assert "did you mean 'refresh_interval'?" in res.stderr


# -- time zones ----------------------------------------------------------------------------------------------


def test_every_zone_of_the_machine_is_found_by_its_file() -> None:
    regions = platform_formats.region_ids()
    found = {z for z in zoneinfo.available_timezones() if platform_formats._is_zone_file(z)}
    assert found == set(regions)


_zone_text = st.text(alphabet="/._-+AEGMTUacdeilmnoprstxz0123456789", max_size=20)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_zone_text, st.sampled_from(sorted(zoneinfo.available_timezones())).map(lambda z: z + "/")))
def test_a_zone_found_by_its_file_is_a_region_id(zone: str) -> None:
    if platform_formats._is_zone_file(zone):
        assert zone in platform_formats.region_ids()


@pytest.mark.parametrize(
    "zone", ["posix/Europe/Berlin", "right/UTC", "../zoneinfo/UTC", "Europe//Berlin", "Europe/./Berlin", "zone.tab",
             "posixrules", "localtime", "", "/etc/passwd", "Europe", "Europe/Berlin/", "a\x00b"]
)  # fmt: skip
def test_files_that_are_not_zone_ids_are_not_taken_for_one(zone: str) -> None:
    assert not platform_formats._is_zone_file(zone)


def test_region_ids_and_valid_offsets_need_no_list_of_zones(monkeypatch: pytest.MonkeyPatch) -> None:
    def listing() -> frozenset[str]:
        raise AssertionError("every zone of the machine listed")

    platform_formats._timezone_error.cache_clear()
    monkeypatch.setattr(platform_formats, "region_ids", listing)
    try:
        for zone in ("America/Denver", "Europe/Berlin", "GMT-08:00", "+05:30", "UTC+1"):
            assert platform_formats.check_timezone(zone) is None, zone
    finally:
        platform_formats._timezone_error.cache_clear()


# -- plain stderr lines, typer's texts -----------------------------------------------------------------------


def _rich_line(text: str) -> str:
    buf = io.StringIO()
    out = Output(stderr=buf)
    _ = out.err  # a console made first: every line goes through rich
    out.warn(text)
    return buf.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_plain_stderr_lines_are_what_rich_writes(text: str) -> None:
    buf = io.StringIO()
    Output(stderr=buf).warn(text)
    assert buf.getvalue() == _rich_line(text)


def test_texts_and_paths_reach_the_command_as_typer_gives_them(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text("name: a\nelement: b\n")
    assert cli("--timeout", "abc", "validate", str(f)).exit_code == 2  # not a text: typer's own coercion
    res = cli("--profile", "p", "validate", "-o", "json", str(f), str(f), "--no-unique")
    assert res.exit_code == 0, res.stderr
    assert '"definitions": 2' in res.stdout


def test_valid_validate_imports_neither_pydantic_nor_rich(tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        "name: a\nelement: hubspotcrm\nevents:\n  type: polling\n  callback_url: https://h.example.com/cb\n"
        "  signature_key: a-long-signature-key-0123\n  resources:\n    contacts:\n      url: /hubs/crm/contacts\n"
        "      id_field: id\n      dates:\n        updated_field: x\n        updated_timezone: America/Denver\n"
    )
    code = (
        f"import sys; sys.argv=['cloudevents','validate','--strict','-o','json',{str(f)!r}]\n"
        "from cloudevents_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "sys.stderr.write('HEAVY=' + ','.join(m for m in ('pydantic', 'rich') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY=" in proc.stderr, proc.stderr
    assert proc.stderr.rsplit("HEAVY=", 1)[1].strip() == ""


# -- the build of a batch, the loading of one command --------------------------------------------------------


def test_a_batch_makes_no_garbage_cycles_and_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    import gc

    from cloudevents_cli.definitions.pipeline import build

    (tmp_path / "bad.yaml").write_text("name: a\nelement: b\nevents:\n  type: poll\n  refresh_intervall: 5\n")
    (tmp_path / "broken.yaml").write_text("name: [\n")
    (tmp_path / "tenants.yaml").write_text("name: t-${tenant.n}\nelement: b\ntenants: [{n: 1}, {n: x}]\n")
    samples = [str(f) for f in sorted(SAMPLES.glob("*.yaml"))]
    gc.collect()
    batch = build([str(tmp_path), *samples])
    assert batch.errors and gc.isenabled()
    assert gc.collect() == 0  # nothing for the paused collector to have found
    assert gc.get_freeze_count() == 0  # what it made went to the oldest generation, not frozen
    gc.disable()
    try:
        build([str(tmp_path)])
        assert not gc.isenabled()
    finally:
        gc.enable()
    frozen = [object() for _ in range(3)]
    gc.freeze()  # a process that froze objects itself keeps them frozen
    try:
        count = gc.get_freeze_count()
        build([str(tmp_path)])
        assert gc.get_freeze_count() == count and frozen
    finally:
        gc.unfreeze()


def test_a_command_is_built_alone_with_the_help_of_its_module(cli: Any) -> None:
    res = cli("render", "--help")
    assert res.exit_code == 0 and "--callback-url" in res.stdout
    res = cli("profile", "--help")  # a sub-group: built with its module's Typer
    assert res.exit_code == 0 and "add" in res.stdout


def test_a_files_folder_resolved_once_a_run_is_its_resolved_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudevents_cli.definitions.loader import _folder

    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "d.yaml").write_text("name: a\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link-dir").symlink_to(real)
    (tmp_path / "elsewhere" / "link.yaml").symlink_to(real / "sub" / "d.yaml")
    monkeypatch.chdir(real / "sub")
    sources = [
        "d.yaml",
        "./d.yaml",
        "../sub/d.yaml",
        str(tmp_path / "link-dir" / "sub" / "d.yaml"),
        str(tmp_path / "link-dir" / "sub" / ".." / "sub" / "d.yaml"),
        str(tmp_path / "elsewhere" / "link.yaml"),  # a link: its target's folder
        "../../elsewhere/link.yaml",
    ]
    known: dict[str, Path] = {}
    for source in sources * 2:  # the second time from what is known
        assert _folder(source, known) == Path(source).resolve().parent, source
