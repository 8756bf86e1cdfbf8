"""The reverse of expansion: an instance as the platform returns it, back to a definition.

Configuration values come back as strings: they are turned back into the types of the format ("true" -> true,
"15" -> 15, a poller configuration sent as a JSON string -> a mapping) when they read back exactly; otherwise
("015", "TRUE") the keys stay under `configuration` as the strings the platform stores. A secret is never written:
a value under a secret key (redact.is_secret_key) or a masked one becomes an `${env:NAME}` placeholder, whatever
the platform returned, and the variables to set are listed in the file's header. Export never plants
interpolation: every other `${` in a string it writes becomes `$${`, which the loader reads back as a literal `${`.
Also the file names of an export to a folder, one per instance.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.definitions import expand as ex

_PLATFORM_RESOURCE = {"url": "url", "idField": "id_field"}
_PLATFORM_DATES = {platform: ours for ours, platform in ex.DATE_FIELDS}
_PLATFORM_ADVANCED = {platform: ours for ours, platform in ex.ADVANCED_FIELDS}
_INT_ADVANCED = {"pageSize", "pollDelay", "createdCheckTolerance"}
_EVENT_KEYS = {
    ex.ENABLED: "enabled",
    ex.VENDOR_TYPE: "type",
    ex.CALLBACK_URL: "callback_url",
    ex.SIGNATURE_KEY: "signature_key",
    ex.REFRESH_INTERVAL: "refresh_interval",
    ex.POLLER_CONFIGURATION: "resources",
}
_BOOL_ADVANCED = {"filterByUpdatedDate", "filterByCurrentDate"}


def env_name(instance_name: str, key: str) -> str:
    """ACME_HUBSPOT_PASSWORD for the key `password` of the instance `acme-hubspot`."""
    short = "_".join(key.split(".")[-2:])  # event.notification.signature.key -> signature_key
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{instance_name}_{short}").strip("_").upper()
    return name if name and not name[0].isdigit() else f"CE_{name}"


def to_definition(instance: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A definition (our YAML format, as a mapping) and the environment variables its placeholders need."""
    name = str(instance.get("name", ""))
    element = instance.get("element") or {}
    definition: dict[str, Any] = {
        "name": name,
        "element": element.get("key") if isinstance(element, dict) else str(element),
    }
    tags = instance.get("tags") or []
    if tags:
        definition["tags"] = [str(t) for t in tags]
    env_vars: list[str] = []
    values: dict[str, Any] = {}
    for key, value in (instance.get("configuration") or {}).items():
        parsed = _json(value) if key == ex.POLLER_CONFIGURATION else value
        values[str(key)] = _hide_secrets(parsed, str(key), name, env_vars)
    events = _events(values)
    configuration = {k: v for k, v in values.items() if events is None or _EVENT_KEYS.get(k) not in events}
    if configuration:
        definition["configuration"] = configuration
    if events:
        definition["events"] = _ordered_events(events)
    return _literal(definition), env_vars


def _events(values: dict[str, Any]) -> dict[str, Any] | None:
    """The events section for the event keys, or None when one would not read back exactly (all stay raw)."""
    events: dict[str, Any] = {}
    for key, field in _EVENT_KEYS.items():
        if key not in values:
            continue
        value = values[key]
        if key == ex.ENABLED:
            value = _bool(value)
        elif key == ex.REFRESH_INTERVAL:
            value = _int(value)
        elif key == ex.POLLER_CONFIGURATION:
            value = _resources(value) if isinstance(value, dict) else None
            if value is None:
                continue  # the poller configuration stays raw; the other event keys need not
        if isinstance(value, str) and key in (ex.ENABLED, ex.REFRESH_INTERVAL):
            return None
        events[field] = value
    return events


class _Placeholder(str):
    """An `${env:NAME}` export wrote for a secret: the one `${` that is not escaped."""


