"""The reverse of expansion: an instance as the platform returns it, back to a definition.

The round-trip law: rendering the export gives the configuration the platform stores, key for key and string for
string, so diff of a fresh export finds nothing. Names and types come from the key table (keys.py). Configuration
values come back as strings: they are turned back into the types of the format ("true" -> true, "15" -> 15, a
poller configuration sent as a JSON string -> a mapping) when they read back exactly; otherwise ("015", "TRUE",
"1.10") the keys stay under `configuration` as the strings the platform stores, and so do polling-only keys of a
webhooks instance (the defaults the platform answers, "15" and "{}") and a poller configuration with a key the
format does not model or a value of another JSON type. A null is a key the platform holds as not set: it is left
out (a definition that does not mention a key leaves it alone). A secret is never written: a value under a secret
key (redact.is_secret_key) or a masked one becomes an `${env:NAME}` placeholder, whatever the platform returned,
and the variables to set are listed in the file's header. Export never plants interpolation: every other `${` in a
string it writes becomes `$${`, which the loader reads back as a literal `${`.
Also the file names of an export to a folder, one per instance.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.definitions import keys

_INSTANCE = keys.by_platform_key("instance")
_RESOURCE = keys.by_platform_key("resource")
_DATES = keys.by_platform_key("dates")
_POLLING_ONLY = (keys.REFRESH_INTERVAL, keys.POLLER_CONFIGURATION)


def env_name(instance_name: str, key: str) -> str:
    """ACME_HUBSPOT_PASSWORD for the key `password` of the instance `acme-hubspot`."""
    short = "_".join(key.split(".")[-2:])  # event.notification.signature.key -> signature_key
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{instance_name}_{short}").strip("_").upper()
    return name if name and not name[0].isdigit() else f"CE_{name}"


def to_definition(instance: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A definition (our YAML format, as a mapping) and the environment variables its placeholders need.

    A null value is a key the platform holds as "not set": it is left out, and a definition that does not
    mention a key leaves it as it is (diff and apply). Every other key comes back with the value stored.
    """
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
        if value is None:
            continue
        parsed = _json(value) if key == keys.POLLER_CONFIGURATION else value
        values[str(key)] = _hide_secrets(parsed, str(key), name, env_vars)
    events = _events(values)
    configuration = {k: v for k, v in values.items() if k not in events}
    if configuration:
        definition["configuration"] = configuration
    if events:
        definition["events"] = _ordered_events(events)
    return _literal(definition), env_vars


def _events(values: dict[str, Any]) -> dict[str, Any]:
    """platform key -> (field, value) for the event keys the `events` section can hold so that rendering gives
    back exactly what is stored; the rest stay under `configuration`.

    No section without a stored `event.notification.enabled` of "true"/"false" (the section always sends one).
    Polling-only keys of a webhooks instance stay raw (the section refuses them there, the platform keeps them).
    """
    enabled = keys.from_stored(_INSTANCE[keys.ENABLED], values.get(keys.ENABLED))
    if not isinstance(enabled, bool):
        return {}
    webhooks = values.get(keys.VENDOR_TYPE) in ("webhooks", "webhook")
    events: dict[str, Any] = {}
    for platform_key, key in _INSTANCE.items():
        if platform_key not in values or (webhooks and platform_key in _POLLING_ONLY):
            continue
        value = values[platform_key]
        if platform_key == keys.POLLER_CONFIGURATION:
            typed = _resources(value) if isinstance(value, dict) else None
        else:
            typed = keys.from_stored(key, value)
        if _fits(key, typed) and (not key.choices or typed in key.choices):
            events[platform_key] = (key.short_key, typed)
    return events


def _fits(key: keys.EventKey, value: Any) -> bool:
    """Whether VALUE has the type (and least value) the `events` section needs for KEY."""
    if value is None or isinstance(value, bool) is not (key.python_type is bool):
        return False
    if key.python_type is int:
        return isinstance(value, int) and value >= (key.minimum or 0)
    return isinstance(value, key.python_type)


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
    text = yaml.dump(
        definition,
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 16,
    )
    return "\n".join(lines) + "\n" + text


def _dumper() -> Any:
    """A safe dumper that double-quotes (escapes) a string holding a line break YAML reads back otherwise (NEL
    written plain or single-quoted comes back as a space); the rest as yaml.safe_dump writes it."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = '"' if any(c in value for c in "\x85\u2028\u2029") else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, string)
    return Dumper


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


def _ordered_events(events: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    order = ("type", "enabled", "callback_url", "signature_key", "refresh_interval", "resources")
    fields = dict(events.values())
    out = {k: fields[k] for k in order if k in fields}
    if out.get("enabled") is True:
        out.pop("enabled")  # the default
    return out


def _resources(poller: dict[str, Any]) -> dict[str, Any] | None:
    """Resources in our format, or None when the poller configuration holds a key the format does not model or
    a value of another type than the format's (the JSON text keeps its types: "15" is not 15)."""
    out: dict[str, Any] = {}
    for name, resource in poller.items():
        if not isinstance(resource, dict):
            return None
        mine = _renamed(resource, _RESOURCE)
        if mine is None:
            return None
        dates = resource.get(keys.DATES)
        if keys.DATES in resource:
            if not isinstance(dates, dict) or (renamed := _renamed(dates, _DATES)) is None:
                return None
            mine[_RESOURCE[keys.DATES].short_key or ""] = renamed
        out[name] = mine
    return out


def _renamed(given: dict[str, Any], known: dict[str, keys.EventKey]) -> dict[str, Any] | None:
    """GIVEN under the definition's names (datesConfiguration left to the caller), or None if one does not fit."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        key = known.get(name)
        if key is None or not _fits(key, value):
            return None
        if name != keys.DATES:
            out[key.short_key or ""] = value
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
