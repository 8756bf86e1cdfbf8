"""`cloudevents authorize` against a fake platform (httpx.MockTransport) that plays the provider too: the consent
is "given" by a thread that follows the redirect to the loopback listener, as a browser would."""

from __future__ import annotations

import json
import socket
import threading
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from cloudevents_cli.cli.app import Seams

API_SECRET = "app-secret-0123456789"
CODE = "one-time-code-4242"
TOKEN = "instance-token-abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakePlatform:
    """The platform's OAuth endpoints and instances, recording every request."""

    def __init__(self, *, auth_type: str = "oauth2", consent: str = "code", live: list[dict[str, Any]] | None = None):
        self.auth_type = auth_type
        self.consent = consent  # code | error | wrong-state | none (nobody follows the URL)
        self.live = live or []
        self.requests: list[httpx.Request] = []
        self.followed: list[int] = []
        self.browsers: list[threading.Thread] = []

    def bodies(self, method: str) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.method == method]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/elements/api-v2")
        params = dict(request.url.params)
        if path.endswith("/oauth/url"):
            return self._consent(params)
        if path.endswith("/metadata"):
            return httpx.Response(200, json={"events": {"supported": True, "methods": ["polling", "webhook"]}})
        if path.startswith("/elements/"):
            key = path.split("/")[2]
            return httpx.Response(200, json={"key": key, "name": key, "authentication": {"type": self.auth_type}})
        if path == "/instances" and request.method == "GET":
            return httpx.Response(200, json=[i for i in self.live if i["name"] == params.get("searchText")])
        if path == "/instances" and request.method == "POST":
            body = json.loads(request.content)
            return httpx.Response(200, json={"id": 7, "name": body["name"], "token": TOKEN, "element": body["element"]})
        if request.method in ("PATCH", "GET") and path.startswith("/instances/"):
            found = next(i for i in self.live if str(i["id"]) == path.split("/")[2])
            return httpx.Response(200, json={**found, "token": TOKEN})
        return httpx.Response(404, json={"message": "no such path"})

    def _consent(self, params: dict[str, str]) -> httpx.Response:
        callback, state = params["callbackUrl"], params["state"]
        answer = {"code": CODE, "state": state}
        if self.consent == "error":
            answer = {"error": "access_denied", "error_description": "The user said no", "state": state}
        elif self.consent == "wrong-state":
            answer = {"code": CODE, "state": "not-" + state}
        redirect = f"{callback}?{urlencode(answer)}"
        if self.consent != "none" and urlsplit(callback).hostname == "127.0.0.1":
            browser = threading.Thread(target=self._follow, args=(redirect,), daemon=True)
            browser.start()
            self.browsers.append(browser)
        url = f"https://provider.test/consent?{urlencode({'client_id': params['apiKey'], 'state': state})}"
        return httpx.Response(200, json={"element": "hubspotcrm", "oauthUrl": url})

    def wait(self) -> list[int]:
        """The statuses the listener answered the "browser" (once its threads are done)."""
        for browser in self.browsers:
            browser.join(10)
        return self.followed

    def _follow(self, redirect: str) -> None:
        self.followed.append(httpx.get(redirect, timeout=10).status_code)


def definition(tmp_path: Path, callback: str, extra: str = "") -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(
        "name: acme-hubspot\n"
        "element: hubspotcrm\n"
        "tags: [acme]\n"
        "configuration:\n"
        "  oauth.api.key: my-client-id\n"
        "  oauth.api.secret: ${env:HUB_SECRET}\n"
        f"  oauth.callback.url: {callback}\n" + extra
    )
    return path


@pytest.fixture(autouse=True)
def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError("a test opened a browser")

    monkeypatch.setattr(webbrowser, "open", refuse)
    monkeypatch.setenv("CE_USER_SECRET", "user-secret-1")
    monkeypatch.setenv("CE_ORG_SECRET", "org-secret-1")
    monkeypatch.setenv("CE_BASE_URL", "http://platform.test")
    monkeypatch.setenv("HUB_SECRET", API_SECRET)


def run(cli: Any, fake: FakePlatform, *args: str, input: str | None = None) -> Any:
    return cli(*args, input=input, seams=Seams(transport=httpx.MockTransport(fake.handler)))


def assert_no_secret(text: str) -> None:
    for secret in (API_SECRET, CODE, TOKEN):
        assert secret not in text


