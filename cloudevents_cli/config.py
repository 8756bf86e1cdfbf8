"""Profiles, environment and precedence: flag > environment variable > profile > default.

(Stub: flags/env/defaults only. The platform issue adds profiles from the config file.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_URL = "https://api.cloud-elements.com/elements/api-v2"
API_PATH = "/elements/api-v2"
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Connection:
    base_url: str
    user_secret: str | None
    org_secret: str | None
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: Path | None = None
    profile: str | None = None


def normalise_base_url(url: str) -> str:
    """A bare host gets /elements/api-v2; a trailing slash goes; no scheme means https."""
    value = url.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value
    scheme, rest = value.split("://", 1)
    host, _, path = rest.partition("/")
    if not path:
        return f"{scheme}://{host}{API_PATH}"
    return f"{scheme}://{host}/{path}"


def resolve_connection(
    *,
    base_url: str | None,
    user_secret: str | None,
    org_secret: str | None,
    timeout: float | None,
    ca_bundle: Path | None,
    profile: str | None = None,
    config_file: Path | None = None,
) -> Connection:
    return Connection(
        base_url=normalise_base_url(base_url or DEFAULT_BASE_URL),
        user_secret=user_secret,
        org_secret=org_secret,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        ca_bundle=ca_bundle,
        profile=profile,
    )
