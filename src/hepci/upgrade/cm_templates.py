"""``bump-templates``: move includes of our templates to a release; pin unpinned ones (CI005, CI006).

Recognised forms (``P`` = the templates project, default ``hepci/hepci``)::

    include: {project: P, ref: 0.1.0, file: /ci-templates/X.yml}
    include: {component: $CI_SERVER_FQDN/P/X@0.1.0}
    include: {remote: https://host/P/-/raw/0.1.0/ci-templates/X.yml}   (or the short form)

Semver refs move to the target (newest in the same major; ``--to``; ``--allow-major``) and
never backwards. Branch names, ``HEAD``, ``~latest`` or a missing ``ref`` are pinned to the
newest release. Full commit SHAs and partial component versions (``1``, ``1.2``) are left
alone. A remote include's ``integrity`` is recomputed when the target is the installed
version (its templates ship with hepci); otherwise it is reported.
"""

from __future__ import annotations

import base64
import hashlib
import re

from hepci import __version__
from hepci.core.cimodel import CiConfig, Include
from hepci.core.templates import TEMPLATE_FILE_RE
from hepci.core.yamledit import SequenceNode, YamlFile
from hepci.core.yamledit.edits import DeleteKey, Edit, InsertKey, RenameKey, SetScalar
from hepci.upgrade.base import (
    Codemod,
    Path,
    Proposal,
    UpgradeContext,
    has_anchor_or_alias,
    mapping_of,
    merge_sources,
    own_key,
)
from hepci.upgrade.versions import (
    ReleasePolicy,
    format_version,
    is_partial,
    is_sha,
    parse_version,
)


def new_ref(current: str | None, policy: ReleasePolicy) -> str | None:
    """The ref an include at ``current`` should get, or ``None`` to leave it."""
    if current is not None and (is_sha(current) or is_partial(current)):
        return None
    version = parse_version(current)
    if version is None:
        return format_version(policy.target(None))
    bumped = policy.bump(version)
    return format_version(bumped, current or "") if bumped is not None else None


def _ours_project(include: Include, project: str) -> bool:
    if include.location.strip("/").lower() != project.lower():
        return False
    return any(f.lstrip("/").startswith("ci-templates/") for f in include.files)


def _remote_pattern(project: str) -> re.Pattern[str]:
    return re.compile(
        r"^(?P<pre>https?://[^/]+/" + re.escape(project) + r"/-/raw/)"
        r"(?P<ref>[^/]+)(?P<post>/ci-templates/(?P<file>[^/?#]+\.ya?ml))$",
        re.IGNORECASE,
    )


def shipped_integrity(template: str) -> str | None:
    """``sha256-<base64>`` of a shipped template file (``None`` when it is not shipped)."""
    from hepci.core.resources import ci_templates_dir
    from hepci.errors import InputFileError

    try:
        path = ci_templates_dir() / template
        data = path.read_bytes() if path.is_file() else None
    except (InputFileError, OSError):
        return None
    if data is None:
        return None
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class BumpTemplates(Codemod):
    """Template includes pinned to a release and moved to the newest compatible one."""

    id = "bump-templates"
    rules = ("CI005", "CI006")

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        as_list = isinstance(config.find("include"), SequenceNode)
        remote = _remote_pattern(ctx.templates_project)
        for include in config.includes:
            base: Path = ("include", include.index) if as_list else ("include",)
            if include.kind == "project" and _ours_project(include, ctx.templates_project):
                self._project(include, base, ctx, proposal)
            elif include.kind == "component" and include.component_project == ctx.templates_project:
                self._component(include, base, ctx, proposal)
            elif include.kind == "remote" and (match := remote.match(include.location)):
                self._remote(include, base, match, ctx, proposal)
        return proposal

    def _project(
        self, include: Include, base: Path, ctx: UpgradeContext, proposal: Proposal
    ) -> None:
        ref = new_ref(include.ref, ctx.releases)
        if ref is None:
            return
        if include.ref_node is None:
            proposal.add(InsertKey(base, "ref", ref, after="project"))
        else:
            proposal.add(SetScalar((*base, "ref"), ref))

    def _component(
        self, include: Include, base: Path, ctx: UpgradeContext, proposal: Proposal
    ) -> None:
        current = include.ref
        if current is not None and is_partial(current):
            message = f"component version {current!r} follows releases: pin a full version"
            proposal.manual.append(self.manual(message, include.node, "CI005"))
            return
        ref = new_ref(None if current in (None, "~latest") else current, ctx.releases)
        if ref is not None:
            proposal.add(SetScalar((*base, "component"), f"{include.location}@{ref}"))

    def _remote(
        self,
        include: Include,
        base: Path,
        match: re.Match[str],
        ctx: UpgradeContext,
        proposal: Proposal,
    ) -> None:
        ref = new_ref(match["ref"], ctx.releases)
        if ref is None:
            return
        url = match["pre"] + ref + match["post"]
        edits: list[Edit] = [SetScalar(base if include.short_form else (*base, "remote"), url)]
        node = mapping_of(include.node)
        if node is not None and own_key(node, "integrity") is not None:
            digest = shipped_integrity(match["file"]) if ref == __version__ else None
            if digest is None:
                message = f"remote include moved to {ref}: update its `integrity` by hand"
                proposal.manual.append(self.manual(message, include.node, "CI006"))
                return
            edits.append(SetScalar((*base, "integrity"), digest))
        proposal.add(*edits)


