"""The reverse of expansion: an instance as the platform returns it, back to a definition.

Configuration values come back as strings: they are turned back into the types of the format ("true" -> true,
"15" -> 15, a poller configuration sent as a JSON string -> a mapping). Masked secrets become `${env:NAME}`
placeholders, and the variables to set are listed in the file's header.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.definitions import expand as ex

_PLATFORM_RESOURCE = {"url": "url", "idField": "id_field"}
_PLATFORM_DATES = {platform: ours for ours, platform in ex.DATE_FIELDS}
_PLATFORM_ADVANCED = {platform: ours for ours, platform in ex.ADVANCED_FIELDS}
_INT_ADVANCED = {"pageSize", "pollDelay", "createdCheckTolerance"}
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
    configuration: dict[str, Any] = {}
    events: dict[str, Any] = {}
    for key, value in (instance.get("configuration") or {}).items():
        if value == redact.MASK:
            var = env_name(name, key)
            env_vars.append(var)
            value = f"${{env:{var}}}"
        else:
            value = _escape(value)
        if key == ex.ENABLED:
            events["enabled"] = _bool(value)
        elif key == ex.VENDOR_TYPE:
            events["type"] = value
        elif key == ex.CALLBACK_URL:
            events["callback_url"] = value
        elif key == ex.SIGNATURE_KEY:
            events["signature_key"] = value
        elif key == ex.REFRESH_INTERVAL:
            events["refresh_interval"] = _int(value)
        elif key == ex.POLLER_CONFIGURATION:
            poller = _json(value)
            resources = _resources(poller) if isinstance(poller, dict) else None
            if resources is not None:
                events["resources"] = resources
            else:
                configuration[key] = poller
        else:
            configuration[key] = value
    if configuration:
        definition["configuration"] = configuration
    if events:
        definition["events"] = _ordered_events(events)
    return definition, env_vars


def render_yaml(definition: dict[str, Any], env_vars: list[str], *, origin: str = "") -> str:
    """The YAML text of an exported definition, with a header that lists the variables to set."""
    import yaml

    lines = ["# Exported by cloudevents-cli" + (f" from {origin}" if origin else "") + "."]
    if env_vars:
        lines.append("# Secrets are not exported; set these variables before apply:")
        lines.extend(f"#   {var}" for var in env_vars)
    text = yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 16)
    return "\n".join(lines) + "\n" + text


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
                mine[_PLATFORM_ADVANCED[key]] = (
                    _int(value) if key in _INT_ADVANCED else _bool(value) if key in _BOOL_ADVANCED else value
                )
            else:
                return None
        out[name] = mine
    return out


def _escape(value: Any) -> Any:
    """A value read back must not be interpolated: a literal ${env: becomes $${env:."""
    if isinstance(value, str) and ("${env:" in value or "${file:" in value):
        return value.replace("${env:", "$${env:").replace("${file:", "$${file:")
    return value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
