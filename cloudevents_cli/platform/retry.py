"""The retry policy (spec/cli.md, "Talking to the platform").

- Connection errors before the request was sent (ConnectError, ConnectTimeout, PoolTimeout): retried, any
  method.
- 429: retried, any method, waiting what `Retry-After` asks (seconds or an HTTP date), else the backoff
  (a 429 without `Retry-After`: at most 3 attempts). A `Retry-After` longer than the cap of one wait (30 s)
  is not waited for: the request fails at once. Every request of the client then waits out the same
  Retry-After (one shared gate), instead of piling on.
- 503: retried, any method (the service refused before doing anything).
- 500, 502, 504 and errors after the request was sent (ReadError, WriteError, RemoteProtocolError,
  ReadTimeout, WriteTimeout): retried only for methods that are safe to repeat (GET, HEAD, PUT, PATCH,
  DELETE). For a POST they mean the outcome is unknown: OutcomeUnknown is raised and the POST is never
  blindly repeated (a 500 is an answer, reported as a server error).
- Backoff: exponential (base 0.5 s, doubling, capped at 10 s a wait) with "equal jitter" (half fixed, half
  random), at most 5 attempts (429 with Retry-After alone: 12 attempts).
- One budget for the whole run: one policy per client, and all its waits together (backoff, Retry-After,
  the shared gate) stay under 120 s; a retry that would go over it is not made.
"""

from __future__ import annotations

import asyncio
import math
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from cloudevents_cli.errors import OutcomeUnknown, Unreachable
from cloudevents_cli.platform.errors import ServerError, error_from_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAYBE_SENT = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
)
RETRY_ANY_METHOD = frozenset({429, 503})
RETRY_SAFE_METHOD = frozenset({500, 502, 504})
UNKNOWN_FOR_POST = frozenset({502, 504})


@dataclass
class RetryPolicy:
    """How one run retries. One policy per client: `waited` is the run's budget, shared by every request."""

    attempts: int = 5
    rate_limit_attempts: int = 12  # 429s that say how long to wait (Retry-After)
    blind_rate_limit_attempts: int = 3  # 429s without Retry-After
    base_delay: float = 0.5
    max_delay: float = 10.0  # the longest backoff
    max_wait: float = 30.0  # the longest single wait, Retry-After included
    max_total_wait: float = 120.0  # all waits of the run together
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic
    waited: float = 0.0
    _not_before: float = -math.inf  # the shared gate: no request starts before this time (clock())

    async def wait(self, seconds: float) -> None:
        self.waited += seconds
        await self.sleep(seconds)

    def affordable(self, seconds: float) -> bool:
        return self.waited + seconds <= self.max_total_wait

    def backoff(self, retry: int) -> float:
        """The wait before retry number `retry` (1-based): half of it fixed, half random."""
        delay = min(self.max_delay, self.base_delay * (2 ** (retry - 1)))
        return delay / 2 + self.random() * delay / 2


@dataclass
class Sent:
    response: httpx.Response
    attempts: int
    maybe_repeated: bool  # an earlier attempt may have reached the platform (safe methods only)


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    from datetime import datetime, timezone

    now = datetime.now(when.tzinfo or timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _tls_failure(err: Exception) -> bool:
    text = str(err)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def _unresolved(err: BaseException) -> bool:
    """A name look-up failure (socket.gaierror somewhere in the chain): retrying will not help."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(err: Exception) -> str:
    name = type(err).__name__
    text = str(err).strip()
    return f"{name}: {text}" if text else name


async def send(
    policy: RetryPolicy,
    method: str,
    what: str,
    attempt: Callable[[], Awaitable[httpx.Response]],
    *,
    on_retry: Callable[[str], None] | None = None,
) -> Sent:
    """Send with retries. Returns the final response (which may be an error answer that is not retried);
    raises Unreachable / OutcomeUnknown / ServerError when retries run out or repeating is not safe."""
    safe = method.upper() in SAFE_METHODS
    tries = 0
    rate_limited = 0
    maybe_repeated = False
    gate = policy._not_before - policy.clock()
    if gate > 0:
        if not policy.affordable(gate):
            raise Unreachable(f"{what}: the platform asked to slow down and the run's retry budget is spent")
        await policy.wait(gate)
    while True:
        tries += 1
        reason: str
        wait: float | None = None
        last_response: httpx.Response | None = None
        try:
            response = await attempt()
        except NOT_SENT as err:
            if _tls_failure(err):
                raise Unreachable(
                    f"{what}: TLS certificate verification failed (use --ca-bundle to add a CA)"
                ) from None
            if _unresolved(err):
                raise Unreachable(f"{what}: the host name does not resolve; check --base-url") from None
            reason = _describe(err)
        except MAYBE_SENT as err:
            if not safe:
                raise OutcomeUnknown(
                    f"{what}: the connection failed after the request was sent ({_describe(err)}); "
                    "the outcome is unknown"
                ) from None
            maybe_repeated = True
            reason = _describe(err)
        except httpx.TransportError as err:
            raise Unreachable(f"{what}: {_describe(err)}") from None
        else:
            status = response.status_code
            if status not in RETRY_ANY_METHOD and status not in RETRY_SAFE_METHOD:
                return Sent(response, tries, maybe_repeated)
            if not safe and status in UNKNOWN_FOR_POST:
                raise OutcomeUnknown(f"{error_from_response(response, what).message}; the outcome is unknown")
            if not safe and status in RETRY_SAFE_METHOD:
                return Sent(response, tries, maybe_repeated)
            last_response = response
            reason = f"HTTP {status}"
            if status == 429:
                rate_limited += 1
                wait = retry_after(response)
            if status in RETRY_SAFE_METHOD:
                maybe_repeated = True
        if rate_limited == tries:  # nothing but 429s so far
            limit = policy.rate_limit_attempts if wait is not None else policy.blind_rate_limit_attempts
        else:
            limit = policy.attempts
        asked = wait is not None
        if wait is None:
            wait = policy.backoff(tries)
        why = ""
        if tries >= limit:
            why = f"gave up after {tries} attempt{'s' if tries > 1 else ''}"
        elif wait > policy.max_wait:
            why = f"it asks to wait {wait:.0f} s, more than the {policy.max_wait:.0f} s this tool waits"
        elif not policy.affordable(wait):
            why = f"gave up after {tries} attempts: the run's {policy.max_total_wait:.0f} s of retry waits are spent"
        if why:
            if last_response is not None:
                final = error_from_response(last_response, what)
                raise ServerError(
                    f"{final.message}; {why}",
                    status=last_response.status_code,
                    request_id=getattr(final, "request_id", None),
                )
            raise Unreachable(f"{what}: the platform could not be reached ({reason}); {why}")
        if asked:
            policy._not_before = max(policy._not_before, policy.clock() + wait)
        if on_retry is not None:
            on_retry(f"{what}: {reason}; retry {tries}/{limit - 1} in {wait:.1f} s")
        await policy.wait(wait)