def test_local_callback_creates_the_instance_with_the_code(cli: Any, tmp_path: Path) -> None:
    fake = FakePlatform()
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    res = run(cli, fake, "authorize", str(path), "-o", "json", "-v")
    assert res.exit_code == 0, res.output
    assert fake.wait() == [200]
    [body] = fake.bodies("POST")
    assert body["providerData"] == {"code": CODE}
    assert body["configuration"]["oauth.api.secret"] == API_SECRET
    assert body["tags"] == ["acme"]
    doc = json.loads(res.stdout)
    assert doc["results"][0]["action"] == "created" and doc["results"][0]["id"] == 7
    # the consent URL is one line of stderr; the apiSecret went only to the platform
    [url_line] = [line for line in res.stderr.splitlines() if line.startswith("https://provider.test/")]
    assert "client_id=my-client-id" in url_line
    consent = next(r for r in fake.requests if r.url.path.endswith("/oauth/url"))
    assert consent.url.params["apiSecret"] == API_SECRET
    assert_no_secret(res.output)  # -v logged every exchange, the apiSecret query included


def test_pasted_redirect_url(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudevents_cli.platform import oauth

    monkeypatch.setattr(oauth, "new_state", lambda: "known-state")
    fake = FakePlatform()
    path = definition(tmp_path, "https://app.example.com/oauth/cb")
    pasted = f"https://app.example.com/oauth/cb?code={CODE}&state=known-state\n"
    res = run(cli, fake, "authorize", str(path), "--no-browser", input=pasted)
    assert res.exit_code == 0, res.output
    assert fake.bodies("POST")[0]["providerData"] == {"code": CODE}
    assert "paste the URL" in res.stderr
    assert_no_secret(res.output)


def test_pasted_bare_code(cli: Any, tmp_path: Path) -> None:
    fake = FakePlatform()
    path = definition(tmp_path, "https://app.example.com/oauth/cb")
    res = run(cli, fake, "authorize", str(path), input=f"  {CODE}  \n")
    assert res.exit_code == 0, res.output
    assert fake.bodies("POST")[0]["providerData"] == {"code": CODE}


@pytest.mark.parametrize(
    ("pasted", "code", "message"),
    [
        ("https://app.example.com/oauth/cb?code=x&state=forged\n", 5, "state is not this run's"),
        ("https://app.example.com/oauth/cb?error=access_denied&state=known-state\n", 5, "refused the authorization"),
        ("\n", 3, "nothing was pasted"),
        ("", 3, "nothing was pasted"),
    ],
)
def test_pasted_failures_create_nothing(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pasted: str, code: int, message: str
) -> None:
    from cloudevents_cli.platform import oauth

    monkeypatch.setattr(oauth, "new_state", lambda: "known-state")
    fake = FakePlatform()
    res = run(cli, fake, "authorize", str(definition(tmp_path, "https://app.example.com/cb")), input=pasted)
    assert res.exit_code == code, res.output
    assert message in res.stderr
    assert fake.bodies("POST") == [] and fake.bodies("PATCH") == []
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("consent", "message"),
    [("error", "refused the authorization: access_denied (The user said no)"), ("wrong-state", "state is not")],
)
def test_listener_refuses_and_creates_nothing(cli: Any, tmp_path: Path, consent: str, message: str) -> None:
    fake = FakePlatform(consent=consent)
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    res = run(cli, fake, "authorize", str(path), "--no-browser")
    assert res.exit_code == 5, res.output
    assert message in res.stderr
    assert fake.wait() == [400]  # the browser is told too
    assert fake.bodies("POST") == []


def test_timeout_leaves_nothing(cli: Any, tmp_path: Path) -> None:
    fake = FakePlatform(consent="none")
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    res = run(cli, fake, "authorize", str(path), "--wait-timeout", "1")
    assert res.exit_code == 6, res.output
    assert "no authorization within 1 s; nothing was created" in res.stderr
    assert fake.bodies("POST") == []


def test_existing_instance_is_reauthenticated_keeping_its_id(cli: Any, tmp_path: Path) -> None:
    live = {"id": 41, "name": "acme-hubspot", "element": {"key": "hubspotcrm"}, "tags": ["acme"]}
    fake = FakePlatform(live=[live])
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    res = run(cli, fake, "authorize", str(path), "-o", "json")
    assert res.exit_code == 0, res.output
    assert fake.bodies("POST") == []
    [patch] = fake.bodies("PATCH")
    assert patch["providerData"] == {"code": CODE}
    assert set(patch) == {"providerData", "configuration"}  # name, tags and events are left as they are
    assert [r.url.path for r in fake.requests if r.method == "PATCH"] == ["/elements/api-v2/instances/41"]
    result = json.loads(res.stdout)["results"][0]
    assert (result["action"], result["id"]) == ("updated", 41)
    assert_no_secret(res.output)


