"""The commented starter definition that `cloudevents init` writes."""

from __future__ import annotations

from cloudevents_cli.definitions.schema import SCHEMA_FILE

_HEADER = """\
# yaml-language-server: $schema=./{schema}
# An element instance with events, for cloudevents-cli. Write the schema beside it for your editor with:
#   cloudevents schema > {schema}
# It reads these environment variables (set them first; validate names any that is unset):
#   {prefix}_USERNAME, {prefix}_PASSWORD   the element's credentials (see configuration below)
#   CE_SIGNATURE_KEY   the key callbacks are signed with: 16 characters or more
# apply also needs a connection: CE_USER_SECRET and CE_ORG_SECRET (CE_BASE_URL for a host other than
# api.cloud-elements.com), or a profile: cloudevents profile add.
# The format: docs/definition-format.md in the cloudevents-cli repository, and cloudevents explain.
# Check it offline:  cloudevents validate {file}
# See it as JSON:    cloudevents render {file}
# Create or update:  cloudevents apply {file}
name: {name}
element: {element}
tags: [{name}]
configuration:                      # the element's own settings: see its Element Guide
  username: ${{env:{prefix}_USERNAME}}
  password: ${{env:{prefix}_PASSWORD}}
"""

_POLLING = """\
events:
  type: polling
  callback_url: https://hooks.example.com/cloud-elements   # where the platform sends events
  signature_key: ${env:CE_SIGNATURE_KEY}                   # verify callbacks with: cloudevents verify
  refresh_interval: 15                                     # minutes between polls
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


def variables(element: str) -> list[str]:
    """The environment variables the starter of ELEMENT reads."""
    prefix = _prefix(element)
    return [f"{prefix}_USERNAME", f"{prefix}_PASSWORD", "CE_SIGNATURE_KEY"]


def _prefix(element: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in element.upper())


def starter(
    *, element: str = "hubspotcrm", name: str = "my-instance", webhooks: bool = False, file: str = "FILE"
) -> str:
    prefix = _prefix(element)
    head = _HEADER.format(schema=SCHEMA_FILE, name=name, element=element, prefix=prefix, file=file)
    return head + (_WEBHOOKS if webhooks else _POLLING)
