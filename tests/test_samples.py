"""sample-configs/: every sample validates cleanly with demo.env, renders the expected event keys, keeps its
secrets masked, fails (exit 3, located) without its variables, and README.md documents every variable.

A template (`tenants:`) is expanded here on its own, from its CSV, by plain text replacement: the oracle for
the bodies render prints. The tenants CSV's `${env:}` references count as the template's."""

from __future__ import annotations

import csv
import json
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SAMPLES

MASK = "********"
INVALID = 3  # ExitCode.INVALID
DEMO_ENV = SAMPLES / "demo.env"
README = SAMPLES / "README.md"
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
_DATES = (
    ("updated_field", "updatedDateField"),
    ("updated_format", "updatedDateFormat"),
    ("updated_timezone", "updatedDateTimezone"),
    ("created_field", "createdDateField"),
    ("created_format", "createdDateFormat"),
    ("created_timezone", "createdDateTimezone"),
    ("created_check_tolerance", "createdCheckTolerance"),
)

Cli = Callable[..., Any]


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


SAMPLE_FILES = sample_files()
IDS = [p.relative_to(SAMPLES).as_posix() for p in SAMPLE_FILES]


def demo_env() -> dict[str, str]:
    """demo.env parsed as the shell would source it: `export NAME=value` lines (values may be quoted)."""
    env: dict[str, str] = {}
    for raw in DEMO_ENV.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line, comments=True)
        assert words and words[0] == "export" and len(words) == 2 and "=" in words[1], f"not an export line: {raw!r}"
        name, _, value = words[1].partition("=")
        env[name] = value
    return env


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _scalars(child)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


def tenants_file(path: Path) -> Path | None:
    """The CSV a sample template names (`tenants: FILE.csv`), if it is one."""
    docs = definitions(path)
    spec = docs[0].get("tenants") if len(docs) == 1 else None
    return path.parent / spec if isinstance(spec, str) else None


def csv_env_refs(path: Path) -> list[tuple[str, bool, int, int]]:
    """Every ${env:...} in a tenants CSV, located at its cell (the samples' rows are one line each, unquoted)."""
    refs = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines()[1:], start=2):
        column = 1
        for cell in line.split(","):
            refs += [(m.group(1), m.group(2) is not None, line_no, column) for m in _ENV_REF.finditer(cell)]
            column += len(cell) + 1
    return refs


def env_refs(path: Path) -> list[tuple[str, bool, int, int]]:
    """Every ${env:...} in the file's values (not its comments): (name, has_default, line, column), from 1."""
    refs = []
    for root in yaml.compose_all(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader):
        if root is None:
            continue
        for node in _scalars(root):
            for match in _ENV_REF.finditer(node.value):
                refs.append(
                    (match.group(1), match.group(2) is not None, node.start_mark.line + 1, node.start_mark.column + 1)
                )
    return refs


def definitions(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def _fill(value: Any, row: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, row) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, row) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$\{tenant\.([A-Za-z0-9_-]+)\}", lambda m: row[m.group(1)], value)
    return value


def instances(path: Path) -> list[dict[str, Any]]:
    """The definitions of a file, a template's expanded over its tenants CSV (one per row)."""
    data = tenants_file(path)
    if data is None:
        return definitions(path)
    [template] = definitions(path)
    template.pop("tenants")
    with data.open(encoding="utf-8", newline="") as fh:
        return [_fill(template, row) for row in csv.DictReader(fh)]


def all_env_refs(path: Path) -> list[tuple[str, bool, int, int]]:
    data = tenants_file(path)
    return env_refs(path) + (csv_env_refs(data) if data is not None else [])


def used_variables() -> set[str]:
    return {name for path in SAMPLE_FILES for name, *_ in all_env_refs(path)}


def render(cli: Cli, path: Path, *extra: str) -> list[dict[str, Any]]:
    res = cli("render", *extra, str(path), env=demo_env())
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    return doc if isinstance(doc, list) else [doc]