def _hide_secrets(value: Any, key: str, instance_name: str, env_vars: list[str], *, path: str = "") -> Any:
    """`value` with each secret (under a secret key, or masked) replaced by a placeholder; mappings walked."""
    path = f"{path}.{key}" if path else key
    if isinstance(value, dict):
        return {k: _hide_secrets(v, str(k), instance_name, env_vars, path=path) for k, v in value.items()}
    if value == redact.MASK or (redact.is_secret_key(key) and value not in (None, "") and not isinstance(value, bool)):
        var = env_name(instance_name, path)
        while var in env_vars:  # two keys, one name: the next gets a number
            var = f"{var}_{len(env_vars) + 1}"
        env_vars.append(var)
        return _Placeholder(f"${{env:{var}}}")
    return value


def _literal(value: Any) -> Any:
    """Every string as a literal for the loader (`${` -> `$${`), placeholders aside; keys are never interpolated."""
    if isinstance(value, _Placeholder):
        return str(value)
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value


def render_yaml(definition: dict[str, Any], env_vars: list[str], *, origin: str = "") -> str:
    """The YAML text of an exported definition, with a header that lists the variables to set."""
    import yaml

    lines = ["# Exported by cloudevents-cli" + (f" from {origin}" if origin else "") + "."]
    if env_vars:
        lines.append("# Secrets are not exported; set these variables before apply:")
        lines.extend(f"#   {var}" for var in env_vars)
    text = yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 16)
    return "\n".join(lines) + "\n" + text


def file_names(instances: list[dict[str, Any]]) -> list[str]:
    """One distinct `<name>.yaml` an instance, made safe for a file name.

    Names are compared without case (for case-insensitive file systems): names that collide each get `-<id>`,
    and a number is added if even that is taken.
    """
    bases = [_safe(str(i.get("name") or f"instance-{i.get('id')}")) for i in instances]
    counts = Counter(b.lower() for b in bases)
    taken: set[str] = set()
    out = []
    for base, inst in zip(bases, instances, strict=True):
        stem = f"{base}-{_safe(str(inst.get('id')))}" if counts[base.lower()] > 1 else base
        candidate, number = stem, 2
        while candidate.lower() in taken:
            candidate, number = f"{stem}-{number}", number + 1
        taken.add(candidate.lower())
        out.append(f"{candidate}.yaml")
    return out


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-") or "instance"


def _ordered_events(events: dict[str, Any]) -> dict[str, Any]:
    order = ("type", "enabled", "callback_url", "signature_key", "refresh_interval", "resources")
    out = {k: events[k] for k in order if k in events}
    if out.get("enabled") is True:
        out.pop("enabled")  # the default
    return out


def _resources(poller: dict[str, Any]) -> dict[str, Any] | None:
    """Resources in our format, or None when the poller configuration holds keys the format does not model."""
    out: dict[str, Any] = {}
    for name, resource in poller.items():
        if not isinstance(resource, dict):
            return None
        mine: dict[str, Any] = {}
        for key, value in resource.items():
            if key in _PLATFORM_RESOURCE:
                mine[_PLATFORM_RESOURCE[key]] = value
            elif key == "datesConfiguration" and isinstance(value, dict):
                if not set(value) <= set(_PLATFORM_DATES):
                    return None
                mine["dates"] = {_PLATFORM_DATES[k]: v for k, v in value.items()}
            elif key in _PLATFORM_ADVANCED:
                typed = _int(value) if key in _INT_ADVANCED else _bool(value) if key in _BOOL_ADVANCED else value
                if isinstance(typed, str) and key in _INT_ADVANCED | _BOOL_ADVANCED:
                    return None  # would not survive the conversion: the raw form keeps it exactly
                mine[_PLATFORM_ADVANCED[key]] = typed
            else:
                return None
        out[name] = mine
    return out


def _bool(value: Any) -> Any:
    """true/false for exactly "true"/"false" (what expansion sends back); anything else unchanged."""
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def _int(value: Any) -> Any:
    """An int for a string that reads back the same ("15", not "015" or " 15"); anything else unchanged."""
    if isinstance(value, str) and re.fullmatch(r"-?(0|[1-9][0-9]*)", value):
        return int(value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
