"""Which module holds each command, with its one-line help: `cloudevents --help` and `--version` load none of
them, and a command's module is imported only when that command runs. A test keeps the help lines in step
with the commands' own docstrings."""

from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("misc_cmds", "Write a commented starter definition, with the schema comment for editors."),
    "validate": ("definitions_cmds", "Validate definitions offline; every problem of every file, located."),
    "render": (
        "definitions_cmds",
        "Print the request body that would be sent: one JSON object, or a list for several definitions.",
    ),
    "create": ("batch_cmds", "POST every definition (create new instances)."),
    "apply": (
        "batch_cmds",
        "Create what is missing, PATCH what differs, leave what matches (by name and element).",
    ),
    "diff": ("batch_cmds", "Show what apply would change; exit 1 when something differs."),
    "plan": (
        "batch_cmds",
        "Show what apply would do and, with --out, write it as a plan that `apply FILE` applies exactly.",
    ),
    "list": (
        "instance_cmds",
        "Instances as a table: id, name, element, events type, enabled, callback URL, tags, state.",
    ),
    "get": ("instance_cmds", "One instance, by id or name."),
    "delete": ("instance_cmds", "Delete instances; asks first on a terminal, needs --yes otherwise."),
    "export": (
        "instance_cmds",
        "Write definitions (YAML) for existing instances; secrets become ${env:} placeholders.",
    ),
    "explain": (
        "explain_cmd",
        "The event keys: UI label, dotted key, definition key, type, default, description.",
    ),
    "schema": (
        "misc_cmds",
        "Print the JSON Schema of the definition format (for yaml-language-server and check-jsonschema).",
    ),
    "events": ("events_history_cmds", "An instance's event history and delivery attempts; turn events on or off."),
    "enable": ("switch_cmds", "Enable instances (PUT /instances/{id}/enabled); unchanged where already enabled."),
    "disable": (
        "switch_cmds",
        "Disable instances (DELETE /instances/{id}/enabled): the platform refuses their calls with 403.",
    ),
    "status": ("health_cmds", "Health of instances (by definition, tag or all); exit 1 when one needs attention."),
    "deliveries": (
        "health_cmds",
        "Queued webhook deliveries (all, or of one callback URL); --release sends them again.",
    ),
    "authorize": (
        "authorize_cmd",
        "OAuth2: consent URL, local redirect or pasted code, then create or re-authenticate.",
    ),
    "elements": (
        "elements_cmd",
        "The element catalogue: auth type, event methods, required keys, default poller configuration.",
    ),
    "listen": ("events_cmds", "Receive event callbacks locally, verify their signatures, and print each event."),
    "verify": ("events_cmds", "Check a callback body against its signature header value."),
    "trigger": (
        "emulator_cmds",
        "Ask the emulator to deliver events for an instance (only works against the emulator).",
    ),
    "emulator": ("emulator_cmds", "Run the local platform emulator (instances API, event delivery, faults)."),
    "profile": ("profile_cmds", "Manage named profiles (base URL and secrets) in the config file."),
    "completion": ("misc_cmds", 'Print a shell completion script: eval "$(cloudevents completion bash)".'),
}
