"""IMG001–IMG005: the analysis container image (Dockerfile) — present, pinned, supported,
small build context, usable by any UID (REANA)."""

from __future__ import annotations

import re
from typing import ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.dockerfile import Dockerfile, split_image
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip

EOL_PATTERN = re.compile(
    r"(?:^|[/:_-])(slc6|slc7|cc7|el7|centos7|sl7|centos:[67](?:[.:-]|$))"
    r"|(?:^|/)centos(?::[67](?:\.|$))"
    r"|(?:^|/)python:2(?:\.|-|$)|python2",
    re.IGNORECASE,
)


class ImgRule(Rule):
    family = "IMG"
    requires: ClassVar[frozenset[str]] = frozenset({"IMG001"})


def _dockerfiles(ctx: AuditContext) -> list[Dockerfile]:
    if not ctx.dockerfiles:
        raise Skip("no readable Dockerfile")
    return ctx.dockerfiles


class IMG001(ImgRule):
    """Has a Dockerfile

    A Dockerfile (or Containerfile) captures the analysis software environment so that CI,
    REANA and colleagues run the same thing. The other image rules apply only when there is one.
    """

    severity: ClassVar[Severity] = "info"
    requires: ClassVar[frozenset[str]] = frozenset()

    def check(self, ctx: AuditContext) -> list[Finding]:
        if ctx.dockerfile_paths:
            return []
        return [Finding("no Dockerfile or Containerfile", "Dockerfile")]


class IMG002(ImgRule):
    """Base image is pinned

    `FROM image` without a tag, or with `:latest`, rebuilds on whatever was published last.
    Pin a version tag (or a digest); `ARG` defaults are substituted before checking.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for dockerfile in _dockerfiles(ctx):
            for line in dockerfile.froms:
                if line.unresolved or line.is_stage_ref or line.image.lower() == "scratch":
                    continue
                _, tag, digest = split_image(line.image)
                if digest:
                    continue
                if tag is None or tag == "latest":
                    what = "no tag" if tag is None else "`:latest`"
                    shown = (
                        line.image
                        if line.image == line.written
                        else f"{line.written} → {line.image}"
                    )
                    found.append(
                        Finding(f"base image `{shown}` has {what}", dockerfile.path, line.line)
                    )
        return found


class IMG003(ImgRule):
    """Base image is not end-of-life

    Scientific Linux 6, CentOS/CERN CentOS 7 (`slc6`, `cc7`, `el7`) and Python 2 get no
    security fixes and are being removed from CERN infrastructure. Move to EL9 (`al9`,
    `el9`) or a current Python.
    """

    severity: ClassVar[Severity] = "warning"

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for dockerfile in _dockerfiles(ctx):
            for line in dockerfile.froms:
                match = EOL_PATTERN.search(line.image)
                if match and not line.is_stage_ref:
                    found.append(
                        Finding(
                            f"base image `{line.image}` is end-of-life ({match.group(0).strip('/:_-')})",
                            dockerfile.path,
                            line.line,
                        )
                    )
        return found


class IMG004(ImgRule):
    """Has a `.dockerignore`

    Without it the whole work tree (data files, `.git`, virtualenvs) is sent as build context,
    which is slow and can bake secrets or large files into the image.
    """

    severity: ClassVar[Severity] = "info"

    def check(self, ctx: AuditContext) -> list[Finding]:
        missing: list[Finding] = []
        for path in ctx.dockerfile_paths:
            folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            candidates = (f"{folder}.dockerignore", ".dockerignore", f"{path}.dockerignore")
            if not any(ctx.exists(c) for c in candidates):
                where = f"{folder}.dockerignore"
                if all(f.path != where for f in missing):
                    missing.append(Finding(f"no .dockerignore next to {path}", where))
        return missing


_GROUP0_RUN = re.compile(
    r"chgrp\s+(-\S+\s+)*(0|root)\b"
    r"|chown\s+(-\S+\s+)*\S*:(0|root)\b"
    r"|chmod\s+(-\S+\s+)*\S*g[+=]\S*[wu]"
    r"|(useradd|adduser|usermod)\b[^;&|]*\s(-g|--gid|-G|--groups)\s*(0|root)\b"
)


class IMG005(ImgRule):
    """Image is usable by any UID (group 0 permissions)

    REANA and OpenShift-style platforms run containers with an arbitrary UID in group 0. Files
    the analysis writes must be group-0 writable: `chgrp -R 0 DIR && chmod -R g=u DIR`, or a
    user created in group 0 (`useradd -g 0`), or `USER name:0`.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for dockerfile in _dockerfiles(ctx):
            if not dockerfile.froms:
                continue
            runs_ok = any(_GROUP0_RUN.search(run.args) for run in dockerfile.runs())
            users = dockerfile.users()
            user_ok = bool(users) and re.search(r":(0|root)$", users[-1].args.strip()) is not None
            if runs_ok or user_ok:
                continue
            line = users[-1].line if users else dockerfile.froms[-1].line
            found.append(
                Finding(
                    "nothing makes the image group-0 writable (chgrp 0 + chmod g=u, "
                    "useradd -g 0 or USER name:0)",
                    dockerfile.path,
                    line,
                )
            )
        return found
