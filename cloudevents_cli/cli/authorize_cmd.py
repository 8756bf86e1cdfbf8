"""`cloudevents authorize PATH... | --element KEY --name NAME | --instance ID|NAME`: OAuth2 instances in one
command. The consent URL comes from the platform; the browser opens it when one can (never with --no-browser,
with CI set, without a display or without a terminal: then the URL is printed as one line on stderr); the
redirect is received on a one-shot listener when the callback URL is on this machine, else pasted on stdin. Then
the instance is created with the code, or re-authenticated (PATCH) when it exists, keeping its id, events, tags.

Exit codes: 0 done; 2 usage; 3 invalid definition, or nothing pasted; 5 the provider refused, the redirect's
state is not this run's, or no code came; 6 no redirect before --wait-timeout; 130 Ctrl-C. Until the code is in
hand nothing is written, so a timeout or Ctrl-C while waiting leaves nothing half-made.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli.cli.app import State, command_group, state
from cloudevents_cli.cli.common import OutputOpt, PathsArg, finish, report_problems
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.cli.event_flags import (
    CallbackUrlOpt,
    ElementOpt,
    NameOpt,
    NoEventsOpt,
    NoFileOutsideOpt,
    PollingOpt,
    RefreshIntervalOpt,
    SetOpt,
    SignatureKeyOpt,
    TagOpt,
    WebhooksOpt,
    overrides_of,
)
from cloudevents_cli.cli.results_view import render_results
from cloudevents_cli.errors import ExitCode, UsageError, batch_code

if TYPE_CHECKING:
    from cloudevents_cli.platform.client import PlatformClient
    from cloudevents_cli.platform.results import Result

app = command_group()  # this module's commands; cli.app.Group loads them when they run

DEFAULT_WAIT = 300.0


@app.command()
def authorize(
    ctx: typer.Context,
    paths: PathsArg = None,
    instance: Annotated[
        str | None,
        typer.Option(
            "--instance", metavar="ID|NAME", help="Re-authenticate this instance (keeps its id, events, tags)."
        ),
    ] = None,
    api_secret: Annotated[
        str | None,
        typer.Option(
            "--api-secret",
            envvar="CE_OAUTH_API_SECRET",
            metavar="SECRET",
            help="With --instance: the OAuth API secret (the platform masks the instance's own).",
            show_default=False,
        ),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser: print the consent URL on stderr.")
    ] = False,
    wait_timeout: Annotated[
        float,
        typer.Option("--wait-timeout", metavar="SECONDS", min=1, help="How long to wait for the consent."),
    ] = DEFAULT_WAIT,
    polling: PollingOpt = False,
    webhooks: WebhooksOpt = False,
    no_events: NoEventsOpt = False,
    callback_url: CallbackUrlOpt = None,
    signature_key: SignatureKeyOpt = None,
    refresh_interval: RefreshIntervalOpt = None,
    tag: TagOpt = None,
    set_: SetOpt = None,
    element: ElementOpt = None,
    name: NameOpt = None,
    no_file_outside: NoFileOutsideOpt = False,
    output: OutputOpt = None,
) -> None:
    """OAuth2: consent URL, local redirect or pasted code, then create or re-authenticate.

    For each definition (OAuth2 element, no code, no external_authentication), in turn: the consent URL comes
    from the platform with a random state; a browser opens it unless --no-browser, CI, no display or no
    terminal (the URL is always printed, as one line on stderr). When oauth.callback.url is on this machine
    (an http URL on 127.0.0.1, localhost or ::1) a one-shot listener there receives the redirect; otherwise
    paste the redirect URL (or the bare code) on stdin. A redirect whose state is not this run's is refused.
    Then the instance is created with providerData.code, or, when one with that name and element exists,
    re-authenticated (PATCH: same id, events and tags). Exit 5 when the provider refuses or the state does not
    match, 6 when nothing comes within --wait-timeout, 130 on Ctrl-C: nothing is created or changed then.
    """
    from cloudevents_cli import redact

    st = state(ctx)
    out = st.output_for(output)
    redact.register(api_secret)
    if instance is not None:
        if paths or element or name:
            raise UsageError("--instance re-authenticates a live instance: give no PATH, --element or --name")
        results = [_reauthorize(st, instance, api_secret, no_browser, wait_timeout)]
    else:
        if api_secret is not None:
            raise UsageError("--api-secret goes with --instance (a definition gives its own oauth.api.secret)")
        overrides = overrides_of(paths, locals())
        results = _authorize_definitions(st, paths or [], overrides, no_file_outside, no_browser, wait_timeout)
    render_results(out, results)
    finish(batch_code(results))


def _authorize_definitions(
    st: State, paths: list[str], overrides: Any, confine: bool, no_browser: bool, wait: float
) -> list[Result]:
    from cloudevents_cli.definitions import pipeline
    from cloudevents_cli.platform import oauth
    from cloudevents_cli.platform.results import invalid_result

    out = st.out
    batch = pipeline.build(paths, overrides, unique=True, confine_files=confine)
    report_problems(out, batch.problems)
    if batch.errors or not batch.items:
        if not batch.items and not batch.errors:
            out.error("no definition found")
        render_results(out, [invalid_result(item) for item in batch.items if not item.valid])
        raise typer.Exit(int(ExitCode.INVALID))
    apps = []
    for item in batch.items:
        assert item.body is not None  # every item is valid here
        if not oauth.needs_code(item.body):
            raise UsageError(
                f"{item.source} ({item.name}) needs no authorization: it has a code or external_authentication; "
                "use cloudevents apply"
            )
        apps.append(oauth.oauth_app(item.body.get("configuration") or {}, item.source))
    conn = connection(st)

    async def go(client: PlatformClient) -> list[Result]:
        import asyncio

        from cloudevents_cli.errors import Interrupted
        from cloudevents_cli.platform.results import not_run_result

        results: list[Result] = []
        for index, (item, oauth_app) in enumerate(zip(batch.items, apps, strict=True)):
            rest = [not_run_result(i) for i in batch.items[index + 1 :]]
            try:
                result = await _authorize_one(st, client, item, oauth_app, no_browser, wait)
            except Interrupted as err:
                raise Interrupted(results=results + err.results + rest) from None
            except (KeyboardInterrupt, asyncio.CancelledError):  # while waiting: nothing was written for it
                raise Interrupted(results=[*results, not_run_result(item), *rest]) from None
            results.append(result)
            if result.failed:
                return results + rest
        return results

    return with_client(st, conn, go)


async def _authorize_one(
    st: State, client: PlatformClient, item: Any, oauth_app: Any, no_browser: bool, wait: float
) -> Result:
    from cloudevents_cli.errors import CloudEventsError
    from cloudevents_cli.platform import oauth
    from cloudevents_cli.platform.create_apply import create_all
    from cloudevents_cli.platform.results import base_result, failed_result

    try:
        await _check_element(client, item.element, (item.body or {}).get("configuration") or {})
        live = await oauth.existing(client, str(item.name), str(item.element))
        code = await oauth.obtain_code(
            client,
            str(item.element),
            oauth_app,
            show_url=_shower(st, f"{item.name} ({item.element})", no_browser, wait),
            paste=_paste(st),
            timeout=wait,
        )
        if live is not None:
            body = oauth.reauth_body(code, oauth_app)
            await client.patch_instance(live["id"], body, secrets=item.secrets | {code})
            return base_result(item, "updated", id=live.get("id"), http_status=200)
    except CloudEventsError as err:
        return failed_result(item, err)
    return (await create_all(client, [oauth.item_with_code(item, code)]))[0]


async def _check_element(client: PlatformClient, element: str | None, configuration: dict[str, Any]) -> None:
    """An instance that would not authenticate with OAuth2 is refused before any consent: its own
    `authentication.type` when it names one (elements with several types), else the element's."""
    from cloudevents_cli.platform.elements import Catalogue

    info = await Catalogue(client).info(str(element))
    chosen = configuration.get("authentication.type") or info.auth_type
    if chosen is not None and str(chosen).lower() != "oauth2":
        raise UsageError(
            f"element '{element}' authenticates with {chosen}, not OAuth2: create it with cloudevents apply"
        )


