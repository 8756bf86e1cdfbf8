"""OAuth 2 in the emulator, over HTTP against the app (and the real subprocess): the consent URL, the consent
page's redirect, codes that are single-use, expire and belong to one client and redirect URI, the provider's
error, bring-your-own tokens, and re-authentication that keeps the instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cloudevents_cli.emulator.oauth import Codes
from tests.emulator_fixtures import InProcessEmulator, consent, make_in_process
from tests.test_emulator_masking import CLIENT_MODULES, _imports

API_KEY = "client-id-of-the-app"
SECRET = "client-secret-of-the-app"
CALLBACK = "https://app.example.com/oauth/callback"
OAUTH_CONF = {"oauth.api.key": API_KEY, "oauth.api.secret": SECRET, "oauth.callback.url": CALLBACK}
TOKENS = ("oauth.user.token", "oauth.user.refresh_token")


def url_of(c: Any, element: str = "box", **params: str) -> httpx.Response:
    query = {"apiKey": API_KEY, "apiSecret": SECRET, "callbackUrl": CALLBACK} | params
    return c.get(f"/elements/{element}/oauth/url", params={k: v for k, v in query.items() if v})


def follow(c: Any, oauth_url: str) -> dict[str, list[str]]:
    """What the consent page sends the browser back with: the query of its redirect to the callback URL."""
    answer = c.get(oauth_url, follow_redirects=False, headers={"Authorization": ""})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.split("?", 1)[0] == CALLBACK
    return parse_qs(urlsplit(location).query)


def oauth_body(code: str | None, element: str = "box", **conf: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"element": {"key": element}, "name": "acme-box", "tags": ["acme"]}
    body["configuration"] = {**OAUTH_CONF, **conf}
    if code is not None:
        body["providerData"] = {"code": code}
    return body


def code_for(emu: InProcessEmulator, c: Any, api_key: str = API_KEY, callback: str = CALLBACK) -> str:
    return consent(c, emu.root_url, api_key, callback)


def assert_refused(response: httpx.Response, *fragments: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    doc: dict[str, Any] = response.json()
    assert set(doc) <= {"requestId", "message", "providerMessage"} and doc["requestId"]
    text = doc["message"] + doc.get("providerMessage", "")
    for fragment in fragments:
        assert fragment in text, text
    return doc


# -- the consent URL and the consent page ------------------------------------------------------------------


def test_oauth_url_points_at_the_consent_page_with_what_was_asked(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        answer = url_of(c, scope="read write", state="s t&u=1")
        by_id = url_of(c, "22", state="x")
        posted = c.post(
            "/elements/box/oauth/url", json={"apiKey": API_KEY, "apiSecret": SECRET, "callbackUrl": CALLBACK}
        )
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"element", "oauthUrl"} and answer.json()["element"] == "box"
    url = urlsplit(answer.json()["oauthUrl"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == emulator.root_url + "/_emulator/oauth/authorize"
    assert parse_qs(url.query) == {
        "client_id": [API_KEY],
        "redirect_uri": [CALLBACK],
        "state": ["s t&u=1"],
        "response_type": ["code"],
        "scope": ["read write"],
    }
    assert SECRET not in answer.text  # the secret stays with the platform
    assert by_id.json()["element"] == "box" and posted.status_code == 200 and posted.json()["element"] == "box"


@pytest.mark.parametrize("missing", ["apiKey", "apiSecret", "callbackUrl"])
def test_oauth_url_without_a_credential_is_400(emulator: InProcessEmulator, missing: str) -> None:
    with emulator.sync_client() as c:
        assert_refused(url_of(c, **{missing: ""}), missing)


def test_oauth_url_of_an_element_without_oauth_is_400_and_of_an_unknown_one_404(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        assert_refused(url_of(c, "closeio"), "closeio", "OAuth 2")
        unknown = url_of(c, "nosuchelement")
        unauthenticated = c.get("/elements/box/oauth/url", headers={"Authorization": ""})
    assert unknown.status_code == 404 and set(unknown.json()) == {"requestId", "message"}
    assert unauthenticated.status_code == 401


def test_the_consent_page_redirects_with_a_code_and_the_state(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        first = follow(c, url_of(c, state="s t&u=1").json()["oauthUrl"])
        second = follow(c, url_of(c).json()["oauthUrl"])
        kept_query = c.get(
            emulator.root_url + "/_emulator/oauth/authorize",
            params={"client_id": API_KEY, "redirect_uri": CALLBACK + "?tenant=7", "response_type": "code"},
            follow_redirects=False,
        )
        nowhere = c.get(emulator.root_url + "/_emulator/oauth/authorize", params={"client_id": API_KEY})
    assert first["state"] == ["s t&u=1"] and len(first["code"][0]) >= 20
    assert "state" not in second and second["code"] != first["code"]  # a fresh random code each time
    assert kept_query.headers["location"].startswith(CALLBACK + "?tenant=7&code=")
    assert nowhere.status_code == 400 and "redirect_uri" in nowhere.json()["message"]


# -- creating with a code ------------------------------------------------------------------------------------


def test_a_code_creates_the_instance_and_the_provider_tokens_are_stored(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        code = code_for(emulator, c)
        created = c.post("/instances", json=oauth_body(code))
    assert created.status_code == 200, created.text
    inst = created.json()
    stored = emulator.store.get(inst["id"])
    assert stored is not None and code not in str(stored) and "providerData" not in stored.configuration
    for key in TOKENS:  # answered in clear, as published Box responses show them (emulator/masking.py)
        assert stored.configuration[key] and inst["configuration"][key] == stored.configuration[key]
    assert inst["configuration"]["oauth.api.secret"] == SECRET
    assert inst["valid"] is True and inst["externalAuthentication"] == "none" and inst["token"]


def test_a_code_is_single_use(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        code = code_for(emulator, c)
        assert c.post("/instances", json=oauth_body(code)).status_code == 200
        doc = assert_refused(c.post("/instances", json=oauth_body(code)), "providerData.code", "already used")
    assert doc["providerMessage"].startswith("invalid_grant")
    assert emulator.store.count() == 1


def test_a_code_of_another_client_or_redirect_uri_is_refused_and_stays_its_clients(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        code = code_for(emulator, c)
        assert_refused(
            c.post("/instances", json=oauth_body(code, **{"oauth.api.key": "another-app"})), "another client"
        )
        other_uri = oauth_body(code, **{"oauth.callback.url": "https://app.example.com/elsewhere"})
        assert_refused(c.post("/instances", json=other_uri), "redirect URI")
        assert c.post("/instances", json=oauth_body(code)).status_code == 200
    assert emulator.store.count() == 1


def test_a_made_up_code_and_no_code_are_refused(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        assert_refused(c.post("/instances", json=oauth_body("made-up-code")), "unknown")
        assert_refused(c.post("/instances", json=oauth_body(None)), "providerData.code", "/elements/box/oauth/url")
        assert_refused(c.post("/instances", json=oauth_body("")), "providerData.code")
        bad = oauth_body(None)
        bad["providerData"] = "code"
        assert_refused(c.post("/instances", json=bad), "providerData")
    assert emulator.store.count() == 0


@pytest.mark.parametrize("missing", ["oauth.api.key", "oauth.api.secret", "oauth.callback.url"])
def test_a_code_without_the_app_credentials_is_refused_and_not_spent(emulator: InProcessEmulator, missing: str) -> None:
    with emulator.sync_client() as c:
        code = code_for(emulator, c)
        incomplete = oauth_body(code)
        del incomplete["configuration"][missing]
        assert_refused(c.post("/instances", json=incomplete), missing)
        assert c.post("/instances", json=oauth_body(code)).status_code == 200


def test_codes_expire_after_their_ttl() -> None:
    now = [1000.0]
    emu = make_in_process()
    emu.app.state.emulator.codes = Codes(ttl=30, clock=lambda: now[0])
    with emu.sync_client() as c:
        late, in_time = code_for(emu, c), code_for(emu, c)
        now[0] += 29
        assert c.post("/instances", json=oauth_body(in_time)).status_code == 200
        now[0] += 1
        assert_refused(c.post("/instances", json=oauth_body(late)), "expired")
        assert c.get(emu.root_url + "/_emulator/oauth").json()["codeTtl"] == 30


def test_the_expire_control_expires_every_code_issued(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        codes = [code_for(emulator, c) for _ in range(2)]
        assert c.get(emulator.root_url + "/_emulator/oauth").json()["outstandingCodes"] == 2
        assert c.post(emulator.root_url + "/_emulator/oauth/expire").json() == {"expired": 2}
        for code in codes:
            assert_refused(c.post("/instances", json=oauth_body(code)), "expired")
        assert c.post("/instances", json=oauth_body(code_for(emulator, c))).status_code == 200  # new ones work


def test_the_error_control_makes_the_consent_page_answer_an_error(emulator: InProcessEmulator) -> None:
    control = emulator.root_url + "/_emulator/oauth"
    with emulator.sync_client() as c:
        set_error = c.put(control, json={"error": "access_denied"})
        assert set_error.status_code == 200 and set_error.json()["error"] == "access_denied"
        assert follow(c, url_of(c, state="st").json()["oauthUrl"]) == {"error": ["access_denied"], "state": ["st"]}
        assert c.get(control).json()["outstandingCodes"] == 0
        assert c.put(control, json={"error": None}).json()["error"] is None
        assert "code" in follow(c, url_of(c).json()["oauthUrl"])
        assert c.put(control, json={}).status_code == 400
        assert c.put(control, json={"error": 3}).status_code == 400


# -- which instances need a code ------------------------------------------------------------------------------


def test_an_element_with_several_types_needs_a_code_only_when_its_instance_picks_oauth2(
    emulator: InProcessEmulator,
) -> None:
    def hubspot(auth_type: str | None) -> dict[str, Any]:
        conf = {"hubspot.authorization.apikey": "k"} | ({"authentication.type": auth_type} if auth_type else {})
        return {"element": {"key": "hubspotcrm"}, "name": "h", "configuration": conf}

    with emulator.sync_client() as c:
        assert c.post("/instances", json=hubspot("apiKey")).status_code == 200
        assert c.post("/instances", json=hubspot("apikey")).status_code == 200  # any case, as the samples write it
        assert_refused(c.post("/instances", json=hubspot("oauth2")), "providerData.code")
        assert_refused(c.post("/instances", json=hubspot(None)), "providerData.code")  # the element's own type
        # dynamicscrm: custom credentials by default, OAuth 2 when asked (and then no user.* keys)
        custom = {"user.username": "u", "user.password": "p", "dynamics.tenant": "t"}
        plain = c.post("/instances", json={"element": {"key": "dynamicscrm"}, "name": "d", "configuration": custom})
        assert plain.status_code == 200, plain.text
        as_oauth = oauth_body(code_for(emulator, c), "dynamicscrm", **{"authentication.type": "oauth2"})
        assert c.post("/instances", json=as_oauth).status_code == 200
        no_code = oauth_body(None, "dynamicscrm", **{"authentication.type": "oauth2"})
        assert_refused(c.post("/instances", json=no_code), "providerData.code")
        # a code sent for an element that does not use OAuth is not looked at
        closeio = {"element": {"key": "closeio"}, "name": "c", "configuration": {"username": "u", "password": "p"}}
        assert c.post("/instances", json=closeio | {"providerData": {"code": "whatever"}}).status_code == 200


def test_bring_your_own_tokens_needs_no_code(emulator: InProcessEmulator) -> None:
    external = {"externalAuthentication": "initial"}
    with emulator.sync_client() as c:
        refresh = c.post("/instances", json=oauth_body(None, **{"oauth.user.refresh_token": "my-refresh"}) | external)
        access = c.post("/instances", json=oauth_body(None, **{"oauth.user.token": "my-access"}) | external)
        bare = {"element": {"key": "sfdc"}, "name": "s", "configuration": {"oauth.user.refresh_token": "r"}}
        no_callback = c.post("/instances", json=bare | external)  # as the published salesforce_sync body
        assert_refused(c.post("/instances", json=oauth_body(None) | external), "oauth.user.refresh_token")
    assert refresh.status_code == 200, refresh.text
    conf = refresh.json()["configuration"]
    assert refresh.json()["externalAuthentication"] == "initial"
    assert conf["oauth.user.refresh_token"] == "my-refresh" and conf["oauth.user.token"]
    assert access.json()["configuration"]["oauth.user.token"] == "my-access"
    assert no_callback.status_code == 200, no_callback.text


def test_accept_any_code_takes_placeholders_but_not_a_spent_code() -> None:
    emu = make_in_process(accept_any_code=True)
    with emu.sync_client() as c:
        for _ in range(2):  # the samples send one placeholder for two instances
            assert c.post("/instances", json=oauth_body("demo-placeholder-code")).status_code == 200
        code = code_for(emu, c)
        assert c.post("/instances", json=oauth_body(code)).status_code == 200
        assert_refused(c.post("/instances", json=oauth_body(code)), "already used")
        assert_refused(c.post("/instances", json=oauth_body(None)), "providerData.code")


# -- re-authentication ---------------------------------------------------------------------------------------


def test_reauthenticating_with_put_or_patch_keeps_the_instance(
    emulator: InProcessEmulator, callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    events = {"event.notification.enabled": True, "event.notification.callback.url": receiver.url}
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=oauth_body(code_for(emulator, c), **events)).json()
        triggered = c.post(emulator.root_url + f"/_emulator/instances/{inst['id']}/events", json={"count": 1})
        assert triggered.status_code == 200, triggered.text
        history = c.get(f"/instances/{inst['id']}/events").json()
        patched = c.patch(f"/instances/{inst['id']}", json={"providerData": {"code": code_for(emulator, c)}})
        got = c.get(f"/instances/{patched.json()['id']}").json()
        put_body = {k: got[k] for k in ("element", "name", "tags", "configuration")}
        put = c.put(f"/instances/{inst['id']}", json=put_body | {"providerData": {"code": code_for(emulator, c)}})
        assert c.get(f"/instances/{inst['id']}/events").json() == history
    assert patched.status_code == 200 and put.status_code == 200, (patched.text, put.text)
    for answer in (patched.json(), put.json()):
        assert (answer["id"], answer["tags"], answer["token"]) == (inst["id"], ["acme"], inst["token"])
        assert answer["eventsEnabled"] is True and answer["valid"] is True
    tokens = [doc["configuration"]["oauth.user.token"] for doc in (inst, patched.json(), put.json())]
    assert len(set(tokens)) == 3  # each code brought new tokens
    assert emulator.store.count() == 1 and len(history) == 1


def test_reauthenticating_with_a_bad_code_changes_nothing(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=oauth_body(code_for(emulator, c))).json()
        for code in ("made-up", code_for(emulator, c, api_key="another-app")):
            assert_refused(c.patch(f"/instances/{inst['id']}", json={"providerData": {"code": code}, "tags": ["x"]}))
        after = c.get(f"/instances/{inst['id']}").json()
    assert (
        after["tags"] == ["acme"]
        and after["configuration"]["oauth.user.token"] == inst["configuration"]["oauth.user.token"]
    )


def test_a_patch_or_put_without_a_code_keeps_the_tokens(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=oauth_body(code_for(emulator, c))).json()
        c.patch(f"/instances/{inst['id']}", json={"tags": ["b"]})
        body = {"element": {"key": "box"}, "name": "renamed", "configuration": OAUTH_CONF}  # tokens not sent
        put = c.put(f"/instances/{inst['id']}", json=body).json()
    for key in TOKENS:
        assert put["configuration"][key] == inst["configuration"][key]


def test_a_disabled_instance_is_valid_again_after_reauthentication_but_stays_disabled(
    emulator: InProcessEmulator,
) -> None:
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=oauth_body(code_for(emulator, c))).json()
        failures = emulator.root_url + f"/_emulator/instances/{inst['id']}/refresh-failures"
        assert c.post(failures, json={"count": 1}).json()["disabled"] is False
        assert c.get(f"/instances/{inst['id']}").json()["valid"] is False  # its tokens no longer refresh
        assert c.post(failures, json={"count": 4}).json() == {
            "instanceId": inst["id"],
            "refreshFailures": 5,
            "disabled": True,
        }
        again = c.patch(f"/instances/{inst['id']}", json={"providerData": {"code": code_for(emulator, c)}}).json()
        assert again["valid"] is True and again["disabled"] is True  # until enabled
        enabled = c.put(f"/instances/{inst['id']}/enabled").json()
        assert enabled["valid"] is True and enabled["disabled"] is False
        assert c.post(failures, json={"count": 1}).json()["refreshFailures"] == 1  # the count started over


# -- the real subprocess ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_emulator_options_error_and_code_ttl_in_a_real_server(start_emulator: Any) -> None:
    import time

    handle = start_emulator("--oauth-error", "access_denied", "--oauth-code-ttl", "0.5")
    with httpx.Client(base_url=handle.base_url, headers=handle.headers, timeout=10) as c:
        oauth_url = url_of(c).json()["oauthUrl"]
        assert oauth_url.startswith(handle.root_url + "/_emulator/oauth/authorize?")
        assert follow(c, oauth_url) == {"error": ["access_denied"]}
        assert c.put(handle.root_url + "/_emulator/oauth", json={"error": None}).status_code == 200
        code = follow(c, oauth_url)["code"][0]
        assert c.post("/instances", json=oauth_body(code)).status_code == 200
        assert_refused(c.post("/instances", json=oauth_body(code)), "already used")
        late = follow(c, oauth_url)["code"][0]
        time.sleep(0.6)  # past the --oauth-code-ttl
        assert_refused(c.post("/instances", json=oauth_body(late)), "expired")


def test_these_tests_and_the_emulator_s_oauth_import_no_client_module() -> None:
    root = Path(__file__).resolve().parents[1]
    files = [Path(__file__), Path(__file__).with_name("test_emulator_elements.py")]
    files += [root / "cloudevents_cli" / "emulator" / n for n in ("oauth.py", "oauth_api.py", "elements_api.py")]
    for path in files:
        assert not [n for n in _imports(path) if any(n == m or n.startswith(m + ".") for m in CLIENT_MODULES)], path


@pytest.mark.slow
@pytest.mark.parametrize("ttl", ["0", "-1", "soon"])
def test_a_code_ttl_that_is_not_a_positive_number_is_a_usage_error(ttl: str) -> None:
    import subprocess
    import sys

    args = [sys.executable, "-m", "cloudevents_cli", "emulator", "--port", "0", "--oauth-code-ttl", ttl]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--oauth-code-ttl" in done.stderr and "Traceback" not in done.stderr
