"""Reading legacy image-build scripts: a hand-written ``/kaniko/executor`` or ``docker build``.

Only scripts made *entirely* of recognised commands are translated to our image-build
template's variables; anything else raises :class:`NotMechanical` and the job is reported.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_PROJECT_DIR = re.compile(r"^(?:\$CI_PROJECT_DIR|\$\{CI_PROJECT_DIR\})(?:/|$)")
_KANIKO_IGNORED = frozenset(
    {
        "--cache",
        "--cache-repo",
        "--cache-ttl",
        "--cache-dir",
        "--cleanup",
        "--compressed-caching",
        "--single-snapshot",
        "--snapshot-mode",
        "--use-new-run",
        "--verbosity",
        "--log-format",
        "--log-timestamp",
        "--reproducible",
        "--skip-unused-stages",
    }
)
_KANIKO_VALUED = frozenset(
    {"--context", "--dockerfile", "--destination", "--build-arg", "-c", "-f", "-d"}
)
_KANIKO_VALUED |= frozenset({"--cache-repo", "--cache-ttl", "--cache-dir", "--snapshot-mode"})
_KANIKO_VALUED |= frozenset({"--verbosity", "--log-format"})


class NotMechanical(Exception):
    """The script does something our template does not express."""


@dataclass
class BuildSpec:
    """What a legacy build does, in our template's terms."""

    context: str = "."
    dockerfile: str | None = None
    destinations: list[str] = field(default_factory=list)
    build_args: list[str] = field(default_factory=list)
    push: bool = True
    registry_user: str | None = None
    registry_password: str | None = None

    def variables(self) -> dict[str, str]:
        """The image-build template variables (``REGISTRY_IMAGE_PATH``, ``EXTRA_TAGS``, ...)."""
        if not self.destinations:
            raise NotMechanical("no destination image")
        first = self.destinations[0]
        repo = split_image(first)[0]
        extra: list[str] = []
        for other in self.destinations[1:]:
            other_repo, tag = split_image(other)
            if other_repo != repo or tag is None:
                raise NotMechanical(f"pushes to two repositories ({first}, {other})")
            extra.append(tag)
        out = {"CONTEXT_DIR": self.context}
        if self.dockerfile is not None:
            out["DOCKER_FILE_NAME"] = self.dockerfile
        out["REGISTRY_IMAGE_PATH"] = first
        if extra:
            out["EXTRA_TAGS"] = " ".join(extra)
        if self.build_args:
            out["BUILD_ARGS"] = " ".join(self.build_args)
        if not self.push:
            out["PUSH_IMAGE"] = "false"
        if self.registry_user is not None and self.registry_password is not None:
            out["REGISTRY_USER"] = self.registry_user
            out["REGISTRY_PASSWORD"] = self.registry_password
        return out


def split_image(ref: str) -> tuple[str, str | None]:
    """``(repository, tag)`` of an image reference (tag ``None`` when absent)."""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        return ref[: len(ref) - len(last) + last.index(":")], last.split(":", 1)[1]
    return ref, None


def repo_relative(path: str) -> str:
    """``$CI_PROJECT_DIR/x`` -> ``x``; ``$CI_PROJECT_DIR`` -> ``.``; ``dir://`` dropped."""
    path = path.removeprefix("dir://")
    stripped = _PROJECT_DIR.sub("", path)
    return stripped.rstrip("/") or "."


def commands(lines: list[str]) -> list[str]:
    """Shell commands of script entries: continuation lines joined, comments and blanks dropped."""
    out: list[str] = []
    for entry in lines:
        joined = re.sub(r"\\\n\s*", " ", entry)
        for line in joined.splitlines():
            text = line.strip()
            if text and not text.startswith("#"):
                out.append(text)
    return out


def _words(command: str) -> list[str]:
    if any(token in command for token in ("$(", "`", "&&", "||", ";", "|")):
        raise NotMechanical(f"compound shell command: {command[:60]}")
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise NotMechanical(f"unparsable command ({exc}): {command[:60]}") from None


