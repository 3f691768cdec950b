"""``legacy-image-build`` (CI013): move legacy image builds to our Buildah image-build template.

Four CERN patterns, each carried over with its settings:

1. CERN's kaniko template (``ci-tools/container-image-ci-templates`` or the CMS CAT fork):
   ``extends: .build_kaniko`` becomes ``extends: .hepci-image-build``; its variables
   (``CONTEXT_DIR``, ``DOCKER_FILE_NAME``, ``REGISTRY_IMAGE_PATH``, ``PUSH_IMAGE``, ...) are
   ours too, so they stay as written. The kaniko include is replaced by ours.
2. Hand-written ``/kaniko/executor`` jobs: the executor flags become template variables.
3. ``tags: [docker-image-build]`` jobs: ``TO`` -> ``REGISTRY_IMAGE_PATH``, ``DOCKER_FILE``
   -> ``DOCKER_FILE_NAME``, ``BUILD_ARG`` -> ``BUILD_ARGS``; the ignored script goes.
4. Privileged docker-in-docker ``docker build``/``docker push`` jobs.

Our template is included with ``inputs: {job-name: <first migrated job>}`` so that it does
not add a second, default build job; the migrated job merges with it by name.
"""

from __future__ import annotations

from typing import Any

from hepci.core.cimodel import CiConfig
from hepci.core.yamledit import MappingNode, ScalarNode, SequenceNode, YamlFile, to_data
from hepci.core.yamledit.edits import (
    DeleteItem,
    DeleteKey,
    Edit,
    InsertItem,
    InsertKey,
    RenameKey,
    ReplaceValue,
    SetScalar,
)
from hepci.upgrade._image_scripts import BuildSpec, NotMechanical, parse_docker, parse_kaniko
from hepci.upgrade.base import (
    Codemod,
    Path,
    Proposal,
    UpgradeContext,
    has_duplicate_keys,
    mapping_of,
    own_key,
    str_items,
)
from hepci.upgrade.cm_rules import OnlyExceptToRules, Unsupported, translate
from hepci.upgrade.versions import format_version

