"""Profiles, environment and precedence: flag > environment variable > profile > default.

The config file is YAML: `profiles: {NAME: {base_url, user_secret, org_secret}}, default_profile: NAME`.
It is written with mode 0600 (its folder 0700); a looser mode on read is a warning, returned to the caller.
Nothing here prints: problems are raised (errors.py) or returned as warnings.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.errors import InvalidInput, UsageError
from cloudevents_cli.files import write_atomically

DEFAULT_BASE_URL = "https://api.cloud-elements.com/elements/api-v2"
API_PATH = "/elements/api-v2"
DEFAULT_TIMEOUT = 30.0
PROFILE_KEYS = ("base_url", "user_secret", "org_secret")


@dataclass(frozen=True)
class Connection:
    base_url: str
    user_secret: str | None
    org_secret: str | None
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: Path | None = None
    profile: str | None = None
    warnings: tuple[str, ...] = ()

    def require_credentials(self) -> None:
        """Raise a usage error naming what is missing (never the values)."""
        missing = [
            name
            for name, value in (("user secret", self.user_secret), ("organization secret", self.org_secret))
            if not value
        ]
        if missing:
            raise UsageError(
                f"no {' and no '.join(missing)}: give --user-secret/--org-secret, "
                "CE_USER_SECRET/CE_ORG_SECRET, or a profile (cloudevents profile add)"
            )


@dataclass
class Profile:
    name: str
    base_url: str | None = None
    user_secret: str | None = None
    org_secret: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k in PROFILE_KEYS if (v := getattr(self, k)) is not None}


@dataclass
class Config:
    path: Path
    profiles: dict[str, Profile] = field(default_factory=dict)
    default_profile: str | None = None
    exists: bool = False
    warnings: list[str] = field(default_factory=list)


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cloudevents" / "config.yaml"


def normalise_base_url(url: str) -> str:
    """A bare host gets /elements/api-v2; a trailing slash goes; no scheme means https. Anything that is not
    an http(s) URL with a host (and a valid port) is a usage error, before any request."""
    from urllib.parse import urlsplit

    value = url.strip()
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as err:
        why = "the port is not a number from 1 to 65535" if "port" in str(err).lower() else "not a URL"
        raise UsageError(_bad_url(url, why)) from None
    problem: str | None = None
    if parts.scheme.lower() not in ("http", "https"):
        problem = f"the scheme must be http or https, not '{parts.scheme}'"
    elif not parts.hostname or not re.fullmatch(r"[A-Za-z0-9_.:-]+", parts.hostname):
        problem = "no valid host name"
    elif any(ch.isspace() or not ch.isprintable() for ch in value):
        problem = "it contains spaces or control characters"
    elif parts.query or parts.fragment or parts.username is not None:
        problem = "it may not have a query, a fragment or a user name"
    elif port == 0:
        problem = "the port is not a number from 1 to 65535"
    if problem is not None:
        raise UsageError(_bad_url(url, problem))
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc}{path or API_PATH}"


def _bad_url(url: str, problem: str) -> str:
    shown = "" if "@" in url else f" {url.strip()!r}"  # user:password@host is not repeated
    return f"--base-url{shown}: {problem} (expected https://HOST{API_PATH})"


def check_secret(what: str, value: str | None) -> None:
    """A secret goes into an HTTP header: printable ASCII only. The error never shows the value."""
    if value is not None and not all(32 <= ord(ch) < 127 for ch in value):
        raise UsageError(
            f"the {what} contains a control character (such as a line break) or a non-ASCII character; "
            "check how it was set"
        )


# -- reading ------------------------------------------------------------------------------------------------
def _where(path: Path, node: Any) -> str:
    mark = getattr(node, "start_mark", None)
    if mark is None:
        return str(path)
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty config. Broken → InvalidInput with file and line."""
    import yaml

    path = path or default_config_path()
    config = Config(path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return config
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: config file is not UTF-8 text") from None
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read config file: {err.strerror}") from None
    config.exists = True
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            config.warnings.append(f"config file {path} is readable by others (mode {mode:04o}); run: chmod 600 {path}")
    except OSError:
        pass
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise InvalidInput(f"{where}: config file is not valid YAML: {err.problem}") from None
    except yaml.YAMLError:
        raise InvalidInput(f"{path}: config file is not valid YAML") from None
    if root is None:
        return config
    _read_root(path, root, config)
    return config


def _scalar(path: Path, node: Any, what: str) -> str | None:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise InvalidInput(f"{_where(path, node)}: {what} must be a string")
    if node.tag == "tag:yaml.org,2002:null" or (node.value in ("", "~", "null") and node.style is None):
        return None
    return str(node.value)


def _pairs(path: Path, node: Any, what: str) -> list[tuple[Any, Any, str]]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise InvalidInput(f"{_where(path, node)}: {what} must be a mapping")
    seen: set[str] = set()
    out = []
    for key_node, value_node in node.value:
        key = _scalar(path, key_node, "a key") or ""
        if key in seen:
            raise InvalidInput(f"{_where(path, key_node)}: duplicate key '{key}' in {what}")
        seen.add(key)
        out.append((key_node, value_node, key))
    return out


def _read_root(path: Path, root: Any, config: Config) -> None:
    for key_node, value_node, key in _pairs(path, root, "the config file"):
        if key == "default_profile":
            config.default_profile = _scalar(path, value_node, "default_profile")
        elif key == "profiles":
            import yaml

            if isinstance(value_node, yaml.ScalarNode) and _scalar(path, value_node, "profiles") is None:
                continue
            for name_node, prof_node, name in _pairs(path, value_node, "profiles"):
                if not name:
                    raise InvalidInput(f"{_where(path, name_node)}: a profile needs a name")
                profile = Profile(name=name)
                if not (isinstance(prof_node, yaml.ScalarNode) and _scalar(path, prof_node, name) is None):
                    for k_node, v_node, k in _pairs(path, prof_node, f"profile '{name}'"):
                        if k not in PROFILE_KEYS:
                            raise InvalidInput(
                                f"{_where(path, k_node)}: unknown key '{k}' in profile '{name}' "
                                f"(expected one of {', '.join(PROFILE_KEYS)})"
                            )
                        setattr(profile, k, _scalar(path, v_node, f"profiles.{name}.{k}"))
                config.profiles[name] = profile
        else:
            raise InvalidInput(
                f"{_where(path, key_node)}: unknown key '{key}' in the config file (expected profiles, default_profile)"
            )
    if config.default_profile is not None and config.default_profile not in config.profiles:
        config.warnings.append(
            f"config file {path}: default_profile '{config.default_profile}' is not among the profiles"
        )
    for profile in config.profiles.values():
        redact.register(profile.user_secret, profile.org_secret)


# -- writing ------------------------------------------------------------------------------------------------
def save_config(config: Config) -> None:
    """Write the file atomically with mode 0600, its folder created with mode 0700."""
    import yaml

    doc: dict[str, Any] = {}
    if config.default_profile:
        doc["default_profile"] = config.default_profile
    doc["profiles"] = {name: p.as_dict() for name, p in config.profiles.items()}
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    path = config.path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, text, mode=0o600)
    config.exists = True


