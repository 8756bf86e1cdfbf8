"""Which configuration values the platform masks in its answers: the emulator's own list, from the evidence.

Deliberately independent of the client's idea of a secret (`cloudevents_cli.redact`): tests against the
emulator must be able to catch a client that guesses wrong.

Evidence (repo cloud-elements/devportal at dad3573, published instance responses):
- masked as "********": `password` (docs/elements/{chargify,gooddata,lithium,oraclesalescloud,sftp,stripe,
  twilio-v2,wufoo}/*-create-instance.md), `intacct.user.password` and `intacct.sender.password`
  (docs/elements/intacct/intacct-create-instance.md), `quickbase.password`
  (docs/elements/quickbase/quickbase-create-instance.md): every masked key names a password.
- returned in clear: `oauth.api.key`, `oauth.api.secret`, `oauth.user.token`, `oauth.user.refresh_token`
  (docs/elements/box/authenticate.md, a real-looking Box response), `quickbase.apptoken`
  (quickbase-create-instance.md), `intacct.session.id` (intacct-create-instance.md). The instance `token` is
  returned too (platform notes). `event.notification.signature.key` is only ever shown null: nothing shows it
  masked, so it is answered as stored.
- a NetSuite ERP (netsuiteerpv2) instance response of 2019 embedded in a public Java test
  (ParseInstanceResponse.java, package com.cloudelements.demo): `user.password` and
  `event.notification.basic.password` masked; `consumer_key`, `consumer_secret`, `token_id`, `token_secret` in
  clear; `event.notification.signature.key` empty.
"""

from __future__ import annotations

MASK = "********"


def is_masked(key: str) -> bool:
    """True for the keys the platform answers as "********": the last dotted segment is `password`."""
    return key.rsplit(".", 1)[-1].lower() == "password"


def masked(key: str, value: str | None) -> str | None:
    """The value as the platform answers it (null and "" stay as they are)."""
    return MASK if value and is_masked(key) else value
