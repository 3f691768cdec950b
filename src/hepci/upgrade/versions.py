"""Which hepci template versions exist, and which one an include should move to.

Source of the release list: locally, the releases this hepci knows about
(:data:`KNOWN_RELEASES`, kept in step with ``CHANGELOG.md``) plus the installed version;
in group mode, the tags of the templates project on the GitLab instance when it can be
read (one shared call), else the same local list. Only plain semver tags count
(``1.2.3``, a leading ``v`` tolerated); pre-releases never are targets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hepci import __version__
from hepci.errors import UsageError

Version = tuple[int, int, int]

KNOWN_RELEASES: tuple[str, ...] = ("0.1.0",)
"""Every released hepci version (the templates are versioned with the package)."""

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_PARTIAL = re.compile(r"^v?\d+(?:\.\d+)?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def parse_version(text: str | None) -> Version | None:
    """``(1, 2, 3)`` for ``1.2.3`` / ``v1.2.3``; ``None`` for anything else."""
    match = _SEMVER.match(text.strip()) if text else None
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def is_partial(text: str) -> bool:
    """``1`` or ``1.2``: a component version that already follows releases."""
    return bool(_PARTIAL.match(text))


def is_sha(text: str) -> bool:
    return bool(_SHA.match(text))


def format_version(version: Version, like: str = "") -> str:
    """``1.2.3``, with a leading ``v`` when ``like`` had one."""
    text = ".".join(str(p) for p in version)
    return "v" + text if like.startswith("v") else text


@dataclass(frozen=True)
class ReleasePolicy:
    """The known releases and the user's wishes (``--to``, ``--allow-major``)."""

    releases: tuple[Version, ...]
    to: Version | None = None
    allow_major: bool = False

    def newest(self) -> Version:
        return max(self.releases)

    def target(self, current: Version | None) -> Version:
        """Where an include at ``current`` (``None``: unpinned) should go."""
        if self.to is not None:
            return self.to
        if current is None or self.allow_major:
            return self.newest()
        same_major = [r for r in self.releases if r[0] == current[0]]
        return max(same_major) if same_major else current

    def bump(self, current: Version) -> Version | None:
        """The version to move ``current`` to, or ``None`` when it is already there (or newer)."""
        target = self.target(current)
        if target[0] != current[0] and not self.allow_major and self.to is None:
            return None
        return target if target > current else None


def release_policy(
    to: str | None = None,
    allow_major: bool = False,
    extra_releases: Iterable[str] = (),
) -> ReleasePolicy:
    """Build the policy from the known list, the installed version and ``extra_releases``."""
    names = {*KNOWN_RELEASES, __version__, *extra_releases}
    releases = tuple(sorted(v for v in (parse_version(n) for n in names) if v is not None))
    target = None
    if to is not None:
        target = parse_version(to)
        if target is None:
            raise UsageError(f"--to {to!r} is not a release version (expected X.Y.Z)")
        if target not in releases:
            known = ", ".join(format_version(r) for r in releases)
            raise UsageError(f"--to {to}: no such release (known: {known})")
    return ReleasePolicy(releases=releases, to=target, allow_major=allow_major)