def add_profile(
    path: Path | None,
    name: str,
    *,
    base_url: str | None,
    user_secret: str | None,
    org_secret: str | None,
    make_default: bool = False,
) -> Config:
    if not name.strip():
        raise UsageError("a profile needs a name")
    check_secret("user secret", user_secret)
    check_secret("organization secret", org_secret)
    config = load_config(path)
    config.profiles[name] = Profile(
        name=name,
        base_url=normalise_base_url(base_url) if base_url else None,
        user_secret=user_secret,
        org_secret=org_secret,
    )
    if make_default or not config.default_profile or config.default_profile not in config.profiles:
        config.default_profile = name
    save_config(config)
    return config


def remove_profile(path: Path | None, name: str) -> Config:
    config = load_config(path)
    if name not in config.profiles:
        raise UsageError(_unknown_profile(name, config))
    del config.profiles[name]
    if config.default_profile == name:
        config.default_profile = next(iter(config.profiles), None)
    save_config(config)
    return config


def get_profile(config: Config, name: str | None) -> Profile | None:
    """The named profile (UsageError when unknown), else the default profile, else the only profile."""
    if name:
        if name not in config.profiles:
            raise UsageError(_unknown_profile(name, config))
        return config.profiles[name]
    if config.default_profile and config.default_profile in config.profiles:
        return config.profiles[config.default_profile]
    if len(config.profiles) == 1 and not config.default_profile:
        return next(iter(config.profiles.values()))
    return None


def _unknown_profile(name: str, config: Config) -> str:
    known = ", ".join(sorted(config.profiles)) or "none"
    return f"unknown profile '{name}' in {config.path} (known: {known})"


# -- precedence ---------------------------------------------------------------------------------------------
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
    """Flag or environment (merged by typer into the arguments) > profile > default.

    The profile is `profile` (from --profile / CE_PROFILE), else the config's default_profile. The config
    file is only read when something is missing from the flags, or a profile is named.
    """
    warnings: list[str] = []
    chosen: Profile | None = None
    if profile or not (base_url and user_secret and org_secret):
        config = load_config(config_file)
        warnings.extend(config.warnings)
        if profile and not config.exists:
            raise UsageError(f"unknown profile '{profile}': no config file at {config.path}")
        chosen = get_profile(config, profile)
    if chosen is not None:
        base_url = base_url or chosen.base_url
        user_secret = user_secret or chosen.user_secret
        org_secret = org_secret or chosen.org_secret
    check_secret("user secret", user_secret)
    check_secret("organization secret", org_secret)
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise UsageError("--timeout must be a positive, finite number of seconds")
    if ca_bundle is not None and not ca_bundle.is_file():
        raise UsageError(f"--ca-bundle {ca_bundle}: no such file")
    redact.register(user_secret, org_secret)
    return Connection(
        base_url=normalise_base_url(base_url or DEFAULT_BASE_URL),
        user_secret=user_secret,
        org_secret=org_secret,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        ca_bundle=ca_bundle,
        profile=chosen.name if chosen else None,
        warnings=tuple(warnings),
    )
