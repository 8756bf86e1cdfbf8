"""The platform client: one `httpx.AsyncClient` per run, with auth, User-Agent, timeout, TLS, retries, paging.

Every exchange is bounded: `--timeout` covers the whole of it (connecting, sending, reading the body), an
answer is read as a stream and refused beyond `MAX_ANSWER_BYTES`, and a listing stops at `MAX_PAGES` pages or
`MAX_INSTANCES` instances. Anything but the documented answer (a redirect, an empty or non-JSON body, the
wrong shape) is an error naming what came back. Tests route the client in-process by passing `transport=`
(e.g. `httpx.MockTransport`, `httpx.ASGITransport(emulator.app)`); the CLI passes `State.seams.transport`.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

import httpx

from cloudevents_cli import __version__, redact
from cloudevents_cli.config import API_PATH, Connection
from cloudevents_cli.errors import Conflict, NotFound, OutcomeUnknown, UsageError
from cloudevents_cli.platform import retry
from cloudevents_cli.platform.errors import BadResponse, error_from_response, json_body

USER_AGENT = f"cloudevents-cli/{__version__}"
NEXT_PAGE_HEADER = "elements-next-page-token"
DEFAULT_PAGE_SIZE = 200
MAX_PAGES = 1_000
MAX_INSTANCES = 100_000
MIB = 1024 * 1024
MAX_ANSWER_BYTES = 64 * MIB


def auth_header(user_secret: str | None, org_secret: str | None) -> str:
    return f"User {user_secret}, Organization {org_secret}"


def ssl_context(ca_bundle: Any = None) -> ssl.SSLContext:
    """Verification on: certifi's CAs (else the system's), plus the bundle given with --ca-bundle."""
    try:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with httpx
        context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError):
            raise UsageError(f"--ca-bundle {ca_bundle}: not a readable PEM file of CA certificates") from None
    return context


def _proxied() -> bool:
    """A proxy from the environment (httpx honours them), which could be reached over TLS."""
    return any(os.environ.get(name) for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"))


def instance_element(instance: dict[str, Any]) -> str | None:
    element = instance.get("element")
    if isinstance(element, dict) and element.get("key") is not None:
        return str(element["key"])
    key = instance.get("elementKey")
    return str(key) if key is not None else None


class PlatformClient:
    """Async client of the instances API. Use `async with PlatformClient(conn) as client:`."""

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: retry.RetryPolicy | None = None,
        log: Callable[[str], None] | None = None,
        max_connections: int = 10,
    ) -> None:
        self.connection = connection
        self.policy = policy or retry.RetryPolicy()
        self.log = log
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if connection.user_secret or connection.org_secret:
            headers["Authorization"] = auth_header(connection.user_secret, connection.org_secret)
        kwargs: dict[str, Any] = {}
        if transport is not None:
            kwargs["transport"] = transport
        else:
            kwargs["limits"] = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
            if connection.base_url.startswith("https:") or connection.ca_bundle is not None or _proxied():
                kwargs["verify"] = ssl_context(connection.ca_bundle)
            else:  # plain HTTP, no redirect followed: TLS is never used, so no CA file is read (~30 ms a client)
                kwargs["verify"] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifying, trusting nothing
        self._http = httpx.AsyncClient(
            base_url=connection.base_url,
            headers=headers,
            timeout=httpx.Timeout(connection.timeout),
            follow_redirects=False,
            **kwargs,
        )

    async def __aenter__(self) -> PlatformClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- one exchange ---------------------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        body: Any = None,
        secrets: Iterable[str] = (),
        gone_ok: bool = False,
    ) -> retry.Sent:
        """Send one request with retries; raise the mapped error for an error answer.

        `gone_ok`: a 404 after a repeated attempt (an earlier one may have done it) is no error (DELETE)."""
        what = f"{method} {path}"
        content = None
        headers = {}
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        extra = frozenset(secrets)
        deadline = self.connection.timeout

        async def attempt() -> httpx.Response:
            started = time.perf_counter()
            request = self._http.build_request(
                method, path, params=list(params or ()), content=content, headers=headers
            )

            async def exchange() -> httpx.Response:
                response = await self._http.send(request, stream=True)
                try:
                    await _read_capped(response, what)
                finally:
                    await response.aclose()
                return response

            try:
                try:  # the deadline covers the whole exchange, the body included
                    response = await _within(deadline, exchange())
                except asyncio.TimeoutError:
                    raise httpx.ReadTimeout(f"no complete answer within {deadline:g} s", request=request) from None
            except httpx.TransportError as err:
                if self.log is not None:
                    self._log_exchange(method, path, params, body, extra, f"failed: {type(err).__name__}", started)
                raise
            if self.log is not None:
                self._log_exchange(method, path, params, body, extra, str(response.status_code), started)
            return response

        sent = await retry.send(self.policy, method, what, attempt, on_retry=self.log)
        status = sent.response.status_code
        if 300 <= status < 400:
            where = sent.response.headers.get("location")
            raise BadResponse(
                f"{what}: HTTP {status} {f'redirect to {where}' if where else 'redirect'}: not an API answer; "
                "check --base-url",
                status=status,
            )
        if status >= 400 and not (gone_ok and status == 404 and sent.maybe_repeated):
            hint = ""
            if status == 404 and not self.connection.base_url.endswith(API_PATH):
                hint = f" - the base URL does not end in {API_PATH}: add it to --base-url?"
            raise error_from_response(sent.response, what, hint=hint)
        return sent

    def _log_exchange(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] | None,
        body: Any,
        extra: frozenset[str],
        outcome: str,
        started: float,
    ) -> None:
        assert self.log is not None
        url = str(self._http.build_request(method, path, params=list(params or ())).url)
        ms = (time.perf_counter() - started) * 1000
        # the URL is foreign text (query values); the body is masked by field, so a name is shown as written
        line = f"http: {method} {redact.scrub(url)} -> {outcome} in {ms:.0f} ms"
        if body is not None:
            line += " body=" + json.dumps(redact.mask(body, extra), ensure_ascii=False, default=str)
        self.log(line)

    # -- the instances API ----------------------------------------------------------------------------------
    async def create_instance(self, body: dict[str, Any], *, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """POST /instances. A garbage answer to a POST leaves the outcome unknown (a redirect does not: the
        request never reached the API)."""
        try:
            sent = await self.request("POST", "/instances", body=body, secrets=secrets)
            return self._instance(sent.response, "POST /instances")
        except BadResponse as err:
            if err.status is not None and 300 <= err.status < 400:
                raise
            raise OutcomeUnknown(f"{err.message}; the outcome is unknown") from None

    async def get_instance(self, instance_id: int | str) -> dict[str, Any]:
        sent = await self.request("GET", f"/instances/{instance_id}")
        return self._instance(sent.response, f"GET /instances/{instance_id}")

    async def patch_instance(
        self, instance_id: int | str, body: dict[str, Any], *, secrets: Iterable[str] = ()
    ) -> dict[str, Any]:
        what = f"PATCH /instances/{instance_id}"
        sent = await self.request("PATCH", f"/instances/{instance_id}", body=body, secrets=secrets)
        return self._instance(sent.response, what)

    async def delete_instance(self, instance_id: int | str) -> int:
        """DELETE; returns the HTTP status. A 404 after a retried attempt counts as done. The platform answers
        200 with a JSON body (or 204, empty); anything else is not a deletion."""
        what = f"DELETE /instances/{instance_id}"
        sent = await self.request("DELETE", f"/instances/{instance_id}", gone_ok=True)
        status = sent.response.status_code
        if status == 404:
            return 200
        if status not in (200, 204):
            raise BadResponse(f"{what}: HTTP {status}: expected 200 or 204", status=status)
        if status == 200:
            json_body(sent.response, what)  # an empty or non-JSON 200 is not the platform's answer
        return status

    async def list_instances(
        self,
        *,
        tags: Sequence[str] = (),
        search_text: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Every instance matching the filters, following `elements-next-page-token` to the end."""
        out: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params: list[tuple[str, str]] = [("tags[]", t) for t in tags]
            if search_text:
                params.append(("searchText", search_text))
            params.append(("pageSize", str(page_size)))
            if token:
                params.append(("nextPage", token))
            sent = await self.request("GET", "/instances", params=params)
            response = sent.response
            page = json_body(response, "GET /instances")
            problems = ["expected a list of instances"] if not isinstance(page, list) else map(shape_problem, page)
            problem = next((p for p in problems if p is not None), None)
            if problem is not None:
                raise BadResponse(
                    f"GET /instances: HTTP {response.status_code}: {problem}", status=response.status_code
                )
            out.extend(page)
            if len(out) > MAX_INSTANCES:
                raise BadResponse(
                    f"GET /instances: more than {MAX_INSTANCES} instances, the most this tool lists; "
                    "narrow the listing (--tag, --name)",
                    status=200,
                )
            token = response.headers.get(NEXT_PAGE_HEADER) or None
            if not token or not page:
                return out
            if token in seen:
                raise BadResponse("GET /instances: the platform repeated a page token", status=200)
            seen.add(token)
        raise BadResponse(
            f"GET /instances: more than {MAX_PAGES} pages of {page_size}, the most this tool follows; "
            "the platform keeps sending page tokens",
            status=200,
        )

    async def find(self, name: str, element: str | None = None) -> list[dict[str, Any]]:
        """Live instances with exactly this name (and element key, when given)."""
        found = await self.list_instances(search_text=name)
        return [i for i in found if i.get("name") == name and (element is None or instance_element(i) == element)]

    async def resolve(self, ref: str) -> dict[str, Any]:
        """An instance by id (all digits) or by name; a name matching several is an error naming ids."""
        if ref.strip().isdigit():
            return await self.get_instance(ref.strip())
        matches = await self.find(ref)
        if not matches:
            raise NotFound(f"no instance named '{ref}'", status=None)
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches)
            raise Conflict(f"several instances are named '{ref}' (ids {ids}): give an id")
        return matches[0]

    @staticmethod
    def _instance(response: httpx.Response, what: str) -> dict[str, Any]:
        data = json_body(response, what)
        problem = shape_problem(data)
        if problem is not None:
            raise BadResponse(f"{what}: HTTP {response.status_code}: {problem}", status=response.status_code)
        assert isinstance(data, dict)
        return data