FIRST_COMPONENT_RELEASE = (0, 1, 0)
"""The first release whose tagged tree has ``templates/`` (every release since)."""


class ProjectToComponent(Codemod):
    """`include: project` of the hepci templates turned into the same `component:` include.

    ``{project: P, ref: R, file: /ci-templates/X.yml, inputs: ...}`` becomes
    ``{component: $CI_SERVER_FQDN/P/X@R, inputs: ...}``: the same file (``templates/X/
    template.yml`` is a byte copy of ``ci-templates/X.yml``), the same inputs and ``rules``,
    written as a minimal patch (the key renamed, ``ref`` and ``file`` removed). An unpinned or
    branch ``ref`` becomes the newest release, as ``bump-templates`` does. Left alone, with a
    note: a commit SHA (it may predate ``templates/``), several files in one include, anchors
    or merge keys. Skip it (``--ignore project-to-component``) on a GitLab without CI/CD
    components (before 17.0).
    """

    id = "project-to-component"
    rules = ("CI004",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        as_list = isinstance(config.find("include"), SequenceNode)
        for include in config.includes:
            if include.kind == "project" and _ours_project(include, ctx.templates_project):
                base: Path = ("include", include.index) if as_list else ("include",)
                self._convert(include, base, ctx, proposal)
        return proposal

    def _refusal(self, include: Include, ctx: UpgradeContext) -> str | None:
        node = mapping_of(include.node)
        if node is None or has_anchor_or_alias(node) or merge_sources(node):
            return "it uses an anchor, alias or merge key"
        if len(include.files) != 1 or not TEMPLATE_FILE_RE.match(include.files[0].strip()):
            return "it names several files: write one `component:` include per template"
        if include.ref is not None and is_sha(include.ref):
            return "it is pinned to a commit, which may predate `templates/`: pin a release"
        target = new_ref(include.ref, ctx.releases) or include.ref
        version = parse_version(target)
        if version is None or version < FIRST_COMPONENT_RELEASE:
            return f"{target!r} has no components (the first is {format_version(FIRST_COMPONENT_RELEASE)})"
        return None

    def _convert(
        self, include: Include, base: Path, ctx: UpgradeContext, proposal: Proposal
    ) -> None:
        why = self._refusal(include, ctx)
        if why is not None:
            message = f"`include: project` of {ctx.templates_project} kept: {why}"
            proposal.manual.append(self.manual(message, include.node))
            return
        match = TEMPLATE_FILE_RE.match(include.files[0].strip())
        assert match is not None  # checked by _refusal
        ref = new_ref(include.ref, ctx.releases) or include.ref
        address = f"$CI_SERVER_FQDN/{include.location.strip('/')}/{match['name']}@{ref}"
        edits: list[Edit] = [
            RenameKey((*base, "project"), "component"),
            SetScalar((*base, "component"), address),
            DeleteKey((*base, "file")),
        ]
        if include.ref_node is not None:
            edits.append(DeleteKey((*base, "ref")))
        proposal.add(*edits)
