"""OAuth2 authorization of instances (`cloudevents authorize`): the consent URL from the platform, the redirect
received on a one-shot loopback listener or pasted by the user, the code checked against this run's `state`,
then the instance created (or an existing one re-authenticated) with `providerData.code`.

The code, the API secret and the instance token are secrets: each is registered with redact.py as soon as it is
known. Until the code is in hand nothing is written to the platform, so a timeout or Ctrl-C while waiting leaves
nothing half-made. Nothing printed here: the CLI passes `show_url` (how the consent URL reaches the user) and
`paste` (how a pasted redirect is read).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from cloudevents_cli import redact
from cloudevents_cli.errors import CloudEventsError, Conflict, ExitCode, InvalidInput, Unreachable
from cloudevents_cli.platform.client import PlatformClient, instance_element
from cloudevents_cli.platform.errors import BadResponse, json_body

API_KEY, API_SECRET, CALLBACK_URL, SCOPE = "oauth.api.key", "oauth.api.secret", "oauth.callback.url", "oauth.scope"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HEAD_TIMEOUT = 10.0  # seconds for a request's head to reach the listener
MAX_HEAD = 16 * 1024
MAX_DETAIL = 200  # characters of a provider's error_description shown


class AuthorizationFailed(CloudEventsError):
    """The authorization did not give a usable code: the provider answered an error, the redirect's state is not
    this run's, or the redirect carries no code. Exit 5, as for other authentication failures."""

    exit_code = ExitCode.AUTH
    code = "authorization"
    quotes_foreign_text = True


class AuthorizationTimeout(Unreachable):
    code = "timeout"


@dataclass(frozen=True)
class OAuthApp:
    """The OAuth application of an instance: what GET /elements/{key}/oauth/url needs."""

    api_key: str
    api_secret: str
    callback_url: str
    scope: str | None = None

    def params(self, state: str) -> list[tuple[str, str]]:
        params = [("apiKey", self.api_key), ("apiSecret", self.api_secret), ("callbackUrl", self.callback_url)]
        if self.scope:
            params.append(("scope", self.scope))
        return [*params, ("state", state)]


def oauth_app(configuration: dict[str, Any], where: str) -> OAuthApp:
    """The OAuth application of a configuration; InvalidInput naming what is missing (WHERE names the source)."""
    values = {k: configuration.get(k) for k in (API_KEY, API_SECRET, CALLBACK_URL)}
    missing = [k for k, v in values.items() if not isinstance(v, str) or not v or v == redact.MASK]
    if missing:
        raise InvalidInput(
            f"{where}: configuration needs {', '.join(missing)} for an OAuth2 authorization", code="oauth-app"
        )
    redact.register(values[API_SECRET])
    scope = configuration.get(SCOPE)
    return OAuthApp(
        str(values[API_KEY]), str(values[API_SECRET]), str(values[CALLBACK_URL]), str(scope) if scope else None
    )


def new_state() -> str:
    return secrets.token_urlsafe(24)


def needs_code(body: dict[str, Any]) -> bool:
    """Whether a request body still lacks what an OAuth2 instance is created with: a code or its own tokens."""
    provider = body.get("providerData")
    has_code = isinstance(provider, dict) and provider.get("code") not in (None, "")
    return not has_code and body.get("externalAuthentication") in (None, "")


