"""Whether a definition's data has the shape the model (model.py) accepts, checked without pydantic.

validate.py asks this first and runs the pydantic model only on data that does not have that shape: importing
pydantic and building the models costs more than checking a thousand definitions. So `fits` must never pass data
the model refuses (tests compare the two on generated data); it may refuse data the model would pass, which then
only costs the model's run. The problems always come from the model, so they are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudevents_cli.definitions import keys

Check = Callable[[Any], bool]


def fits(data: Any) -> bool:
    """True when Definition.model_validate(data) passes (strict types, required and unknown keys, limits)."""
    return _DEFINITION(data)


def _text(min_length: int = 0) -> Check:
    return lambda v: type(v) is str and len(v) >= min_length


def _optional(check: Check) -> Check:
    return lambda v: v is None or check(v)


def _list_of(check: Check) -> Check:
    return lambda v: type(v) is list and all(check(x) for x in v)


def _dict_of(check: Check) -> Check:
    return lambda v: type(v) is dict and all(type(k) is str and check(x) for k, x in v.items())


def _mapping(fields: dict[str, Check], *, required: tuple[str, ...] = (), extra: bool = False) -> Check:
    """A model: a dict with the required keys, each known key's value checked; other keys only when `extra`."""

    def check(v: Any) -> bool:
        if type(v) is not dict or any(name not in v for name in required):
            return False
        for key, value in v.items():
            field = fields.get(key)
            if field is None:
                if not (extra and type(key) is str):
                    return False
            elif not field(value):
                return False
        return True

    return check


def _scalar(key: keys.EventKey, scope: keys.Scope) -> Check:
    """As model._fields types one key: its python type (strict), choices, minimum and, but for the events
    section's own keys, a text's least length of 1."""
    kind = key.python_type
    if key.choices:
        choices = key.choices
        return lambda v: type(v) is str and v in choices
    if kind is int:
        least = key.minimum
        return lambda v: type(v) is int and (least is None or v >= least)
    if kind is str:
        return _text(1 if scope != "instance" else 0)
    return lambda v: type(v) is kind


def _fields(scope: keys.Scope, nested: dict[str, Check]) -> dict[str, Check]:
    fields: dict[str, Check] = {}
    for key in keys.section_keys(scope):
        name = key.short_key or ""
        check = nested.get(name) or _scalar(key, scope)
        fields[name] = check if key.dotted_key == keys.ENABLED else _optional(check)  # enabled: a default, no None
    return fields


_DATES = _mapping(_fields("dates", {}), extra=True)
_RESOURCE = _mapping(_fields("resource", {"dates": _DATES}), extra=True)
_EVENTS = _mapping(_fields("instance", {"resources": _dict_of(_RESOURCE)}))
_TENANT_ROWS = _list_of(_dict_of(lambda v: v is None or type(v) in (str, int, float, bool)))
# The top-level keys, as model.Definition has them (a test holds the two to the same keys).
TOP_LEVEL: dict[str, Check] = {
    "name": _text(1),
    "element": _text(1),
    "tags": _optional(_list_of(_text())),
    "configuration": _optional(_dict_of(lambda v: True)),
    "provider_data": _optional(_dict_of(lambda v: True)),
    "external_authentication": _optional(_text(1)),
    "events": _optional(_EVENTS),
    "tenants": _optional(lambda v: type(v) is str or _TENANT_ROWS(v)),
}
_DEFINITION = _mapping(TOP_LEVEL, required=("name", "element"))