_FIELDS = {"name": str, "tags": list, "configuration": dict, "element": dict, "elementKey": str}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    names = {dict: "an object", list: "a list", str: "a string", type(None): "null"}
    return names.get(type(value), "something else")


def shape_problem(data: Any) -> str | None:
    """What is wrong with an instance from the platform (None when nothing): a JSON object with an id (a
    number or a string) and, when present, fields of the documented types."""
    if not isinstance(data, dict):
        return f"expected an instance (a JSON object), got {_kind(data)}"
    key = data.get("id")
    if isinstance(key, bool) or not isinstance(key, (int, str)) or key == "":
        return f"expected an instance with an id (a number or a string), got an id that is {_kind(key)}"
    for name, kind in _FIELDS.items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            return f"instance {key}: '{name}' is {_kind(value)}, expected {_kind(kind())}"
    if any(isinstance(tag, (dict, list)) for tag in data.get("tags") or []):
        return f"instance {key}: 'tags' holds something other than strings"
    return None


async def _within(seconds: float, exchange: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
    """Await `exchange` for at most `seconds` (asyncio.TimeoutError after). asyncio.timeout where there is one
    (Python 3.11+): unlike wait_for it makes no task per request, which a run of thousands feels."""
    timeout = getattr(asyncio, "timeout", None)
    if timeout is None:  # Python 3.10
        return await asyncio.wait_for(exchange, seconds)
    async with timeout(seconds):
        return await exchange


async def _read_capped(response: httpx.Response, what: str) -> None:
    """Read a streamed answer into `response.content`, refusing one larger than MAX_ANSWER_BYTES."""
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) <= MAX_ANSWER_BYTES:
        await response.aread()  # the usual answer: its size is known and small (httpx stops at the length)
        return
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            cap = f"{MAX_ANSWER_BYTES // MIB} MiB" if MAX_ANSWER_BYTES % MIB == 0 else f"{MAX_ANSWER_BYTES} bytes"
            raise BadResponse(
                f"{what}: HTTP {response.status_code}: the answer is larger than {cap}, the most this tool reads",
                status=response.status_code,
            )
        chunks.append(chunk)
    response._content = b"".join(chunks)