async def consent_url(client: PlatformClient, element: str, app: OAuthApp, state: str) -> str:
    """GET /elements/{key}/oauth/url: the provider's consent page for this application and state."""
    what = f"GET /elements/{element}/oauth/url"
    sent = await client.request("GET", f"/elements/{quote(element, safe='')}/oauth/url", params=app.params(state))
    data = json_body(sent.response, what)
    url = data.get("oauthUrl") if isinstance(data, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not url.isprintable() or " " in url:
        raise BadResponse(
            f"{what}: HTTP {sent.response.status_code}: expected an oauthUrl (an http(s) URL)", status=200
        )
    return url.replace(app.api_secret, redact.MASK)  # a consent URL never needs the secret: never show it


# -- the redirect -------------------------------------------------------------------------------------------
def loopback(url: str) -> tuple[str, int, str] | None:
    """(host, port, path) when URL is an http URL on this machine (127.0.0.1, localhost, [::1]), else None."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        return None
    try:
        port = parts.port or 80
    except ValueError:
        return None
    return parts.hostname, port, parts.path or "/"


def code_from_params(params: dict[str, str], state: str) -> str:
    """The code of a redirect's query, after its state is checked; AuthorizationFailed otherwise."""
    if not secrets.compare_digest(params.get("state", "").encode(), state.encode()):
        raise AuthorizationFailed(
            "the redirect's state is not this run's: refused (a stale or forged redirect); run authorize again"
        )
    if params.get("error"):
        detail = " ".join(params.get("error_description", "").split())[:MAX_DETAIL]
        error = " ".join(params["error"].split())[:MAX_DETAIL]
        raise AuthorizationFailed(
            f"the provider refused the authorization: {error}" + (f" ({detail})" if detail else "")
        )
    code = params.get("code", "").strip()
    if not code:
        raise AuthorizationFailed("the redirect carries no code")
    redact.register(code)
    return code


def code_from_text(text: str, state: str) -> str:
    """The code of what the user pasted: the redirect URL (its state checked), its query, or the bare code."""
    text = text.strip()
    if not text:
        raise InvalidInput("nothing was pasted: give the URL the provider redirected to, or its code", code="no-code")
    if "://" in text or text.startswith("?") or "code=" in text or "error=" in text:
        query = urlsplit(text).query if "://" in text else text.lstrip("?")
        return code_from_params(dict(parse_qsl(query)), state)
    if any(c.isspace() for c in text):
        raise InvalidInput("that is neither a redirect URL nor a code", code="no-code")
    redact.register(text)
    return text


class Listener:
    """A one-shot HTTP listener on the loopback callback URL: the first request on its path with a query ends
    the wait, with the code or the failure. Other paths get 404; requests are bounded in size and time."""

    def __init__(self, host: str, port: int, path: str, state: str) -> None:
        self.host, self.port, self.path, self.state = host, port, path, state
        self.result: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._server: asyncio.Server | None = None
        self._answered = False

    async def start(self) -> None:
        hosts = ["127.0.0.1", "::1"] if self.host == "localhost" else [self.host]
        try:
            try:
                self._server = await asyncio.start_server(self._handle, hosts, self.port, limit=MAX_HEAD)
            except OSError:
                if len(hosts) == 1:
                    raise
                self._server = await asyncio.start_server(self._handle, hosts[0], self.port, limit=MAX_HEAD)
        except OSError as err:
            raise InvalidInput(
                f"cannot listen on the callback URL's {self.host}:{self.port}: {err.strerror or err}", code="listen"
            ) from None

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        outcome: str | AuthorizationFailed | None = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            status, text, outcome = self._answer(head.split(b"\r\n", 1)[0].decode("latin-1"))
            body = text.encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, OSError):
            pass
        finally:
            writer.close()
            if outcome is not None and not self.result.done():  # settled once the browser has its answer
                if isinstance(outcome, AuthorizationFailed):
                    self.result.set_exception(outcome)
                else:
                    self.result.set_result(outcome)

    def _answer(self, request_line: str) -> tuple[str, str, str | AuthorizationFailed | None]:
        """(status, text, outcome): the outcome is the code or the failure, None for a request that is not it."""
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET":
            return "405 Method Not Allowed", "only GET\n", None
        target = urlsplit(parts[1])
        if target.path != self.path or not target.query:
            return "404 Not Found", "not the callback\n", None
        if self.result.done() or self._answered:
            return "409 Conflict", "this authorization is already answered\n", None
        self._answered = True
        try:
            code = code_from_params(dict(parse_qsl(target.query)), self.state)
        except AuthorizationFailed as err:
            return "400 Bad Request", f"cloudevents: authorization failed: {err.message}\n", err
        return "200 OK", "cloudevents: authorized. You can close this tab and go back to the terminal.\n", code


# -- the flow -----------------------------------------------------------------------------------------------
async def obtain_code(
    client: PlatformClient,
    element: str,
    app: OAuthApp,
    *,
    show_url: Callable[[str, str | None], None],
    paste: Callable[[], Awaitable[str]],
    timeout: float,
) -> str:
    """The code of one authorization. The listener (for a loopback callback URL) listens before the consent URL
    is shown; `show_url(url, listening_on)` shows it; without a listener `paste()` reads the pasted redirect."""
    state = new_state()
    place = loopback(app.callback_url)
    listener = Listener(*place, state) if place is not None else None
    if listener is not None:
        await listener.start()
    try:
        url = await consent_url(client, element, app, state)
        show_url(url, app.callback_url if listener is not None else None)
        waiting: Awaitable[str] = listener.result if listener is not None else _pasted(paste, state)
        try:
            return await asyncio.wait_for(waiting, timeout)
        except asyncio.TimeoutError:
            raise AuthorizationTimeout(
                f"no authorization within {timeout:g} s; nothing was created or changed"
            ) from None
    finally:
        if listener is not None:
            await listener.close()


async def _pasted(paste: Callable[[], Awaitable[str]], state: str) -> str:
    return code_from_text(await paste(), state)


def with_code(body: dict[str, Any], code: str) -> dict[str, Any]:
    return {**body, "providerData": {**(body.get("providerData") or {}), "code": code}}


async def existing(client: PlatformClient, name: str, element: str) -> dict[str, Any] | None:
    """The live instance a definition names (by name and element), None when there is none."""
    found = await client.find(name, element)
    if len(found) > 1:
        ids = ", ".join(str(i.get("id")) for i in found)
        raise Conflict(f"{len(found)} live instances are named '{name}' with element '{element}' (ids {ids})")
    return found[0] if found else None


def reauth_body(code: str, app: OAuthApp) -> dict[str, Any]:
    """The PATCH that re-authenticates an instance: the new code with its OAuth application. Nothing else, so
    the instance keeps its id, name, tags and events."""
    configuration = {API_KEY: app.api_key, API_SECRET: app.api_secret, CALLBACK_URL: app.callback_url}
    return {"providerData": {"code": code}, "configuration": configuration}


def app_of_instance(instance: dict[str, Any], api_secret: str | None) -> OAuthApp:
    """The OAuth application of a live instance; the platform masks the API secret, so it may come from the
    user (`api_secret`)."""
    configuration = dict(instance.get("configuration") or {})
    if api_secret:
        configuration[API_SECRET] = api_secret
    return oauth_app(configuration, f"instance {instance.get('id')}")


def element_of(instance: dict[str, Any]) -> str:
    element = instance_element(instance)
    if element is None:
        raise BadResponse(f"instance {instance.get('id')}: the platform gave no element key", status=200)
    return element


def item_with_code(item: Any, code: str) -> Any:
    """The pipeline item with the code in its body, and the code among its secrets."""
    return replace(item, body=with_code(item.body, code), secrets=item.secrets | {code})
