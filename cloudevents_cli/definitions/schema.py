"""The JSON Schema of the definition format, from the models (for editors and check-jsonschema)."""

from __future__ import annotations

from typing import Any

from cloudevents_cli.definitions.model import Definition

SCHEMA_ID = "https://cloudevents-cli.invalid/schema/definition-v1.json"
SCHEMA_FILE = "cloudevents.schema.json"


def json_schema() -> dict[str, Any]:
    schema = Definition.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "description": "One element instance with events, for cloudevents-cli (render, create, apply).",
    }