# -- the tree as a whole ------------------------------------------------------------------------------------


def test_the_expected_samples_exist() -> None:
    names = set(IDS)
    for required in ("hubspot-polling.yaml", "zendesk-webhooks.yaml", "multi-instance.yaml", "env-secrets.yaml"):
        assert required in names
    assert any(n.startswith("environments/staging/") for n in names)
    assert any(n.startswith("environments/production/") for n in names)
    assert len(definitions(SAMPLES / "multi-instance.yaml")) >= 2
    assert any(has_default for _, has_default, *_ in env_refs(SAMPLES / "env-secrets.yaml"))
    fleet = SAMPLES / "tenants" / "hubspot-fleet.yaml"
    assert tenants_file(fleet) == SAMPLES / "tenants" / "tenants.csv"
    assert len(instances(fleet)) >= 3 and len({d["name"] for d in instances(fleet)}) == len(instances(fleet))


def test_environment_folders_hold_the_same_instances() -> None:
    staging = sorted(p.name for p in (SAMPLES / "environments" / "staging").glob("*.yaml"))
    production = sorted(p.name for p in (SAMPLES / "environments" / "production").glob("*.yaml"))
    assert staging == production and staging
    for name in staging:
        [s] = definitions(SAMPLES / "environments" / "staging" / name)
        [p] = definitions(SAMPLES / "environments" / "production" / name)
        assert s["element"] == p["element"]
        assert s["name"] != p["name"]
        assert s["events"]["callback_url"] != p["events"]["callback_url"]
        assert s["tags"] != p["tags"]


def test_whole_tree_validates_strictly_in_one_run(cli: Cli) -> None:
    res = cli("validate", "--strict", "-o", "json", str(SAMPLES), env=demo_env())
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["problems"] == []
    assert doc["summary"]["files"] == len(SAMPLE_FILES)
    assert doc["summary"]["definitions"] == sum(len(instances(p)) for p in SAMPLE_FILES)


def test_demo_env_sets_every_variable_the_samples_use() -> None:
    missing = used_variables() - set(demo_env())
    assert not missing, f"demo.env lacks {sorted(missing)}"
    for name, value in demo_env().items():
        assert name.startswith(("CE_", "DEMO_")), name
        assert len(value) >= 4, f"{name}: too short to be masked by value"


def test_readme_mentions_every_variable() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = sorted(name for name in used_variables() if name not in readme)
    assert not missing, f"sample-configs/README.md does not mention {missing}"


# -- each file ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=IDS)
def test_sample_validates_without_errors_or_warnings(cli: Cli, path: Path) -> None:
    res = cli("validate", "--strict", "-o", "json", str(path), env=demo_env())
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 0, doc["problems"]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=IDS)
def test_sample_renders_the_event_keys(cli: Cli, path: Path) -> None:
    defs = instances(path)
    bodies = render(cli, path)
    assert len(bodies) == len(defs)
    for definition, body in zip(defs, bodies, strict=True):
        assert body["element"] == {"key": definition["element"]}
        assert body["name"] == definition["name"]
        cfg = body["configuration"]
        events = definition.get("events")
        if events is None:
            assert not any(k.startswith("event.") for k in cfg)
            continue
        if events.get("enabled", True) is False:
            assert cfg["event.notification.enabled"] is False
            continue
        assert cfg["event.notification.enabled"] is True
        vendor = events["type"]  # sent as written
        assert cfg["event.vendor.type"] == vendor
        assert cfg["event.notification.callback.url"] == events["callback_url"]
        assert cfg["event.notification.callback.url"].startswith("https://")
        assert "event.notification.signature.key" in cfg
        if vendor in ("webhooks", "webhook"):
            assert "event.poller.configuration" not in cfg
            assert "event.poller.refresh_interval" not in cfg
            continue
        if "refresh_interval" in events:
            assert cfg["event.poller.refresh_interval"] == events["refresh_interval"]
            assert type(cfg["event.poller.refresh_interval"]) is int
        poller = cfg["event.poller.configuration"]
        assert set(poller) == set(events["resources"])
        for name, resource in events["resources"].items():
            got = poller[name]
            assert got["url"] == resource["url"]  # platform macros (${gmtDate:...}, ${epoch:ms}) untouched
            assert got["idField"] == resource["id_field"]
            dates = resource.get("dates", {})
            want_dates = {platform: dates[ours] for ours, platform in _DATES if ours in dates}
            assert got["datesConfiguration"] == want_dates