def test_instance_option_reauthenticates_with_the_given_secret(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    callback = f"http://127.0.0.1:{free_port()}/callback"
    conf = {"oauth.api.key": "my-client-id", "oauth.api.secret": "********", "oauth.callback.url": callback}
    live = {"id": 41, "name": "acme-hubspot", "element": {"key": "hubspotcrm"}, "configuration": conf}
    fake = FakePlatform(live=[live])
    res = run(cli, fake, "authorize", "--instance", "41")
    assert res.exit_code == 3 and "oauth.api.secret" in res.stderr  # masked by the platform: asked for
    monkeypatch.setenv("CE_OAUTH_API_SECRET", API_SECRET)
    res = run(cli, fake, "authorize", "--instance", "acme-hubspot", "-v")
    assert res.exit_code == 0, res.output
    [patch] = fake.bodies("PATCH")
    assert patch == {
        "providerData": {"code": CODE},
        "configuration": {
            "oauth.api.key": "my-client-id",
            "oauth.api.secret": API_SECRET,
            "oauth.callback.url": callback,
        },
    }
    assert_no_secret(res.output)


def test_refusals_before_anything_is_sent(cli: Any, tmp_path: Path) -> None:
    fake = FakePlatform(auth_type="basic")
    path = definition(tmp_path, "https://app.example.com/cb")
    res = run(cli, fake, "authorize", str(path))
    assert res.exit_code == 2 and "authenticates with basic, not OAuth2" in res.stderr
    assert not any(r.url.path.endswith("/oauth/url") for r in fake.requests)
    byo = definition(tmp_path, "https://app.example.com/cb", "external_authentication: initial\n")
    res = run(cli, fake, "authorize", str(byo))
    assert res.exit_code == 2 and "needs no authorization" in res.stderr
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: x\nelement: hubspotcrm\nconfiguration: {oauth.api.key: k}\n")
    res = run(cli, fake, "authorize", str(bare))
    assert res.exit_code == 3 and "oauth.api.secret, oauth.callback.url" in res.stderr
    assert not any(r.method != "GET" or r.url.path.endswith("/oauth/url") for r in fake.requests)
    res = run(cli, fake, "authorize", "--instance", "41", str(path))
    assert res.exit_code == 2


def test_browser_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudevents_cli.cli import authorize_cmd

    monkeypatch.setattr(authorize_cmd.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(authorize_cmd.sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert authorize_cmd.browser_allowed(False)
    assert not authorize_cmd.browser_allowed(True)
    monkeypatch.setenv("CI", "true")
    assert not authorize_cmd.browser_allowed(False)
    monkeypatch.delenv("CI")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(authorize_cmd.sys, "platform", "linux")
    assert not authorize_cmd.browser_allowed(False)


def test_code_from_text_forms() -> None:
    from cloudevents_cli.platform.oauth import AuthorizationFailed, code_from_text

    assert code_from_text(f"?code={CODE}&state=s1", "s1") == CODE
    assert code_from_text(f"code={CODE}&state=s1", "s1") == CODE
    with pytest.raises(AuthorizationFailed, match="state"):
        code_from_text(f"http://x/cb?code={CODE}", "s1")  # a URL without the state is refused too
    with pytest.raises(AuthorizationFailed, match="no code"):
        code_from_text("http://x/cb?state=s1", "s1")


def test_listener_ignores_other_paths(tmp_path: Path) -> None:
    import asyncio

    from cloudevents_cli.platform.oauth import Listener

    port = free_port()

    async def go() -> tuple[list[int], str]:
        listener = Listener("127.0.0.1", port, "/callback", "s1")
        await listener.start()
        try:
            async with httpx.AsyncClient() as http:
                statuses = [
                    (await http.get(f"http://127.0.0.1:{port}/favicon.ico")).status_code,
                    (await http.get(f"http://127.0.0.1:{port}/callback")).status_code,
                    (await http.post(f"http://127.0.0.1:{port}/callback?code=c&state=s1")).status_code,
                    (await http.get(f"http://127.0.0.1:{port}/callback?code=c0de&state=s1")).status_code,
                    (await http.get(f"http://127.0.0.1:{port}/callback?code=again&state=s1")).status_code,
                ]
            return statuses, await listener.result
        finally:
            await listener.close()

    statuses, code = asyncio.run(go())
    assert statuses == [404, 404, 405, 200, 409]
    assert code == "c0de"
    assert dict(parse_qsl("a=1")) == {"a": "1"}


def test_an_instance_from_flags_alone(cli: Any) -> None:
    fake = FakePlatform()
    sets = [
        "configuration.oauth.api.key=my-client-id",
        f"configuration.oauth.api.secret={API_SECRET}",
        "configuration.oauth.callback.url=https://app.example.com/cb",
    ]
    args = ["authorize", "--element", "hubspotcrm", "--name", "from-flags", "--tag", "cli", "-v"]
    args += [a for s in sets for a in ("--set", s)]
    res = run(cli, fake, *args, input=f"{CODE}\n")
    assert res.exit_code == 0, res.output
    [body] = fake.bodies("POST")
    assert (body["name"], body["tags"], body["providerData"]) == ("from-flags", ["cli"], {"code": CODE})
    assert_no_secret(res.output)