KANIKO_PROJECTS = (
    "ci-tools/container-image-ci-templates",
    "cms-analysis/general/container-image-ci-templates",
)
KANIKO_FILE = "kaniko-image.gitlab-ci.yml"
HIDDEN_JOB = ".hepci-image-build"
TEMPLATE_FILE = "/ci-templates/image-build.yml"
LEGACY_TAG = "docker-image-build"
TAG_JOB_RENAMES = {
    "TO": "REGISTRY_IMAGE_PATH",
    "DOCKER_FILE": "DOCKER_FILE_NAME",
    "BUILD_ARG": "BUILD_ARGS",
}
TAG_JOB_KEEP = frozenset({"CONTEXT_DIR", "GIT_SUBMODULE_STRATEGY", "GIT_DEPTH", "GIT_STRATEGY"})
DIND_VARIABLES = frozenset(
    {"DOCKER_HOST", "DOCKER_TLS_CERTDIR", "DOCKER_DRIVER", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"}
)


def _image_name(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else ""


def _is_dind(services: Any) -> bool:
    items = services if isinstance(services, list) else []
    return any("dind" in _image_name(item) and "docker" in _image_name(item) for item in items)


def _script_lines(job: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key in ("before_script", "script"):
        value = str_items(job.get(key))
        if job.get(key) is not None and value is None:
            raise NotMechanical(f"`{key}` uses !reference or nested lists")
        lines.extend(value or [])
    return lines


class LegacyImageBuild(Codemod):
    """Legacy image builds (kaniko template, kaniko executor, docker-image-build, dind) -> Buildah template."""

    id = "legacy-image-build"
    rules = ("CI013",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        migrated: list[str] = []
        for name, job in config.jobs.items():
            node = mapping_of(job.node)
            data = job.data if isinstance(job.data, dict) else {}
            if node is None or has_duplicate_keys(node):
                continue
            if not _legacy_kind(data):
                if _inherited_dind(config, data):
                    message = (
                        f"job {name!r} builds with docker-in-docker from the global/default "
                        "services: give it its own `services`, or move it to the image-build "
                        "template by hand"
                    )
                    proposal.manual.append(self.manual(message, job.key_node))
                continue
            try:
                edits = self._job_edits(name, node, data)
                edits += _policy_edits(file, config, name, node)
            except NotMechanical as exc:
                proposal.manual.append(self.manual(f"job {name!r}: {exc}", job.key_node))
                continue
            proposal.add(*edits)
            migrated.append(name)
        if migrated:
            include = self._include_edits(config, migrated[0], ctx)
            if include:
                proposal.add(*include)
        return proposal

    def _job_edits(self, name: str, node: MappingNode, data: dict[str, Any]) -> list[Edit]:
        kind = _legacy_kind(data)
        if kind == "kaniko-template":
            return _template_job(name, node, data)
        if kind == "docker-image-build":
            return _tag_job(name, node, data)
        spec = (
            parse_kaniko(_script_lines(data))
            if kind == "kaniko"
            else parse_docker(_script_lines(data))
        )
        return _scripted_job(name, node, data, spec, dind=kind == "dind")

    def _include_edits(self, config: CiConfig, job_name: str, ctx: UpgradeContext) -> list[Edit]:
        ours = {
            "project": ctx.templates_project,
            "ref": format_version(ctx.releases.target(None)),
            "file": TEMPLATE_FILE,
            "inputs": {"job-name": job_name},
        }
        kaniko = [
            inc
            for inc in config.includes
            if inc.kind == "project"
            and inc.location.strip("/") in KANIKO_PROJECTS
            and any(f.strip("/") == KANIKO_FILE for f in inc.files)
        ]
        if any(
            inc.kind == "project"
            and inc.location.strip("/") == ctx.templates_project
            and any(f.strip("/").endswith("ci-templates/image-build.yml") for f in inc.files)
            for inc in config.includes
        ):
            return []
        node = config.find("include")
        if node is None:
            root = config.document.mapping() if config.document is not None else None
            first = root.keys()[0] if root is not None and root.keys() else None
            before = first if first is not None and first != "include" else None
            return [InsertKey((), "include", [ours], before=before)]
        if not isinstance(node, SequenceNode):
            if kaniko:
                return [ReplaceValue(("include",), ours)]
            return [ReplaceValue(("include",), [to_data(node), ours])]
        if kaniko and len(kaniko[0].files) == 1:
            return [ReplaceValue(("include", kaniko[0].index), ours)]
        edits: list[Edit] = []
        if kaniko:
            file_node = mapping_of(kaniko[0].node)
            files = own_key(file_node, "file") if file_node is not None else None
            if files is not None and isinstance(files[1], SequenceNode):
                index = next(
                    i
                    for i, f in enumerate(files[1].items)
                    if isinstance(f, ScalarNode) and f.value.strip("/") == KANIKO_FILE
                )
                edits.append(DeleteItem(("include", kaniko[0].index, "file", index)))
        edits.append(InsertItem(("include",), len(node.items), ours))
        return edits


def _inherited_dind(config: CiConfig, data: dict[str, Any]) -> bool:
    scripts = " ".join(str(s) for s in str_items(data.get("script")) or [])
    if "docker build" not in scripts or "services" in data:
        return False
    return _is_dind(config.data.get("services")) or _is_dind(config.default.get("services"))


def _legacy_kind(data: dict[str, Any]) -> str | None:
    extends = data.get("extends")
    if extends == ".build_kaniko" or (isinstance(extends, list) and ".build_kaniko" in extends):
        return "kaniko-template"
    tags = data.get("tags")
    if isinstance(tags, list) and LEGACY_TAG in tags:
        return "docker-image-build"
    image = _image_name(data.get("image"))
    scripts = " ".join(
        str(s) for k in ("before_script", "script") for s in str_items(data.get(k)) or []
    )
    if ("kaniko" in image or "docker-image-builder" in image) and "/kaniko/executor" in scripts:
        return "kaniko"
    if _is_dind(data.get("services")) and "docker build" in scripts:
        return "dind"
    return None


def _policy_edits(file: YamlFile, config: CiConfig, name: str, node: MappingNode) -> list[Edit]:
    """``only``/``except`` -> ``rules`` (the template's ``rules`` would clash with them)."""
    only, except_ = own_key(node, "only"), own_key(node, "except")
    if only is None and except_ is None:
        return []
    try:
        OnlyExceptToRules.check_nodes(file, [e[1] for e in (only, except_) if e is not None])
        rules = translate(
            to_data(only[1]) if only else None,
            to_data(except_[1]) if except_ else None,
            has_only=only is not None,
            workflow_rules=isinstance(config.workflow.get("rules"), list),
        )
    except Unsupported as exc:
        raise NotMechanical(f"its only/except cannot become rules: {exc}") from None
    first = "only" if only is not None else "except"
    deletes = [DeleteKey((name, k)) for k, e in (("only", only), ("except", except_)) if e]
    return [InsertKey((name,), "rules", rules, after=first), *deletes]


def _variables(data: dict[str, Any]) -> dict[str, Any]:
    value = data.get("variables")
    return value if isinstance(value, dict) else {}


def _template_job(name: str, node: MappingNode, data: dict[str, Any]) -> list[Edit]:
    if own_key(node, "image") is not None:
        raise NotMechanical("sets its own `image`: remove it, then migrate")
    extends = own_key(node, "extends")
    if extends is None:
        raise NotMechanical("`.build_kaniko` comes through a merge key")
    variables = _variables(data)
    if any(str(k).startswith("COSIGN") for k in variables):
        raise NotMechanical("signs with cosign, which the image-build template does not do")
    if isinstance(extends[1], ScalarNode):
        return [SetScalar((name, "extends"), HIDDEN_JOB)]
    if isinstance(extends[1], SequenceNode):
        index = next(
            i
            for i, item in enumerate(extends[1].items)
            if isinstance(item, ScalarNode) and item.value == ".build_kaniko"
        )
        return [SetScalar((name, "extends", index), HIDDEN_JOB)]
    raise NotMechanical("`extends` is an alias")


def _tag_job(name: str, node: MappingNode, data: dict[str, Any]) -> list[Edit]:
    variables_node = own_key(node, "variables")
    variables = _variables(data)
    unknown = sorted(
        str(k) for k in variables if k not in TAG_JOB_RENAMES and k not in TAG_JOB_KEEP
    )
    if unknown:
        raise NotMechanical(
            f"variables {unknown} of the docker-image-build service are not carried over"
        )
    if variables and (variables_node is None or not isinstance(variables_node[1], MappingNode)):
        raise NotMechanical("`variables` come through a merge key or alias")
    if own_key(node, "extends") is not None or own_key(node, "image") is not None:
        raise NotMechanical("has its own `extends` or `image`")
    tags = own_key(node, "tags")
    if tags is None or not isinstance(tags[1], SequenceNode):
        raise NotMechanical("`tags` come through a merge key or alias")
    edits: list[Edit] = [InsertKey((name,), "extends", HIDDEN_JOB, before=node.keys()[0])]
    if len(tags[1].items) == 1:
        edits.append(DeleteKey((name, "tags")))
    else:
        index = [to_data(i) for i in tags[1].items].index(LEGACY_TAG)
        edits.append(DeleteItem((name, "tags", index)))
    if own_key(node, "script") is not None:
        edits.append(DeleteKey((name, "script")))
    for old, new in TAG_JOB_RENAMES.items():
        if old in variables:
            edits.append(_rename_variable(name, old, new))
    target = variables.get("TO")
    if isinstance(target, str) and ":" not in target.rsplit("/", 1)[-1]:
        edits.append(InsertKey((name, "variables"), "EXTRA_TAGS", "latest"))
    return edits


def _rename_variable(job: str, old: str, new: str) -> Edit:
    return RenameKey((job, "variables", old), new)


def _scripted_job(
    name: str, node: MappingNode, data: dict[str, Any], spec: BuildSpec, *, dind: bool
) -> list[Edit]:
    if own_key(node, "extends") is not None:
        raise NotMechanical("has its own `extends`")
    wanted = spec.variables()
    base: Path = (name,)
    edits: list[Edit] = [InsertKey(base, "extends", HIDDEN_JOB, before=node.keys()[0])]
    for key in ("image", "services", "before_script", "script"):
        if key in data and own_key(node, key) is None:
            raise NotMechanical(f"`{key}` comes through a merge key")
        if own_key(node, key) is not None and (key != "services" or dind):
            edits.append(DeleteKey((*base, key)))
    variables = own_key(node, "variables")
    current = _variables(data)
    if variables is None:
        if current:
            raise NotMechanical("`variables` come through a merge key")
        edits.append(InsertKey(base, "variables", wanted))
        return edits
    if not isinstance(variables[1], MappingNode):
        raise NotMechanical("`variables` is an alias")
    for key, value in wanted.items():
        if key in current and current[key] != value:
            raise NotMechanical(f"variable {key} already set to something else")
        if key not in current:
            edits.append(InsertKey((*base, "variables"), key, value))
    edits.extend(
        DeleteKey((*base, "variables", k)) for k in current if dind and k in DIND_VARIABLES
    )
    return edits