def test_polling_samples_use_full_date_configuration(cli: Cli) -> None:
    [body] = render(cli, SAMPLES / "hubspot-polling.yaml")
    poller = body["configuration"]["event.poller.configuration"]
    assert len(poller) == 2
    formats = set()
    for resource in poller.values():
        assert set(resource["datesConfiguration"]) >= {platform for _, platform in _DATES[:6]}
        formats |= {
            resource["datesConfiguration"]["updatedDateFormat"],
            resource["datesConfiguration"]["createdDateFormat"],
        }
    assert "milliseconds" in formats
    assert isinstance(body["configuration"]["event.poller.refresh_interval"], int)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=IDS)
def test_secrets_from_env_are_masked(cli: Cli, path: Path) -> None:
    env = demo_env()
    res = cli("render", str(path), env=env)
    assert res.exit_code == 0, res.output
    used = {name for name, *_ in all_env_refs(path)}
    assert used, "every sample takes at least its signature key from the environment"
    for name in used:
        assert env[name] not in res.output, f"{name}'s value is shown"
    assert MASK in res.stdout
    for body in json.loads(res.stdout) if res.stdout.lstrip().startswith("[") else [json.loads(res.stdout)]:
        key = body["configuration"].get("event.notification.signature.key")
        if key is not None:
            assert key == MASK


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=IDS)
def test_show_secrets_shows_the_env_values(cli: Cli, path: Path) -> None:
    env = demo_env()
    res = cli("render", "--show-secrets", str(path), env=env)
    assert res.exit_code == 0, res.output
    shown = {name for name, *_ in all_env_refs(path)} - {"DEMO_TENANT_ACME_USER_SECRET"}  # an account, not in a body
    for name in shown:
        assert env[name] in res.stdout, f"{name}'s value is not shown with --show-secrets"
    assert MASK not in res.stdout


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=IDS)
def test_unset_variables_fail_with_their_location(cli: Cli, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in demo_env():
        monkeypatch.delenv(name, raising=False)
    res = cli("validate", str(path))
    assert res.exit_code == INVALID, res.output
    data = tenants_file(path)
    required = [(path, name, line, col) for name, has_default, line, col in env_refs(path) if not has_default]
    if data is not None:  # a tenants CSV's own references: located at the row's cell
        required += [(data, name, line, col) for name, has_default, line, col in csv_env_refs(data) if not has_default]
    assert required
    lines = res.output.splitlines()
    for file, name, line, col in required:
        where = f"{file}:{line}:{col}:"
        assert any(text.startswith(where) and "unset-variable" in text and name in text for text in lines), (
            f"no unset-variable error for {name} at {where}\n{res.output}"
        )
    for name, has_default, *_ in all_env_refs(path):
        if has_default:
            assert not any("unset-variable" in text and f" {name} " in text for text in lines)


def test_default_applies_when_the_variable_is_unset(cli: Cli) -> None:
    env = demo_env()
    path = SAMPLES / "env-secrets.yaml"
    defaults = sorted({name for name, has_default, *_ in env_refs(path) if has_default})
    assert defaults
    text = path.read_text(encoding="utf-8")
    for name in defaults:
        default = re.search(r"\$\{env:" + name + r":-([^}]*)\}", text)
        assert default is not None
        env_without = {k: v for k, v in env.items() if k != name}
        res = cli("render", "--show-secrets", str(path), env={**env_without, name: ""})
        assert res.exit_code == 0, res.output
        assert default.group(1) in res.stdout
