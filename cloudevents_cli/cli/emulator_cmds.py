"""Commands: `emulator` (run the local platform) and `trigger` (ask it to deliver events)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.emulator import defaults
from cloudevents_cli.errors import ExitCode, worst

app = command_group()  # this module's commands; cli.app.Group loads them when they run

_DEFAULT_USER = defaults.DEFAULT_USER_SECRET
_DEFAULT_ORG = defaults.DEFAULT_ORG_SECRET


def _fraction(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter("must be between 0 and 1")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise typer.BadParameter("must be a positive number of seconds")
    return value


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"must be one of {', '.join(allowed)}")
    return value


@app.command()
def emulator(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address to bind (loopback by default).")
    ] = defaults.DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", min=0, max=65535, help="Port; 0 picks a free one.")
    ] = defaults.DEFAULT_PORT,
    db: Annotated[
        Path | None, typer.Option("--db", metavar="FILE", help="SQLite file that keeps state across restarts.")
    ] = None,
    user_secret: Annotated[
        str, typer.Option("--user-secret", metavar="SECRET", help="User secret clients must send.")
    ] = _DEFAULT_USER,
    org_secret: Annotated[
        str, typer.Option("--org-secret", metavar="SECRET", help="Org secret clients must send.")
    ] = _DEFAULT_ORG,
    minute: Annotated[
        float,
        typer.Option(
            "--minute", metavar="SECONDS", callback=_positive, help="Length of an emulator minute, in seconds."
        ),
    ] = defaults.DEFAULT_MINUTE,
    fail_rate: Annotated[
        float,
        typer.Option("--fail-rate", metavar="FRACTION", callback=_fraction, help="Fraction of requests answered 503."),
    ] = 0.0,
    drop_rate: Annotated[
        float,
        typer.Option(
            "--drop-rate",
            metavar="FRACTION",
            callback=_fraction,
            help="Fraction of requests done, then dropped unanswered.",
        ),
    ] = 0.0,
    latency_ms: Annotated[
        float, typer.Option("--latency-ms", metavar="MS", min=0, help="Delay added to each request.")
    ] = 0.0,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", metavar="N", min=0, help="Requests a second; beyond it 429 (0: no limit).")
    ] = 0,
    seed: Annotated[int | None, typer.Option("--seed", metavar="N", help="Seed for reproducible randomness.")] = None,
    ready_file: Annotated[
        Path | None,
        typer.Option("--ready-file", metavar="FILE", help="Write the base URL here once connections are accepted."),
    ] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log each request on stderr.")] = False,
    fill_defaults: Annotated[
        bool,
        typer.Option(
            "--fill-defaults/--no-fill-defaults",
            help="Answer every configuration key of the element, with its default or null (as the platform does).",
        ),
    ] = True,
    flavour: Annotated[
        str,
        typer.Option(
            "--flavour",
            metavar="FLAVOUR",
            callback=lambda v: _choice(v, tuple(defaults.FLAVOURS)),
            help="Retry schedule of failed deliveries: cloud-elements (9 retries at 2^(2x) s)"
            " or open-connectors (5 retries at 2^(3x) s), in emulator seconds.",
        ),
    ] = defaults.DEFAULT_FLAVOUR,
    failure_policy: Annotated[
        str,
        typer.Option(
            "--failure-policy",
            metavar="POLICY",
            callback=lambda v: _choice(v, defaults.FAILURE_POLICIES),
            help="When retries run out: retry (the delivery fails) or queue (the callback URL's later events"
            " are queued until released).",
        ),
    ] = "retry",
    oauth_error: Annotated[
        str | None,
        typer.Option(
            "--oauth-error",
            metavar="ERROR",
            help="The consent page redirects with this OAuth error (e.g. access_denied) instead of a code.",
        ),
    ] = None,
    oauth_code_ttl: Annotated[
        float,
        typer.Option(
            "--oauth-code-ttl",
            metavar="SECONDS",
            callback=_positive,
            help="How long an authorization code from the consent page stays usable.",
        ),
    ] = defaults.OAUTH_CODE_TTL,
    accept_any_code: Annotated[
        bool,
        typer.Option(
            "--accept-any-code",
            help="Take OAuth codes the consent page never issued (placeholders, as in sample-configs/) as valid.",
        ),
    ] = False,
    deliver_anywhere: Annotated[
        bool,
        typer.Option(
            "--deliver-anywhere",
            help="Deliver events to any callback URL; by default only to this machine (127.0.0.1, [::1], localhost),"
            " and an attempt elsewhere is recorded as failed, not sent.",
        ),
    ] = False,
) -> None:
    """Run the local platform emulator (instances API, event delivery, faults).

    Ctrl-C stops it with exit 130, SIGTERM with 0.
    """
    from cloudevents_cli.emulator.server import serve
    from cloudevents_cli.emulator.settings import Settings

    out = state(ctx).out
    settings = Settings(
        user_secret=user_secret,
        org_secret=org_secret,
        db=str(db) if db else ":memory:",
        minute=minute,
        fail_rate=fail_rate,
        drop_rate=drop_rate,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        seed=seed,
        fill_defaults=fill_defaults,
        flavour=flavour,
        failure_policy=failure_policy,
        oauth_error=oauth_error,
        oauth_code_ttl=oauth_code_ttl,
        accept_any_code=accept_any_code,
        deliver_anywhere=deliver_anywhere,
    )
    demo = user_secret == _DEFAULT_USER and org_secret == _DEFAULT_ORG

    def announce(url: str) -> None:
        out.info(f"cloudevents emulator listening on {url}")
        if demo:
            out.info(f"use: --base-url {url} --user-secret {user_secret} --org-secret {org_secret}")
        else:
            out.info(f"use: --base-url {url} with the --user-secret and --org-secret given to the emulator")
        out.info("stop with Ctrl-C")

    try:
        stopped_by = serve(
            settings, host=host, port=port, ready_file=ready_file, access_log=access_log, on_ready=announce
        )
    except OSError as err:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {err.strerror}", param_hint="'--port'") from None
    out.info("emulator stopped")
    if stopped_by == signal.SIGINT:  # Ctrl-C: 130, as listen; SIGTERM is a normal stop
        raise typer.Exit(int(ExitCode.INTERRUPTED))


@app.command()
def trigger(
    ctx: typer.Context,
    instance: Annotated[str, typer.Argument(metavar="ID|NAME", help="Instance id, or its exact name.")],
    object_type: Annotated[
        str | None, typer.Option("--object-type", metavar="TYPE", help="Object type (default: the element's resource).")
    ] = None,
    event_type: Annotated[
        str, typer.Option("--event-type", metavar="TYPE", help="CREATED, UPDATED, DELETED or UNKNOWN.")
    ] = "CREATED",
    count: Annotated[int, typer.Option("--count", metavar="N", min=1, max=10000, help="How many events.")] = 1,
    output: Annotated[
        str | None, typer.Option("-o", "--output", metavar="FORMAT", help="table, json, yaml or id.")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Wait until the deliveries finish (the instance's event history): exit 0 when all are NOTIFIED, "
            "1 when any ended FAILED, QUEUED or CANCELLED, 6 when any is still pending or retrying at the timeout.",
        ),
    ] = False,
    wait_timeout: Annotated[
        float,
        typer.Option("--wait-timeout", metavar="SECONDS", callback=_positive, help="How long --wait waits."),
    ] = 60.0,
) -> None:
    """Ask the emulator to deliver events for an instance (only works against the emulator)."""
    from cloudevents_cli.cli.connect import connection, with_client
    from cloudevents_cli.platform.emulator_trigger import trigger_events, wait_for_deliveries

    st = state(ctx)
    out = st.output_for(output)
    conn = connection(st)

    async def go(client: Any) -> dict[str, Any]:
        result = await trigger_events(
            client, instance, object_type=object_type, event_type=event_type.upper(), count=count
        )
        if wait:
            result["waited"] = await wait_for_deliveries(client, result, wait_timeout)
        return result

    result = with_client(st, conn, go)
    _show(out, result)
    if wait:
        raise typer.Exit(int(_waited(out, result["waited"])))


def _waited(out: Any, statuses: dict[str, str]) -> ExitCode:
    """One stderr line per delivery not NOTIFIED and a summary; the exit code (worst of the deliveries)."""
    from cloudevents_cli.platform.emulator_trigger import UNFINISHED

    codes = []
    for event_id, status in statuses.items():
        if status == "NOTIFIED":
            codes.append(ExitCode.OK)
            continue
        unfinished = status in UNFINISHED
        codes.append(ExitCode.UNREACHABLE if unfinished else ExitCode.NO)
        out.warn(f"event {event_id}: {status}{' at the --wait-timeout' if unfinished else ''}")
    notified = codes.count(ExitCode.OK)
    out.info(f"{notified} of {len(statuses)} deliveries NOTIFIED")
    return worst(codes)


def _show(out: Any, result: dict[str, Any]) -> None:
    def table(doc: dict[str, Any]) -> None:
        rows = [
            [
                i + 1,
                b.get("eventId"),
                b.get("count"),
                b.get("status"),
                b.get("statusCode") or b.get("error"),
                b.get("attempts"),
            ]
            for i, b in enumerate(doc.get("batches", []))
        ]
        title = f"instance {doc.get('instanceId')}: {doc.get('events')} {doc.get('method')} event(s)"
        out.table(["batch", "event id", "events", "status", "http status / error", "attempts"], rows, title=title)

    out.emit(result, table=table, ids=lambda doc: [b.get("eventId") for b in doc.get("batches", [])])
    batches = result.get("batches", [])
    pending = [b for b in batches if b.get("status") not in ("delivered", "pending")]
    if pending:
        states = ", ".join(sorted({str(b.get("status")) for b in pending}))
        out.warn(
            f"{len(pending)} batch(es) not delivered yet ({states}): the emulator retries them, or queues them "
            "under --failure-policy queue (see GET /instances/{id}/events)"
        )
