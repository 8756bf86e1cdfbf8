"""The commented starter definition that `cloudevents init` writes: credentials of the element (username and
password, the keys the platform says the element requires, or an OAuth2 application that brings its own tokens),
then polling or webhook events (with the element's own default poller resources when they are known)."""

from __future__ import annotations

from typing import Any

from cloudevents_cli.definitions.schema import SCHEMA_FILE

_HEADER = """\
# yaml-language-server: $schema=./{schema}
# An element instance with events, for cloudevents-cli. Write the schema beside it for your editor with:
#   cloudevents schema > {schema}
# It reads these environment variables (set them first; validate names any that is unset):
{reads}#   CE_SIGNATURE_KEY   the key callbacks are signed with: 16 characters or more
# apply also needs a connection: CE_USER_SECRET and CE_ORG_SECRET (CE_BASE_URL for a host other than
# api.cloud-elements.com), or a profile: cloudevents profile add.
# The format: docs/definition-format.md in the cloudevents-cli repository, and cloudevents explain.
# Check it offline:  cloudevents validate {file}
# See it as JSON:    cloudevents render {file}
# Create or update:  cloudevents apply {file}
name: {name}
element: {element}
tags: [{name}]
"""

_BASIC = """\
configuration:                      # the element's own settings: see its Element Guide
  username: ${{env:{prefix}_USERNAME}}
  password: ${{env:{prefix}_PASSWORD}}
"""

# Bring your own tokens: no browser, fits CI.
_OAUTH = """\
# OAuth2 with tokens you already have (no browser: fits CI). To consent in a browser instead, remove the two
# lines marked (*), register http://127.0.0.1:8080/callback as your OAuth app's callback URL, set it below, and
# run: cloudevents authorize {file}
external_authentication: initial    # (*)
configuration:
  oauth.api.key: ${{env:{prefix}_OAUTH_API_KEY}}
  oauth.api.secret: ${{env:{prefix}_OAUTH_API_SECRET}}
  oauth.callback.url: https://app.example.com/oauth/callback   # your OAuth app's registered callback URL
  oauth.user.refresh_token: ${{env:{prefix}_REFRESH_TOKEN}}     # (*)
"""

_POLLING = """\
events:
  type: polling
  callback_url: https://hooks.example.com/cloud-elements   # where the platform sends events
  signature_key: ${env:CE_SIGNATURE_KEY}                   # verify callbacks with: cloudevents verify
  refresh_interval: 15                                     # minutes between polls
"""

_EXAMPLE_RESOURCES = """\
  resources:                                               # omit to use the element's default poller
    contacts:
      url: "/hubs/crm/contacts?where=lastUpdated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'"
      id_field: id
      dates:
        updated_field: updated_at
        updated_format: "yyyy-MM-dd'T'HH:mm:ss'Z'"
        updated_timezone: GMT
"""

_WEBHOOKS = """\
events:
  type: webhooks                    # check the Element Guide for setup needed at the provider
  callback_url: https://hooks.example.com/cloud-elements   # where the platform sends events
  signature_key: ${env:CE_SIGNATURE_KEY}                   # verify callbacks with: cloudevents verify
"""


def variables(element: str, *, oauth: bool = False, keys: list[str] | None = None) -> list[str]:
    """The environment variables the starter of ELEMENT reads."""
    prefix = _prefix(element)
    if oauth:
        own = [f"{prefix}_OAUTH_API_KEY", f"{prefix}_OAUTH_API_SECRET", f"{prefix}_REFRESH_TOKEN"]
    elif keys is not None:
        own = [_env(prefix, key) for key in keys]
    else:
        own = [f"{prefix}_USERNAME", f"{prefix}_PASSWORD"]
    return [*own, "CE_SIGNATURE_KEY"]


def _prefix(element: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in element.upper())


def _env(prefix: str, key: str) -> str:
    return f"{prefix}_{_prefix(key)}"


def starter(
    *,
    element: str = "hubspotcrm",
    name: str = "my-instance",
    webhooks: bool = False,
    file: str = "FILE",
    oauth: bool = False,
    keys: list[str] | None = None,
    resources: dict[str, Any] | None = None,
) -> str:
    """The starter text. `keys`: the element's required configuration keys (from the platform), each read from
    its own variable; `resources`: the element's default poller resources, in the definition's form ({}: none to
    write, the platform uses its default poller)."""
    prefix = _prefix(element)
    names = variables(element, oauth=oauth, keys=keys)[:-1]
    reads = (
        "".join(f"#   {n}\n" for n in names)
        if (oauth or keys is not None)
        else (f"#   {prefix}_USERNAME, {prefix}_PASSWORD   the element's credentials (see configuration below)\n")
    )
    text = _HEADER.format(schema=SCHEMA_FILE, name=name, element=element, prefix=prefix, file=file, reads=reads)
    if oauth:
        text += _OAUTH.format(prefix=prefix, file=file)
    elif keys is not None:
        if keys:
            text += "configuration:                      # the keys the platform says the element requires\n"
            text += "".join(f"  {key}: ${{env:{_env(prefix, key)}}}\n" for key in keys)
        else:
            text += "configuration: {}                   # the platform names no required key for the element\n"
    else:
        text += _BASIC.format(prefix=prefix)
    if webhooks:
        return text + _WEBHOOKS
    if resources is not None:  # the element's own (none: the platform's default poller)
        return text + _POLLING + (_resources_text(resources) if resources else "")
    return text + _POLLING + _EXAMPLE_RESOURCES


def _resources_text(resources: dict[str, Any]) -> str:
    import yaml

    block = yaml.safe_dump({"resources": resources}, sort_keys=False, default_flow_style=False, width=1 << 16)
    lines = block.splitlines()
    lines[0] += "                                               # the element's default poller"
    return "".join(f"  {line}\n" for line in lines)