def _checked_arg(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise NotMechanical(f"build argument {value!r} has spaces")
    return value


def parse_kaniko(lines: list[str]) -> BuildSpec:
    """A script that writes the registry auth and runs ``/kaniko/executor`` once."""
    spec: BuildSpec | None = None
    for command in commands(lines):
        if "/kaniko/.docker" in command and (
            command.startswith(("mkdir", "echo", "printf", "cat"))
        ):
            continue  # registry auth: the template logs in itself
        if command.startswith("echo ") and ">" not in command:
            _words(command)
            continue
        words = _words(command)
        if words and words[0] == "/kaniko/executor" and spec is None:
            spec = _kaniko_args(words[1:])
            continue
        raise NotMechanical(f"unrecognised command: {command[:60]}")
    if spec is None:
        raise NotMechanical("no /kaniko/executor command")
    return spec


def _kaniko_args(args: list[str]) -> BuildSpec:
    spec = BuildSpec()
    i = 0
    while i < len(args):
        flag, _, inline = args[i].partition("=")
        if flag in _KANIKO_VALUED and not inline and not args[i].endswith("="):
            if i + 1 >= len(args):
                raise NotMechanical(f"{flag} without a value")
            value, i = args[i + 1], i + 2
        else:
            value, i = inline, i + 1
        if flag in ("--context", "-c"):
            spec.context = repo_relative(value)
        elif flag in ("--dockerfile", "-f"):
            spec.dockerfile = repo_relative(value)
        elif flag in ("--destination", "-d"):
            spec.destinations.append(value)
        elif flag == "--build-arg":
            spec.build_args.append(_checked_arg(value))
        elif flag == "--no-push":
            spec.push = False
        elif flag not in _KANIKO_IGNORED:
            raise NotMechanical(f"kaniko flag {flag} has no template equivalent")
    return spec


def parse_docker(lines: list[str]) -> BuildSpec:
    """``docker login`` / ``docker build -t`` / ``docker tag`` / ``docker push`` only."""
    spec: BuildSpec | None = None
    pushed: list[str] = []
    for command in commands(lines):
        if command.startswith("echo ") and ">" not in command and "|" not in command:
            continue
        words = _words(command)
        if words[:2] in (["docker", "info"], ["docker", "version"]):
            continue
        if words[:2] == ["docker", "login"]:
            _docker_login(words[2:], spec_holder := spec or BuildSpec())
            spec = spec_holder
        elif words[:2] == ["docker", "build"] and not (spec and spec.destinations):
            spec = _docker_build(words[2:], spec or BuildSpec())
        elif words[:2] == ["docker", "tag"] and spec is not None and len(words) == 4:
            if words[2] not in spec.destinations:
                raise NotMechanical(f"docker tag of an unknown image: {command[:60]}")
            spec.destinations.append(words[3])
        elif words[:2] == ["docker", "push"] and len(words) == 3:
            pushed.append(words[2])
        else:
            raise NotMechanical(f"unrecognised command: {command[:60]}")
    if spec is None or not spec.destinations:
        raise NotMechanical("no `docker build -t IMAGE` command")
    if pushed and set(pushed) != set(spec.destinations):
        raise NotMechanical("pushes a different set of images than it builds")
    spec.push = bool(pushed)
    return spec


def _docker_login(args: list[str], spec: BuildSpec) -> None:
    user = password = None
    for flag, value in zip(args, [*args[1:], ""], strict=True):
        if flag in ("-u", "--username"):
            user = value
        elif flag in ("-p", "--password"):
            password = value
    if user and password and user != "$CI_REGISTRY_USER":
        spec.registry_user, spec.registry_password = user, password


def _docker_build(args: list[str], spec: BuildSpec) -> BuildSpec:
    positional: list[str] = []
    i = 0
    while i < len(args):
        flag, _, inline = args[i].partition("=")
        if flag in ("-t", "--tag", "-f", "--file", "--build-arg"):
            value = inline or (args[i + 1] if i + 1 < len(args) else "")
            i += 1 if inline else 2
            if flag in ("-t", "--tag"):
                spec.destinations.append(value)
            elif flag in ("-f", "--file"):
                spec.dockerfile = repo_relative(value)
            else:
                spec.build_args.append(_checked_arg(value))
        elif flag in ("--pull", "--no-cache", "-q", "--quiet"):
            i += 1
        elif flag.startswith("-"):
            raise NotMechanical(f"docker build flag {flag} has no template equivalent")
        else:
            positional.append(args[i])
            i += 1
    if len(positional) != 1:
        raise NotMechanical("docker build needs exactly one context directory")
    spec.context = repo_relative(positional[0])
    return spec
