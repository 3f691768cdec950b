"""Codemods for deprecated GitLab CI keywords and variables (audit rules CI007, CI008, CI014).

Each one is a mechanical, meaning-preserving rewrite documented by GitLab
(``doc/ci/yaml/deprecated_keywords.md``, ``doc/ci/variables/deprecated_variables.md``).
Anything not mechanically safe (both old and new keys present, comments that a move would
lose, anchors) is reported as manual instead of guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hepci.core.cimodel import CiConfig
from hepci.core.yamledit import MappingNode, Node, ScalarNode, SequenceNode, YamlFile, to_data
from hepci.core.yamledit.edits import DeleteKey, InsertKey, RenameKey, SetScalar
from hepci.upgrade.base import (
    Codemod,
    Path,
    Proposal,
    UpgradeContext,
    has_duplicate_keys,
    iter_scalars,
    mapping_of,
    movable,
    own_key,
)

MOVED_GLOBALS = ("image", "services", "cache", "before_script", "after_script")

CI_BUILD_RENAMES = {
    "BEFORE_SHA": "CI_COMMIT_BEFORE_SHA",
    "ID": "CI_JOB_ID",
    "MANUAL": "CI_JOB_MANUAL",
    "NAME": "CI_JOB_NAME",
    "REF": "CI_COMMIT_SHA",
    "REF_NAME": "CI_COMMIT_REF_NAME",
    "REF_SLUG": "CI_COMMIT_REF_SLUG",
    "REPO": "CI_REPOSITORY_URL",
    "STAGE": "CI_JOB_STAGE",
    "TAG": "CI_COMMIT_TAG",
    "TOKEN": "CI_JOB_TOKEN",
    "TRIGGERED": "CI_PIPELINE_TRIGGERED",
}
_CI_BUILD = re.compile(
    r"(?<![A-Za-z0-9_])CI_BUILD_("
    + "|".join(sorted(CI_BUILD_RENAMES, key=len, reverse=True))
    + r")(?![A-Za-z0-9_])"
)
_JWT = re.compile(r"(?<![A-Za-z0-9_])CI_JOB_JWT(?:_V1|_V2)?(?![A-Za-z0-9_])")


def job_mappings(config: CiConfig) -> Iterator[tuple[str, MappingNode]]:
    """(name, mapping) of every job written in place, plus ``default:``."""
    default = config.globals.get("default")
    if default is not None and isinstance(default.node, MappingNode):
        yield "default", default.node
    for name, job in config.jobs.items():
        node = mapping_of(job.node)
        if node is not None and not has_duplicate_keys(node):
            yield name, node


def child_mapping(node: MappingNode, *keys: str) -> MappingNode | None:
    """The mapping at ``keys`` under ``node``, written in place (no aliases or merges)."""
    current: MappingNode | None = node
    for key in keys:
        found = own_key(current, key) if current is not None else None
        current = mapping_of(found[1]) if found is not None else None
        if current is not None and has_duplicate_keys(current):
            return None
    return current


class TypeToStage(Codemod):
    """`type` -> `stage` in jobs and `types` -> `stages` (removed in GitLab 15.0)."""

    id = "type-to-stage"
    rules = ("CI007",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        types = config.globals.get("types")
        if types is not None:
            if "stages" in config.globals:
                proposal.manual.append(
                    self.manual("both `types` and `stages`: delete `types`", types.key_node)
                )
            else:
                proposal.add(RenameKey(("types",), "stages"))
        for name, node in job_mappings(config):
            found = own_key(node, "type")
            if found is None or name == "default":
                continue
            if own_key(node, "stage") is not None:
                message = f"job {name!r} has both `type` and `stage`: delete `type`"
                proposal.manual.append(self.manual(message, found[0]))
            else:
                proposal.add(RenameKey((name, "type"), "stage"))
        return proposal


class GlobalToDefault(Codemod):
    """Global `image`, `services`, `cache`, `before_script`, `after_script` move under `default:`."""

    id = "global-to-default"
    rules = ("CI007",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        moved = [config.globals[k] for k in config.globals if k in MOVED_GLOBALS]
        if not moved:
            return proposal
        default = config.globals.get("default")
        default_node = mapping_of(default.node) if default is not None else None
        if default is not None and (default_node is None or has_duplicate_keys(default_node)):
            message = "`default:` is not a plain mapping: move the global keywords by hand"
            proposal.manual.append(self.manual(message, default.key_node))
            return proposal
        values: dict[str, object] = {}
        for item in moved:
            why = movable(file, item.node) if item.node is not None else None
            if default_node is not None and own_key(default_node, item.name) is not None:
                why = f"`default:{item.name}` exists too"
            if why is not None:
                message = f"global `{item.name}` not moved under `default:`: {why}"
                proposal.manual.append(self.manual(message, item.key_node))
                continue
            values[item.name] = to_data(item.node)
        if not values:
            return proposal
        if default_node is not None:
            for key, value in values.items():
                proposal.add(InsertKey(("default",), key, value), DeleteKey((key,)))
        else:
            after, before = _anchor_key(config, values)
            inserted = InsertKey((), "default", values, after=after, before=before)
            proposal.add(inserted, *(DeleteKey((key,)) for key in values))
        return proposal


def _anchor_key(config: CiConfig, moved: dict[str, object]) -> tuple[str | None, str | None]:
    """(after, before): the new ``default:`` goes where the first moved key was."""
    root = config.document.mapping() if config.document is not None else None
    keys = root.keys() if root is not None else []
    first = next(i for i, k in enumerate(keys) if k in moved)
    if first > 0:
        return keys[first - 1], None
    rest = [k for k in keys if k not in moved]
    return None, (rest[0] if rest else None)


class CiBuildVariables(Codemod):
    """`CI_BUILD_*` variables -> their `CI_*` names (deprecated in GitLab 9.0); `CI_JOB_JWT*` reported."""

    id = "ci-build-variables"
    rules = ("CI008",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        root = config.document.root if config.document is not None else None
        for path, node in iter_scalars(root):
            if _JWT.search(node.value):
                message = "`CI_JOB_JWT*` was removed in GitLab 17.0: declare `id_tokens:` instead"
                proposal.manual.append(self.manual(message, node))
            if not _CI_BUILD.search(node.value) or not path or path[0] == "include":
                continue
            new = _CI_BUILD.sub(lambda m: CI_BUILD_RENAMES[m.group(1)], node.value)
            proposal.add(SetScalar(path, new))
        return proposal


class CoberturaReport(Codemod):
    """`artifacts:reports:cobertura` -> `coverage_report` (removed in GitLab 15.0)."""

    id = "cobertura-report"
    rules = ("CI007",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        for name, job in job_mappings(config):
            reports = child_mapping(job, "artifacts", "reports")
            found = own_key(reports, "cobertura") if reports is not None else None
            if reports is None or found is None:
                continue
            value = to_data(found[1])
            paths = [value] if isinstance(value, str) else value
            base: Path = (name, "artifacts", "reports")
            why = movable(file, found[1])
            if own_key(reports, "coverage_report") is not None:
                why = "`coverage_report` exists too"
            elif not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str):
                why = "`coverage_report` takes one path (a glob): merge the paths by hand"
            if why is not None:
                message = f"job {name!r}: cobertura report not migrated: {why}"
                proposal.manual.append(self.manual(message, found[0]))
                continue
            report = {"coverage_format": "cobertura", "path": paths[0]}
            proposal.add(
                InsertKey(base, "coverage_report", report, after="cobertura"),
                DeleteKey((*base, "cobertura")),
            )
        return proposal


class IncludeWithInputs(Codemod):
    """`include:with` -> `include:inputs` (renamed in GitLab 16.0)."""

    id = "include-with-inputs"
    rules = ("CI007",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        as_list = isinstance(config.find("include"), SequenceNode)
        for include in config.includes:
            node = mapping_of(include.node)
            if not include.uses_with or node is None:
                continue
            base: Path = ("include", include.index) if as_list else ("include",)
            if own_key(node, "inputs") is not None:
                proposal.manual.append(self.manual("include has both `with` and `inputs`", node))
            else:
                proposal.add(RenameKey((*base, "with"), "inputs"))
        return proposal


class ArtifactsPublic(Codemod):
    """`artifacts:public: true|false` -> `artifacts:access: all|developer`."""

    id = "artifacts-public"
    rules = ("CI007",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        for name, job in job_mappings(config):
            artifacts = child_mapping(job, "artifacts")
            found = own_key(artifacts, "public") if artifacts is not None else None
            if artifacts is None or found is None:
                continue
            value = to_data(found[1])
            if own_key(artifacts, "access") is not None or not isinstance(value, bool):
                message = f"job {name!r}: `artifacts:public` is not a plain true/false next to no `access`"
                proposal.manual.append(self.manual(message, found[0]))
                continue
            base: Path = (name, "artifacts")
            access = "all" if value else "developer"
            proposal.add(
                InsertKey(base, "access", access, after="public"), DeleteKey((*base, "public"))
            )
        return proposal


class CvmfsTag(Codemod):
    """Runner tag `cvmfs` -> `k8s-cvmfs` (CERN retired the old CVMFS runners; CERN profile)."""

    id = "cvmfs-tag"
    rules = ("CI014",)
    profile = "cern"

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        for name, job in job_mappings(config):
            found = own_key(job, "tags")
            tags: Node | None = found[1] if found is not None else None
            if not isinstance(tags, SequenceNode) or tags.tag is not None:
                continue
            values = [i.value for i in tags.items if isinstance(i, ScalarNode)]
            for index, item in enumerate(tags.items):
                if isinstance(item, ScalarNode) and item.value == "cvmfs":
                    if "k8s-cvmfs" in values:
                        proposal.manual.append(
                            self.manual(f"job {name!r}: drop the `cvmfs` tag", item)
                        )
                    else:
                        proposal.add(SetScalar((name, "tags", index), "k8s-cvmfs"))
        return proposal
