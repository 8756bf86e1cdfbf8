"""OAuth 2 as the platform and the providers behind its elements do it: authorization codes, and what
`POST /instances` (and a re-authenticating PUT or PATCH) checks before it stores an OAuth instance's tokens.

The emulator stands in for every provider: its consent page (`/_emulator/oauth/authorize`) issues the codes.
A code is random, single-use, expires, and is bound to the client it was issued to (the `apiKey`, which the
instance carries as `oauth.api.key`) and to the redirect URI (its `oauth.callback.url`), as a provider must
check them when the platform exchanges the code (RFC 6749, section 4.1.3). The platform's side (platform notes,
"Authenticating instances"; repo cloud-elements/devportal at dad3573,
docs/elements/salesforce/salesforce-create-instance.md): the create body carries `providerData.code` with
`oauth.api.key`, `oauth.api.secret` and `oauth.callback.url`; or `externalAuthentication: initial` with the
user's own `oauth.user.refresh_token` and/or `oauth.user.token` (repo Ramesh-Veeriaperumal/freshconsult,
lib/integrations/cloud_elements/crm/salesforce_sync/salesforce_sync.json: no callback URL there).

`accept_any_code` (`cloudevents emulator --accept-any-code`) is for definitions that carry placeholder codes
(sample-configs/ with demo.env): a code the consent page never issued is then taken as valid, any number of
times. The codes it did issue keep every rule.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudevents_cli.emulator import catalog
from cloudevents_cli.emulator.validation import Invalid

API_KEY = "oauth.api.key"
API_SECRET = "oauth.api.secret"
CALLBACK_URL = "oauth.callback.url"
USER_TOKEN = "oauth.user.token"
REFRESH_TOKEN = "oauth.user.refresh_token"
CREDENTIALS = (API_KEY, API_SECRET, CALLBACK_URL)
EXTERNAL_INITIAL = "initial"


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    expires: float


def _refused(reason: str) -> Invalid:
    """The provider's refusal of a code, as the platform relays it (400 with `providerMessage`)."""
    message = "the provider did not accept the authorization code ('providerData.code')"
    return Invalid(message, f"invalid_grant: {reason}")


class Codes:
    """The authorization codes the emulator's consent page issued and not yet redeemed (thread-safe)."""

    def __init__(
        self,
        ttl: float,
        error: str | None = None,
        *,
        accept_any_code: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.error = error  # the consent page answers this `error` instead of a code (None: it consents)
        self.accept_any_code = accept_any_code
        self._clock = clock
        self._grants: dict[str, _Grant] = {}
        self._used: set[str] = set()  # issued codes already exchanged (refused again even with accept_any_code)
        self._lock = threading.Lock()

    def issue(self, client_id: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = self._clock()
            for old in [c for c, g in self._grants.items() if g.expires <= now - self.ttl]:
                del self._grants[old]  # long expired: "unknown" from now on
            self._grants[code] = _Grant(client_id, redirect_uri, now + self.ttl)
        return code

    def redeem(self, code: str, client_id: str, redirect_uri: str) -> None:
        """Use the code once, or Invalid with the provider's reason. A code shown by another client or with
        another redirect URI is refused and stays usable by its own client."""
        with self._lock:
            grant = self._grants.get(code)
            if code in self._used:
                raise _refused("the code was already used")
            if grant is None and self.accept_any_code:
                return
            if grant is None:
                raise _refused("the code is unknown")
            if grant.expires <= self._clock():
                raise _refused("the code has expired")
            if grant.client_id != client_id:
                raise _refused(f"the code was issued to another client, not to this '{API_KEY}'")
            if grant.redirect_uri != redirect_uri:
                raise _refused(f"'{CALLBACK_URL}' is not the redirect URI the code was issued for")
            del self._grants[code]
            self._used.add(code)

    def outstanding(self) -> int:
        """How many codes are issued and neither used nor expired."""
        with self._lock:
            now = self._clock()
            return sum(1 for g in self._grants.values() if g.expires > now)

    def expire_all(self) -> int:
        """Expire every outstanding code now (a test's shortcut through time); how many there were."""
        with self._lock:
            now = self._clock()
            live = [c for c, g in self._grants.items() if g.expires > now]
            for code in live:
                self._grants[code] = _Grant(self._grants[code].client_id, self._grants[code].redirect_uri, now)
        return len(live)


def provider_code(body: dict[str, Any]) -> str | None:
    """`providerData.code` of a body, or None when it has none."""
    data = body.get("providerData")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise Invalid("'providerData' must be an object")
    code = data.get("code")
    if code is None:
        return None
    if not isinstance(code, str) or not code:
        raise Invalid("'providerData.code' must be a non-empty string")
    return code


def _tokens() -> dict[str, str]:
    return {USER_TOKEN: secrets.token_urlsafe(24), REFRESH_TOKEN: secrets.token_urlsafe(32)}


def exchange(codes: Codes, elem: catalog.Element, code: str, config: dict[str, str]) -> dict[str, str]:
    """The provider's tokens for a code (what the platform then stores in the configuration), or Invalid."""
    missing = [k for k in CREDENTIALS if not config.get(k)]
    if missing:
        raise Invalid(f"missing required configuration for element '{elem.key}': {', '.join(missing)}")
    codes.redeem(code, config[API_KEY], config[CALLBACK_URL])
    return _tokens()


def on_create(
    codes: Codes, elem: catalog.Element, body: dict[str, Any], config: dict[str, str], external: str
) -> dict[str, str]:
    """What a new instance's configuration gains from its authentication (the provider's tokens), or Invalid.
    Nothing for an instance that does not authenticate with OAuth 2."""
    if not elem.uses_oauth2(config):
        return {}
    code = provider_code(body)
    if code is not None:
        return exchange(codes, elem, code, config)
    if external == EXTERNAL_INITIAL:
        if not (config.get(REFRESH_TOKEN) or config.get(USER_TOKEN)):
            raise Invalid(
                f"externalAuthentication '{EXTERNAL_INITIAL}' needs '{REFRESH_TOKEN}' or '{USER_TOKEN}'"
                " in configuration"
            )
        return {} if config.get(USER_TOKEN) else {USER_TOKEN: secrets.token_urlsafe(24)}
    raise Invalid(
        f"element '{elem.key}' authenticates with OAuth 2: 'providerData.code' is required (the code the provider"
        f" sends to the callback URL after consent; see GET /elements/{elem.key}/oauth/url), or"
        f" externalAuthentication '{EXTERNAL_INITIAL}' with '{REFRESH_TOKEN}' in configuration"
    )


def on_update(codes: Codes, elem: catalog.Element, body: dict[str, Any], config: dict[str, str]) -> dict[str, str]:
    """Re-authentication: new tokens when a PUT or PATCH carries a new `providerData.code` for an OAuth 2
    instance (checked as on create); nothing otherwise."""
    code = provider_code(body)
    if code is None or not elem.uses_oauth2(config):
        return {}
    return exchange(codes, elem, code, config)
