"""Where to reach GitLab and as whom: URL, token, limits, shard and cache settings.

Precedence, first found wins: ``--gitlab-url``/``--token`` options, then a python-gitlab
config file section (``--gitlab NAME``), then ``GITLAB_URL``/``GITLAB_TOKEN``, then GitLab CI's
``CI_SERVER_URL``/``CI_JOB_TOKEN``. The token is held in a :class:`Secret` whose ``str`` and
``repr`` never show it.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hepci.errors import ConfigError, UsageError

DEFAULT_URL = "https://gitlab.com"
DEFAULT_TIMEOUT = 30.0  # seconds per request, every attempt and back-off included
DEFAULT_MAX_RESPONSE_MB = 64  # largest answer read; GitLab's blobs() stops at 20 MB of files
CONFIG_FILES = ("/etc/python-gitlab.cfg", "~/.python-gitlab.cfg")


class Secret:
    """A token that cannot leak through ``str``, ``repr``, f-strings or logging."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The token itself: only for the HTTP clients."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``total``: projects whose stable hash falls in it."""

    index: int
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        head, sep, tail = text.partition("/")
        try:
            index, total = int(head), int(tail)
        except ValueError:
            raise UsageError(f"--shard {text!r}: expected K/N, e.g. 2/8") from None
        if not sep or total < 1 or not 1 <= index <= total:
            raise UsageError(f"--shard {text!r}: need 1 <= K <= N")
        return cls(index, total)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Shard | None:
        """GitLab ``parallel: N`` jobs: ``CI_NODE_INDEX``/``CI_NODE_TOTAL``."""
        index, total = env.get("CI_NODE_INDEX"), env.get("CI_NODE_TOTAL")
        if not index or not total:
            return None
        return cls.parse(f"{index}/{total}")

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


@dataclass(frozen=True)
class RemoteSettings:
    """Everything a remote run needs. Build with :func:`resolve_settings` from CLI options."""

    url: str = DEFAULT_URL
    token: Secret = field(default_factory=lambda: Secret(""))
    token_kind: str = "private"  # private | oauth | job
    timeout: float = DEFAULT_TIMEOUT  # per request: all attempts and the back-off between them
    max_retries: int = 6  # per request, within ``timeout``: 5xx, 429, dropped connections
    attempt_timeout: float | None = None  # one attempt's share of ``timeout`` (None: all of it)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_MB * 2**20  # a larger answer is an error
    concurrency: int = 4  # requests in flight; 8 halves a bare fetch, not an audit (benchmarks/)
    rate: float | None = None  # requests/s for all threads; None: as GitLab's headers allow
    burst: int = 50
    max_wait: float = 300.0  # longest pause for a rate limit before giving up
    batch_size: int = 25  # most projects per GraphQL request; fewer if the server says so
    shard: Shard | None = None
    cache_dir: Path | None = None  # None: no cache
    project_details: bool = False  # 2 REST calls/project: branch protection, latest pipeline
    ssl_verify: bool = True
    user_agent: str = "hepci"

    def __post_init__(self) -> None:
        if (
            self.concurrency < 1
            or self.batch_size < 1
            or self.timeout <= 0
            or (self.attempt_timeout or 1) <= 0
            or (self.rate or 1) <= 0
            or self.max_response_bytes <= 0
        ):
            raise UsageError(
                "concurrency, batch size, timeout, rate and response size must be positive"
            )


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """``$HEPCI_CACHE_DIR``, else ``$XDG_CACHE_HOME/hepci``, else ``~/.cache/hepci``."""
    if env.get("HEPCI_CACHE_DIR"):
        return Path(env["HEPCI_CACHE_DIR"]).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "hepci"


def _config_section(name: str, files: Sequence[str]) -> tuple[str, str, str]:
    """(url, token, kind) from a python-gitlab config file section ``[name]``."""
    parser = configparser.ConfigParser(interpolation=None)
    found = [p for p in (Path(f).expanduser() for f in files) if p.is_file()]
    try:
        parser.read(found, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"invalid python-gitlab config: {exc.message}") from None
    if not parser.has_section(name):
        where = ", ".join(str(p) for p in found) or "no config file found"
        raise ConfigError(f"no [{name}] section in the python-gitlab config ({where})")
    section = parser[name]
    url = section.get("url", "").strip()
    if not url:
        raise ConfigError(f"[{name}] has no url in the python-gitlab config")
    if "helper:" in section.get("private_token", ""):
        raise ConfigError(f"[{name}]: 'helper:' tokens are not supported; set GITLAB_TOKEN")
    for key, kind in (("private_token", "private"), ("oauth_token", "oauth"), ("job_token", "job")):
        value = section.get(key, "").strip()
        if value:
            return url, value, kind
    return url, "", "private"


def resolve_settings(
    *,
    url: str | None = None,
    token: str | None = None,
    gitlab_name: str | None = None,
    env: Mapping[str, str] | None = None,
    config_files: Sequence[str] | None = None,
    **options: object,
) -> RemoteSettings:
    """Settings from options > config section > GITLAB_* > CI_* (see the module docstring)."""
    env = os.environ if env is None else env
    kind = "private"
    found_url, found_token = url, token
    if gitlab_name:
        files = list(config_files or CONFIG_FILES)
        if env.get("PYTHON_GITLAB_CFG"):
            files.append(env["PYTHON_GITLAB_CFG"])
        cfg_url, cfg_token, cfg_kind = _config_section(gitlab_name, files)
        found_url = found_url or cfg_url
        if not found_token and cfg_token:
            found_token, kind = cfg_token, cfg_kind
    found_url = found_url or env.get("GITLAB_URL")
    if not found_token and env.get("GITLAB_TOKEN"):
        found_token = env["GITLAB_TOKEN"]
    found_url = found_url or env.get("CI_SERVER_URL")
    if not found_token and env.get("CI_JOB_TOKEN"):
        found_token, kind = env["CI_JOB_TOKEN"], "job"
    clean_url = (found_url or DEFAULT_URL).rstrip("/")
    if not clean_url.startswith(("http://", "https://")):
        raise UsageError(f"--gitlab-url {clean_url!r}: expected an http(s):// URL")
    return RemoteSettings(
        url=clean_url,
        token=Secret(found_token or ""),
        token_kind=kind,
        **options,  # type: ignore[arg-type]
    )
