"""``pin-digests``: add (or refresh) the digest next to each image tag (PIN004, PIN005).

Asks the image's registry which digest its tag points to now (:mod:`.registry`) and writes
``name:tag@sha256:…``: the tag stays for readers, the digest is what runs. An existing digest
is replaced when the tag has moved. Where images are written:

- CI files: global, ``default:`` and job ``image:``/``services:`` (string or ``name:``), and
  the ``variables:`` entries and ``parallel:matrix`` values those name as ``$VAR``/``${VAR}``;
- Dockerfiles: ``FROM`` images, or the ``ARG`` default a ``FROM ${ARG}`` takes.

Untagged and ``:latest`` images are left for CI010/IMG002 (pinning whatever ``latest`` is today
would hide that the reference names no version); values with other variables are left alone.
Network access: only when the codemod is selected (``--select pin-digests``) or with
``hepci upgrade --refresh-digests``; a failed lookup is reported, the reference left as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from hepci.core.cimodel import CiConfig
from hepci.core.interpolation import VARIABLE_RE
from hepci.core.yamledit import MappingNode, Node, ScalarNode, SequenceNode, YamlFile
from hepci.core.yamledit.edits import SetScalar
from hepci.core.yamledit.source import decode_bytes
from hepci.errors import HepciError
from hepci.upgrade.base import Codemod, DigestLookup, Manual, Path, Proposal, UpgradeContext
from hepci.upgrade.engine import CodemodRun, FileUpgrade
from hepci.upgrade.registry import ImageRef, parse_image

_FROM = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*)(\S+)", re.IGNORECASE)
_ARG = r"^(\s*ARG\s+(?:\S+\s+)*?{name}=)([\"']?)([^\s\"']+)\2"


def pinnable(text: str) -> ImageRef | None:
    """The reference when it names a version tag (not ``latest``) we can ask about."""
    ref = parse_image(text)
    if ref is None or ref.tag is None or ref.tag == "latest":
        return None
    return ref


def _scalar(node: Node | None) -> ScalarNode | None:
    return node if isinstance(node, ScalarNode) and node.tag is None else None


def _image_nodes(node: Node | None, path: Path) -> Iterator[tuple[Path, ScalarNode]]:
    """``image:`` or one ``services:`` item: the scalar itself or its ``name:``."""
    if (scalar := _scalar(node)) is not None:
        yield path, scalar
    elif isinstance(node, MappingNode) and (name := _scalar(node.get("name"))) is not None:
        yield (*path, "name"), name


def _written_images(config: CiConfig) -> Iterator[tuple[Path, ScalarNode]]:
    root = config.document.mapping() if config.document is not None else None
    if root is None:
        return
    scopes: list[tuple[Path, Node | None]] = [((), root)]
    scopes += [((key,), value) for key, _, value in root.pairs() if key not in ("variables",)]
    for prefix, scope in scopes:
        if not isinstance(scope, MappingNode) or (prefix and prefix[0] == "include"):
            continue
        yield from _image_nodes(scope.get("image"), (*prefix, "image"))
        services = scope.get("services")
        if isinstance(services, SequenceNode):
            for index, item in enumerate(services.items):
                yield from _image_nodes(item, (*prefix, "services", index))


def _var_name(path: Path) -> str:
    """The variable a path from :func:`_variable_nodes` writes."""
    return str(next(p for p in reversed(path) if isinstance(p, str) and p != "value"))


def _variable_nodes(config: CiConfig, names: set[str] | None) -> Iterator[tuple[Path, ScalarNode]]:
    """The ``variables:`` values and ``parallel:matrix`` values of ``names`` (``None``: all)."""
    root = config.document.mapping() if config.document is not None else None
    if root is None or names == set():
        return
    for key, _, value in root.pairs():
        prefix: Path = () if key == "variables" else (key,)
        scope = root if key == "variables" else value
        if not isinstance(scope, MappingNode):
            continue
        variables = scope.get("variables")
        if isinstance(variables, MappingNode):
            for name, _, entry in variables.pairs():
                if names is None or name in names:
                    yield from _image_nodes_value(entry, (*prefix, "variables", name))
        if key != "variables":
            yield from _matrix_nodes(scope, (key,), names)


def _matrix_nodes(
    job: MappingNode, prefix: Path, names: set[str] | None
) -> Iterator[tuple[Path, ScalarNode]]:
    parallel = job.get("parallel")
    matrix = parallel.get("matrix") if isinstance(parallel, MappingNode) else None
    for index, item in enumerate(matrix.items if isinstance(matrix, SequenceNode) else []):
        if not isinstance(item, MappingNode):
            continue
        for name, _, entry in item.pairs():
            if names is not None and name not in names:
                continue
            where: Path = (*prefix, "parallel", "matrix", index, name)
            if (scalar := _scalar(entry)) is not None:
                yield where, scalar
            elif isinstance(entry, SequenceNode):
                for pos, value_node in enumerate(entry.items):
                    if (scalar := _scalar(value_node)) is not None:
                        yield (*where, pos), scalar


def _image_nodes_value(node: Node | None, path: Path) -> Iterator[tuple[Path, ScalarNode]]:
    if (scalar := _scalar(node)) is not None:
        yield path, scalar
    elif isinstance(node, MappingNode) and (value := _scalar(node.get("value"))) is not None:
        yield (*path, "value"), value


class PinDigests(Codemod):
    """Image tags get their registry digest (`name:tag@sha256:…`), refreshed when the tag moved."""

    id = "pin-digests"
    rules = ("PIN004", "PIN005")
    profile = "network"

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        images = list(_written_images(config))
        names = {m[1] or m[2] for _, node in images for m in VARIABLE_RE.finditer(node.value)}
        defined = {_var_name(path) for path, _ in _variable_nodes(config, None)}
        seen: set[Path] = set()
        for path, node in [*images, *_variable_nodes(config, names)]:
            if path in seen:
                continue
            seen.add(path)
            used = {m[1] or m[2] for m in VARIABLE_RE.finditer(node.value)}
            if used & defined and not VARIABLE_RE.fullmatch(node.value.strip()):
                message = (
                    f"image `{node.value}` is assembled from variables: pin a digest where "
                    "the whole reference is written"
                )
                proposal.manual.append(self.manual(message, node))
                continue
            new, manual = self.pinned(node.value, ctx, node.start.lineno)
            if manual is not None:
                proposal.manual.append(manual)
            elif new is not None:
                proposal.add(SetScalar(path, new))
        return proposal

    def pinned(
        self, text: str, ctx: UpgradeContext, line: int, rule: str = "PIN004"
    ) -> tuple[str | None, Manual | None]:
        """(new reference or ``None`` to leave it, a note when the lookup failed)."""
        ref = pinnable(text)
        if ref is None:
            return None, None
        if ctx.digests is None:
            note = f"`{text}`: digest lookups are off (hepci upgrade --refresh-digests)"
            return None, Manual(self.id, rule, note, line)
        try:
            digest = ctx.digests.digest(ref)
        except HepciError as exc:
            return None, Manual(self.id, rule, f"digest not looked up: {exc.message}", line)
        new = ref.text(digest)
        return (new if new != text.strip() else None), None


# --------------------------------------------------------------------------- Dockerfiles


def _global_args(lines: list[str]) -> dict[str, int]:
    """``ARG`` names declared before the first ``FROM`` → their line index."""
    found: dict[str, int] = {}
    for index, line in enumerate(lines):
        stripped = line.strip()
        if re.match(r"(?i)FROM\s", stripped):
            break
        match = re.match(r"(?i)ARG\s+(.*)", stripped)
        if match:
            for part in match[1].split():
                found[part.partition("=")[0]] = index
    return found


def _pin_line(line: str, pattern: str, group: int, new: str) -> str:
    match = re.match(pattern, line, re.IGNORECASE)
    assert match is not None
    return line[: match.start(group)] + new + line[match.end(group) :]


def pin_dockerfile(text: str, path: str, ctx: UpgradeContext) -> tuple[str, int, list[Manual]]:
    """(new text, references changed, notes) for one Dockerfile."""
    codemod = PinDigests()
    lines = text.splitlines(keepends=True)
    args = _global_args(lines)
    stages: set[str] = set()
    changed, notes = 0, []
    for index, line in enumerate(lines):
        match = _FROM.match(line)
        if match is None:
            continue
        written = match[2]
        rest = line[match.end() :].split()
        if len(rest) >= 2 and rest[0].lower() == "as":
            stages.add(rest[1].lower())
        if written.lower() in stages or "{{" in written:
            continue
        target, pattern, group, value = index, _FROM.pattern, 2, written
        var = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", written)
        if var is not None:
            if var[1] not in args:
                continue
            target, pattern, group = args[var[1]], _ARG.format(name=re.escape(var[1])), 3
            found = re.match(pattern, lines[target], re.IGNORECASE)
            if found is None:
                continue
            value = found[3]
        new, note = codemod.pinned(value, ctx, target + 1, "PIN005")
        if note is not None:
            notes.append(note)
        elif new is not None:
            lines[target] = _pin_line(lines[target], pattern, group, new)
            changed += 1
    return "".join(lines), changed, notes


def upgrade_dockerfile(
    data: bytes, path: str, codemods: Sequence[type[Codemod]], ctx: UpgradeContext
) -> FileUpgrade | None:
    """The ``pin-digests`` outcome for a Dockerfile, ``None`` when that codemod is not selected."""
    if PinDigests not in codemods:
        return None
    try:  # a byte-order mark or UTF-16 is read, and written back, as it was
        source = decode_bytes(data, path, max_bytes=len(data))  # the read was capped
    except HepciError:
        return FileUpgrade(path, "", "", error=f"{path}: not UTF-8 text, left untouched")
    text = source.text
    outcome = FileUpgrade(path, text, text, source=source)
    run = CodemodRun(PinDigests.id, PinDigests.rules)
    outcome.runs.append(run)
    new, run.applied, run.manual = pin_dockerfile(text, path, ctx)
    outcome.text = new
    return outcome


def digest_lookup(codemods: Sequence[type[Codemod]]) -> DigestLookup | None:
    """A registry client when a codemod that asks registries runs (local and group mode)."""
    if not any(cls.profile == "network" for cls in codemods):
        return None
    from hepci.upgrade.registry import RegistryClient

    return RegistryClient()
