"""A small Dockerfile reader: instructions with their lines, ``FROM`` images after ``ARG``
substitution, build-stage names, ``USER`` switches and ``RUN`` commands.

Enough for the audit rules (pinned and end-of-life base images, any-UID permissions); it is
not a full BuildKit parser: heredocs are kept as text and escape directives other than ``\\``
are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str
    line: int  # 1-based line of the keyword


@dataclass(frozen=True)
class FromLine:
    """A ``FROM`` after ``ARG`` substitution; ``unresolved`` when a variable had no default."""

    image: str
    written: str
    line: int
    stage: str | None
    unresolved: bool
    is_stage_ref: bool


@dataclass
class Dockerfile:
    path: str
    instructions: list[Instruction] = field(default_factory=list)
    froms: list[FromLine] = field(default_factory=list)

    def runs(self) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == "RUN"]

    def users(self) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == "USER"]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, joined text) for each instruction, continuations joined."""
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if not current:
            start = number
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        out.append((start, " ".join(current)))
        current = []
    if current:
        out.append((start, " ".join(current)))
    return out


def substitute(text: str, args: dict[str, str | None]) -> tuple[str, bool]:
    """Replace ``$X``/``${X}``/``${X:-d}`` by known ARG values; flag unresolved variables."""
    unresolved = False

    def repl(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(2)
        value = args.get(name)
        if value is None:
            default = re.match(r"\$\{[A-Za-z0-9_]+:?-([^}]*)\}", match.group(0))
            if default:
                return default.group(1)
            unresolved = True
            return match.group(0)
        return value

    return _VAR.sub(repl, text), unresolved


def parse_dockerfile(text: str, path: str = "Dockerfile") -> Dockerfile:
    result = Dockerfile(path)
    global_args: dict[str, str | None] = {}
    stages: set[str] = set()
    seen_from = False
    for line, logical in _logical_lines(text):
        keyword, _, args = logical.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        result.instructions.append(Instruction(keyword, args, line))
        if keyword == "ARG" and not seen_from:
            for part in args.split():
                name, eq, value = part.partition("=")
                global_args[name] = value.strip("\"'") if eq else global_args.get(name)
        elif keyword == "FROM":
            seen_from = True
            words = [w for w in args.split() if not w.startswith("--")]
            if not words:
                continue
            written = words[0]
            stage = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            image, unresolved = substitute(written, global_args)
            unresolved = unresolved or "{{" in written or "{%" in written  # a template
            result.froms.append(
                FromLine(image, written, line, stage, unresolved, image.lower() in stages)
            )
            if stage:
                stages.add(stage.lower())
    return result


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference; a registry port is not a tag."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = name.rsplit(":", 1)
        return repo, tag, digest or None
    return name, None, digest or None