def _reauthorize(st: State, ref: str, api_secret: str | None, no_browser: bool, wait: float) -> Result:
    from cloudevents_cli.platform import oauth
    from cloudevents_cli.platform.results import Result

    conn = connection(st)

    async def go(client: PlatformClient) -> Result:
        live = await client.resolve(ref)
        element = oauth.element_of(live)
        oauth_app = oauth.app_of_instance(live, api_secret)
        await _check_element(client, element, live.get("configuration") or {})
        code = await oauth.obtain_code(
            client,
            element,
            oauth_app,
            show_url=_shower(st, f"instance {live.get('id')} ({live.get('name')})", no_browser, wait),
            paste=_paste(st),
            timeout=wait,
        )
        await client.patch_instance(live["id"], oauth.reauth_body(code, oauth_app), secrets=[code])
        return Result(
            f"instance {live.get('id')}", live.get("name"), element, "updated", id=live.get("id"), http_status=200
        )

    return with_client(st, conn, go)


# -- the user's side: the browser, the URL, the pasted redirect -----------------------------------------------
def browser_allowed(no_browser: bool) -> bool:
    """A browser is opened only for a person at a terminal with a display: never with --no-browser or CI."""
    if no_browser or os.environ.get("CI"):
        return False
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _shower(st: State, what: str, no_browser: bool, wait: float) -> Any:
    def show(url: str, listening_on: str | None) -> None:
        out = st.out
        opened = False
        if browser_allowed(no_browser):
            import webbrowser

            try:
                opened = webbrowser.open(url)
            except Exception:
                opened = False
        how = "opened in your browser" if opened else "open this URL in a browser"
        then = (
            f"waiting up to {wait:g} s for the redirect to {listening_on}"
            if listening_on
            else "then paste the URL you are redirected to (or its code) here"
        )
        out.info(f"authorize {what}: {how}; {then}:")
        out.stderr.write(url + "\n")  # always, as one line: scripts and people copy it from here
        out.stderr.flush()

    return show


def _paste(st: State) -> Any:
    """A coroutine function reading one line of stdin in a daemon thread (a blocked read never holds the exit)."""

    async def paste() -> str:
        import asyncio
        import threading

        loop = asyncio.get_running_loop()
        line: asyncio.Future[str] = loop.create_future()

        def read() -> None:
            try:
                text = sys.stdin.readline()
            except (OSError, ValueError):
                text = ""
            try:
                loop.call_soon_threadsafe(_settle, line, text)
            except RuntimeError:  # the loop has ended (timeout, Ctrl-C)
                pass

        threading.Thread(target=read, daemon=True).start()
        return await line

    return paste


def _settle(line: Any, text: str) -> None:
    if not line.done():
        line.set_result(text)
