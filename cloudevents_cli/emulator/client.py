"""The emulator's own client, for `cloudevents trigger`: asks a running emulator to deliver events.

Imports nothing from the server side; it speaks HTTP to `/_emulator/*` and the instances API.
"""

from __future__ import annotations

from typing import Any

from cloudevents_cli import __version__
from cloudevents_cli.config import API_PATH, Connection
from cloudevents_cli.errors import AuthFailed, Conflict, NotFound, PlatformError, Unreachable, UsageError


def emulator_root(base_url: str) -> str:
    """`http://host:port/elements/api-v2` -> `http://host:port`."""
    url = base_url.rstrip("/")
    return url[: -len(API_PATH)] if url.endswith(API_PATH) else url


def _headers() -> dict[str, str]:
    return {"User-Agent": f"cloudevents-cli/{__version__}", "Accept": "application/json"}


def _auth(conn: Connection) -> dict[str, str]:
    """Only the platform paths get the secrets; `/_emulator/*` needs none (nor does an unknown host's probe)."""
    if conn.user_secret and conn.org_secret:
        return {"Authorization": f"User {conn.user_secret}, Organization {conn.org_secret}"}
    return {}


def _message(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return f"HTTP {response.status_code}"


def _raise_for(response: Any) -> None:
    if response.status_code < 400:
        return
    message, status = _message(response), response.status_code
    request_id = None
    try:
        body = response.json()
        request_id = body.get("requestId") if isinstance(body, dict) else None
    except ValueError:
        pass
    kind: type[PlatformError] = PlatformError
    if status in (401, 403):
        kind = AuthFailed
    elif status == 404:
        kind = NotFound
    elif status == 409:
        kind = Conflict
    raise kind(f"{message} (HTTP {status})", status=status, request_id=request_id)


class EmulatorClient:
    def __init__(self, conn: Connection) -> None:
        import httpx

        self.conn = conn
        self.root = emulator_root(conn.base_url)
        verify: Any = str(conn.ca_bundle) if conn.ca_bundle else True
        self._http = httpx.Client(headers=_headers(), timeout=conn.timeout, verify=verify, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise Unreachable(f"{self.root} did not answer in time") from None
        except httpx.HTTPError as err:
            raise Unreachable(f"could not reach {self.root}: {type(err).__name__}") from None

    def check_emulator(self) -> dict[str, Any]:
        """The emulator's info, or UsageError when the URL is not a cloudevents emulator."""
        response = self._request("GET", f"{self.root}/_emulator/info")
        info: Any = None
        if response.status_code == 200:
            try:
                info = response.json()
            except ValueError:
                info = None
        if not isinstance(info, dict) or info.get("emulator") != "cloudevents":
            raise UsageError(f"{self.root} is not a cloudevents emulator; trigger only works against the emulator")
        return info

    def find_instance_id(self, ref: str) -> int:
        """An id as given, or the one instance whose name is exactly `ref`."""
        if ref.isdigit():  # checked through the platform path, so wrong secrets fail here (401)
            response = self._request("GET", f"{self.conn.base_url}/instances/{ref}", headers=_auth(self.conn))
            _raise_for(response)
            return int(ref)
        matches: list[int] = []
        params: dict[str, str] = {"searchText": ref, "pageSize": "200"}
        while True:
            url = f"{self.conn.base_url}/instances"
            response = self._request("GET", url, params=params, headers=_auth(self.conn))
            _raise_for(response)
            matches += [i["id"] for i in response.json() if isinstance(i, dict) and i.get("name") == ref]
            token = response.headers.get("elements-next-page-token")
            if not token:
                break
            params["nextPage"] = token
        if not matches:
            raise NotFound(f"no instance named '{ref}'", status=404)
        if len(matches) > 1:
            ids = ", ".join(str(i) for i in matches)
            raise Conflict(f"{len(matches)} instances are named '{ref}' (ids {ids}): give an id", status=409)
        return matches[0]

    def trigger(self, instance_id: int, *, object_type: str | None, event_type: str, count: int) -> dict[str, Any]:
        body: dict[str, Any] = {"eventType": event_type, "count": count}
        if object_type:
            body["objectType"] = object_type
        response = self._request("POST", f"{self.root}/_emulator/instances/{instance_id}/events", json=body)
        _raise_for(response)
        result: dict[str, Any] = response.json()
        return result


def trigger_events(
    conn: Connection, instance: str, *, object_type: str | None, event_type: str, count: int
) -> dict[str, Any]:
    """Check that the URL is an emulator, resolve the instance, ask for the events: the emulator's answer."""
    with EmulatorClient(conn) as client:
        client.check_emulator()
        instance_id = client.find_instance_id(instance)
        return client.trigger(instance_id, object_type=object_type, event_type=event_type, count=count)
