"""Answers that are not what the platform documents, and base URLs that cannot work: each is a one-line error
with its exit code (never exit 70, never "0 instances" or "deleted"), through the CLI as a user sees it."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudevents_cli.cli.app import Seams
from cloudevents_cli.errors import ExitCode

BASE = "http://platform.test/elements/api-v2"
G = ["--base-url", BASE, "--user-secret", "user-1234", "--org-secret", "org-5678"]
INSTANCE = {"id": 7, "name": "acme", "element": {"key": "closeio"}, "tags": ["t"], "configuration": {}}
DEFINITION = "name: acme\nelement: closeio\ntags: [t]\nconfiguration:\n  username: bob\n"


class Platform:
    """A fake platform: GET /instances/7 and the listing answer INSTANCE unless `answers` says otherwise."""

    def __init__(self, **answers: httpx.Response) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for key, answer in self.answers.items():
            if key == request.method.lower() or key == f"{request.method.lower()}_{request.url.path.split('/')[-1]}":
                return answer
        if request.url.path.endswith("/instances") and request.method == "GET":
            return httpx.Response(200, json=[INSTANCE])
        return httpx.Response(200, json=INSTANCE)

    def seams(self) -> Seams:
        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        return Seams(transport=httpx.MockTransport(self.handle), sleep=sleep)


@pytest.fixture
def definition(tmp_path: Path) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(DEFINITION)
    return path


def commands(definition: Path) -> dict[str, list[str]]:
    return {
        "list": ["list"],
        "get": ["get", "7"],
        "delete": ["delete", "7", "--yes"],
        "create": ["create", str(definition)],
        "apply": ["apply", str(definition)],
    }


REDIRECT = httpx.Response(302, headers={"Location": "https://login.example.com/sso"}, text="<html>moved</html>")


@pytest.mark.parametrize("command", ["list", "get", "delete", "create", "apply"])
def test_a_redirect_is_an_error_naming_where_it_goes(cli: Any, definition: Path, command: str) -> None:
    platform = Platform(get=REDIRECT, post=REDIRECT)
    res = cli(*G, *commands(definition)[command], seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE, res.output
    assert "HTTP 302 redirect to https://login.example.com/sso: not an API answer; check --base-url" in res.stderr
    assert "0 instances" not in res.output and "deleted" not in res.stdout
    assert len(platform.requests) == 1  # a redirect is not retried, nor followed


@pytest.mark.parametrize("command", ["list", "get", "delete", "apply"])
def test_an_empty_2xx_is_an_error_not_an_empty_success(cli: Any, definition: Path, command: str) -> None:
    empty = httpx.Response(200, content=b"")
    platform = Platform(get=empty) if command != "delete" else Platform(delete=empty)
    res = cli(*G, "-o", "json", *commands(definition)[command], seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE, res.output
    assert "an empty body, expected JSON" in res.stderr
    if command == "delete":
        assert json.loads(res.stdout)["results"][0]["action"] == "failed"


def test_an_empty_answer_to_a_post_leaves_the_outcome_unknown(cli: Any, definition: Path) -> None:
    platform = Platform(post=httpx.Response(201, content=b""))
    res = cli(*G, "-o", "json", "create", str(definition), seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE
    assert json.loads(res.stdout)["results"][0]["action"] == "unknown"
    assert "the outcome is unknown" in res.stderr


WRONG_SHAPES: list[tuple[str, Any, str]] = [
    ("tags is a number", [{**INSTANCE, "tags": 5}], "instance 7: 'tags' is a number, expected a list"),
    ("no id", [{"name": "acme"}], "expected an instance with an id"),
    ("id is a boolean", [{**INSTANCE, "id": True}], "got an id that is a boolean"),
    ("configuration is a string", [{**INSTANCE, "configuration": "x"}], "'configuration' is a string"),
    ("an object instead of a list", INSTANCE, "expected a list of instances"),
    ("a list of numbers", [1, 2], "expected an instance (a JSON object), got a number"),
    ("a tag that is an object", [{**INSTANCE, "tags": [{"a": 1}]}], "'tags' holds something other than strings"),
]


@pytest.mark.parametrize(("what", "listing", "message"), WRONG_SHAPES, ids=[w[0] for w in WRONG_SHAPES])
@pytest.mark.parametrize("command", ["list", "apply", "delete-by-name"])
def test_a_listing_of_the_wrong_shape_is_a_clean_error(
    cli: Any, definition: Path, command: str, what: str, listing: Any, message: str
) -> None:
    platform = Platform(get_instances=httpx.Response(200, json=listing))
    args = {"list": ["list"], "apply": ["apply", str(definition)], "delete-by-name": ["delete", "acme", "--yes"]}
    res = cli(*G, *args[command], seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE, res.output
    assert message in res.stderr and "internal error" not in res.stderr
    assert all(r.method == "GET" for r in platform.requests)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(200, json=[INSTANCE]), "expected an instance (a JSON object), got a list"),
        (httpx.Response(200, json={"name": "acme"}), "expected an instance with an id"),
        (httpx.Response(200, json={**INSTANCE, "tags": 5}), "'tags' is a number"),
        (httpx.Response(200, text="<html>login</html>"), "a non-JSON body (text/plain"),
    ],
)
def test_get_of_the_wrong_shape_is_a_clean_error(cli: Any, answer: httpx.Response, message: str) -> None:
    res = cli(*G, "get", "7", seams=Platform(get=answer).seams())
    assert res.exit_code == ExitCode.UNREACHABLE
    assert message in res.stderr and "<html>" not in res.output


def test_a_created_instance_of_the_wrong_shape_leaves_the_outcome_unknown(cli: Any, definition: Path) -> None:
    platform = Platform(post=httpx.Response(200, json={"id": None, "name": "acme"}))
    res = cli(*G, "-o", "json", "create", str(definition), seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE
    assert json.loads(res.stdout)["results"][0]["action"] == "unknown"


def test_a_delete_answered_with_another_2xx_is_not_a_deletion(cli: Any) -> None:
    platform = Platform(delete=httpx.Response(202, json={"queued": True}))
    res = cli(*G, "delete", "7", "--yes", "-o", "json", seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE
    assert json.loads(res.stdout)["results"][0]["action"] == "failed"
    assert "HTTP 202: expected 200 or 204" in res.stderr


def test_a_delete_answered_204_is_a_deletion(cli: Any) -> None:
    platform = Platform(delete=httpx.Response(204))
    res = cli(*G, "delete", "7", "--yes", "-o", "json", seams=platform.seams())
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["results"][0]["action"] == "deleted"


# -- base URLs ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url at all", "no valid host name"),
        ("http://127.0.0.1:99999", "the port is not a number from 1 to 65535"),
        ("http://127.0.0.1:0", "the port is not a number from 1 to 65535"),
        ("http://exa mple.com", "no valid host name"),
        ("http://example.com/elements /api-v2", "spaces or control characters"),
        ("ftp://example.com", "the scheme must be http or https, not 'ftp'"),
        ("https://", "no valid host name"),
        ("http://[::1", "not a URL"),
        ("https://example.com/elements/api-v2?x=1", "may not have a query"),
        ("https://user:pw-1234@example.com", "may not have a query, a fragment or a user name"),
    ],
)
def test_a_malformed_base_url_is_a_usage_error_before_any_request(cli: Any, url: str, message: str) -> None:
    platform = Platform()
    res = cli("--base-url", url, "--user-secret", "u-1234", "--org-secret", "o-5678", "list", seams=platform.seams())
    assert res.exit_code == ExitCode.USAGE, res.output
    assert message in res.stderr
    assert platform.requests == [] and platform.waits == []
    assert "pw-1234" not in res.output


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("example.com", "https://example.com/elements/api-v2"),
        ("https://example.com/", "https://example.com/elements/api-v2"),
        ("HTTP://127.0.0.1:8080/elements/api-v2/", "http://127.0.0.1:8080/elements/api-v2"),
        ("http://[::1]:9/custom", "http://[::1]:9/custom"),
    ],
)
def test_good_base_urls_are_normalised(url: str, normalised: str) -> None:
    from cloudevents_cli.config import normalise_base_url

    assert normalise_base_url(url) == normalised


def test_a_host_that_does_not_resolve_fails_at_once_with_a_hint(cli: Any) -> None:
    platform = Platform()

    def handle(request: httpx.Request) -> httpx.Response:
        platform.requests.append(request)
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as err:
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request) from err

    platform.handle = handle  # type: ignore[method-assign]
    g = ["--base-url", "https://no-such-host.invalid", "--user-secret", "u-1234", "--org-secret", "o-5678"]
    res = cli(*g, "list", seams=platform.seams())
    assert res.exit_code == ExitCode.UNREACHABLE
    assert "the host name does not resolve; check --base-url" in res.stderr
    assert len(platform.requests) == 1 and platform.waits == []


def test_an_unresolvable_host_through_the_real_http_stack(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []

    def getaddrinfo(host: str | bytes, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host.decode() if isinstance(host, bytes) else host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    g = ["--base-url", "http://no-such-host.invalid", "--user-secret", "u-1234", "--org-secret", "o-5678"]
    res = cli(*g, "list", seams=Seams(sleep=sleep))
    assert res.exit_code == ExitCode.UNREACHABLE, res.output
    assert "does not resolve; check --base-url" in res.stderr
    assert looked_up == ["no-such-host.invalid"] and waits == []


def test_a_404_from_a_base_url_without_the_api_path_gets_a_hint(cli: Any) -> None:
    platform = Platform(get=httpx.Response(404, text="Not Found"))
    g = ["--base-url", "https://example.com/api", "--user-secret", "u-1234", "--org-secret", "o-5678"]
    res = cli(*g, "list", seams=platform.seams())
    assert res.exit_code == ExitCode.REJECTED
    assert "the base URL does not end in /elements/api-v2: add it to --base-url?" in res.stderr


def test_a_404_for_an_instance_under_the_api_path_gets_no_hint(cli: Any) -> None:
    res = cli(*G, "get", "7", seams=Platform(get=httpx.Response(404, json={"message": "no such instance"})).seams())
    assert res.exit_code == ExitCode.REJECTED
    assert "no such instance" in res.stderr and "/elements/api-v2: add it" not in res.stderr
