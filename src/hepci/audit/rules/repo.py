"""REPO001–REPO006: README, LICENSE, CITATION.cff, .gitignore, no large data, no secrets."""

from __future__ import annotations

import re
from typing import ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule


class RepoRule(Rule):
    family = "REPO"


def _root_file(ctx: AuditContext, stems: tuple[str, ...], guesses: tuple[str, ...]) -> bool:
    if ctx.sizes is None:
        return any(ctx.exists(name) for name in guesses)
    return any("/" not in path and path.upper().split(".")[0] in stems for path in ctx.sizes)


class REPO001(RepoRule):
    """Has a README

    Says what the analysis is, how to run it and where its inputs live.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        if _root_file(ctx, ("README",), ("README.md", "README.rst", "README", "README.txt")):
            return []
        return [Finding("no README", "README.md")]


class REPO002(RepoRule):
    """Has a LICENSE

    Without a license nobody may legally reuse or preserve the analysis code (CERN Open Data
    and Zenodo ask for one).
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        guesses = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING")
        if _root_file(ctx, ("LICENSE", "LICENCE", "COPYING"), guesses):
            return []
        return [Finding("no LICENSE file", "LICENSE")]


class REPO003(RepoRule):
    """Has a valid `CITATION.cff`

    A Citation File Format file (`cff-version`, `message`, `title`, `authors`) makes the
    analysis citable; GitLab and Zenodo read it.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        path = "CITATION.cff"
        if not ctx.exists(path):
            return [Finding("no CITATION.cff", path)]
        parsed = ctx.parse_yaml(path)
        if parsed.error is not None:
            return [Finding(parsed.error.message, path, parsed.error.line)]
        data = parsed.data
        if not isinstance(data, dict):
            return [Finding("CITATION.cff is not a mapping", path, 1)]
        found = [
            Finding(f"missing required key `{key}`", path, 1)
            for key in ("cff-version", "message", "title", "authors")
            if key not in data
        ]
        authors = data.get("authors")
        if "authors" in data and (not isinstance(authors, list) or not authors):
            found.append(Finding("`authors` must be a non-empty list", path, 1))
        elif isinstance(authors, list):
            for index, author in enumerate(authors, 1):
                if not isinstance(author, dict) or not (
                    author.get("family-names") or author.get("name")
                ):
                    found.append(Finding(f"author {index} needs `family-names` or `name`", path, 1))
        return found


class REPO004(RepoRule):
    """Has a `.gitignore`

    Keeps outputs, ROOT files and virtualenvs out of commits.
    """

    severity: ClassVar[Severity] = "info"

    def check(self, ctx: AuditContext) -> list[Finding]:
        return [] if ctx.exists(".gitignore") else [Finding("no .gitignore", ".gitignore")]


DATA_SUFFIXES = (".root", ".h5", ".hdf5", ".parquet", ".npy", ".npz", ".pkl", ".lhe", ".hepmc")


class REPO005(RepoRule):
    """No large data files committed

    ROOT files and other data over a few MB bloat every clone forever and hit GitLab's push
    limits. Keep data on EOS (or Git LFS) and read it from there. Flags data files
    (`.root`, `.h5`, `.parquet`, …) over 1 MB and any file over `large-file-mb` (10 MB).
    """

    needs_listing = True

    def check(self, ctx: AuditContext) -> list[Finding]:
        limit = ctx.config.large_file_mb * 1024 * 1024
        found = []
        for path, size in (ctx.sizes or {}).items():
            is_data = path.lower().endswith(DATA_SUFFIXES) and size > 1024 * 1024
            if size > limit or is_data:
                found.append(Finding(f"{path} is {size / 1024 / 1024:.1f} MB", path))
        return found


SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GitLab token", re.compile(r"\bgl(?:pat|dt|rt|ptt|ft|oas|cbt)-[0-9A-Za-z_-]{20,}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36,}")),
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "private key",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    ),
    ("Slack token", re.compile(r"\bxox[baprs]-[0-9A-Za-z-]{10,}")),
    (
        "REANA/CERN token assignment",
        re.compile(
            r"(?i)\b(?:REANA_ACCESS_TOKEN|CERN_PASSWORD|GRID_PASSWORD)\s*[:=]\s*['\"]?[A-Za-z0-9_\-]{12,}"
        ),
    ),
)
BINARY_SUFFIXES = (
    *DATA_SUFFIXES,
    ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".eps", ".svg", ".gz", ".tgz", ".zip", ".tar",
    ".so", ".o", ".a", ".pyc", ".whl", ".ttf", ".woff", ".ico",
)  # fmt: skip
SECRET_FILES = re.compile(r"(^|/)(userkey\.pem|x509up_u\d+|[^/]+\.keytab|id_rsa|id_ed25519)$")


class REPO006(RepoRule):
    """No secrets committed

    Tokens, private keys, grid certificates and keytabs in a repository must be revoked: they
    stay in the git history. Use masked, protected CI/CD variables or `id_tokens:`.
    """

    severity: ClassVar[Severity] = "error"
    needs_listing = True

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for path in ctx.sizes or {}:
            if SECRET_FILES.search(path):
                found.append(Finding("credential file committed", path))
                continue
            text = None if path.lower().endswith(BINARY_SUFFIXES) else ctx.text(path)
            if text is None:
                continue
            for number, line in enumerate(text.splitlines(), 1):
                for label, pattern in SECRET_PATTERNS:
                    if pattern.search(line):
                        found.append(Finding(f"{label} (value not shown)", path, number))
                        break
        return found
