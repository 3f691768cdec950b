"""`project-to-component`: our `include: project` becomes the same `component:` include.

Proven three ways: small files (exact output), every real-world CI file of the corpus (no
file without our includes changes; every `include: project` entry of the corpus, re-pointed
at hepci/hepci in place so its quoting, lists, refs and comments stay as their authors wrote
them, converts to exactly the component with the same inputs and rules, or is reported), and
a scaffolded repository written with `include_style=project`, which upgrades to the
byte-identical file of a default (component) scaffold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import corpus_files

from hepci import __version__, scaffold
from hepci.core.cimodel import Include, ci_config
from hepci.core.templates import shipped_templates
from hepci.core.yamledit import ScalarNode, SequenceNode, parse_bytes, parse_text
from hepci.errors import HepciError
from hepci.upgrade.base import UpgradeContext, mapping_of, own_key
from hepci.upgrade.cm_templates import ProjectToComponent, new_ref
from hepci.upgrade.engine import upgrade_file
from hepci.upgrade.versions import release_policy

CTX = UpgradeContext(release_policy())
NAMES = sorted(shipped_templates())


def convert(text: str) -> tuple[str, list[str]]:
    outcome = upgrade_file(parse_text(text, "ci.yml"), [ProjectToComponent], CTX)
    return outcome.text, [m.message for r in outcome.runs for m in r.manual]


def test_inputs_rules_comments_and_quotes_are_kept() -> None:
    text = (
        "include:\n"
        "  - project: 'hepci/hepci'  # the templates\n"
        '    ref: "0.1.0"\n'
        "    file: /ci-templates/image-build.yml\n"
        "    inputs:\n"
        "      context-dir: docker  # our Dockerfile\n"
        "    rules:\n"
        "      - if: $CI_COMMIT_BRANCH\n"
        "  - local: /ci/other.yml\n"
    )
    out, manual = convert(text)
    assert manual == []
    assert out == text.replace(
        "  - project: 'hepci/hepci'  # the templates\n    ref: \"0.1.0\"\n"
        "    file: /ci-templates/image-build.yml\n",
        f"  - component: '$CI_SERVER_FQDN/hepci/hepci/image-build@{__version__}'  # the templates\n",
    )
    assert convert(out) == (out, [])  # idempotent


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("", __version__), ("    ref: main\n", __version__), ("    ref: HEAD\n", __version__)],
)
def test_an_unpinned_include_gets_the_newest_release(ref: str, expected: str) -> None:
    text = f"include:\n  - project: hepci/hepci\n{ref}    file: /ci-templates/lint.yml\n"
    out, _ = convert(text)
    assert out == f"include:\n  - component: $CI_SERVER_FQDN/hepci/hepci/lint@{expected}\n"


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("    ref: 0123456789abcdef0123456789abcdef01234567\n    file: /ci-templates/lint.yml\n",
         "pinned to a commit"),
        ("    ref: 0.1.0\n    file: [/ci-templates/lint.yml, /ci-templates/reana.yml]\n",
         "several files"),
        ("    ref: 0.0.9\n    file: /ci-templates/lint.yml\n", "has no components"),
    ],
)  # fmt: skip
def test_what_cannot_be_converted_is_reported_and_left(entry: str, why: str) -> None:
    text = f"include:\n  - project: hepci/hepci\n{entry}"
    ctx = UpgradeContext(release_policy(to="0.0.9", extra_releases=("0.0.9",)))
    run_ctx = ctx if "0.0.9" in entry else CTX
    outcome = upgrade_file(parse_text(text, "ci.yml"), [ProjectToComponent], run_ctx)
    assert outcome.text == text
    assert [why in m.message for r in outcome.runs for m in r.manual] == [True]


def test_other_projects_and_other_files_are_not_touched() -> None:
    text = (
        "include:\n  - project: other/tools\n    ref: 1.0.0\n    file: /ci-templates/lint.yml\n"
        "  - project: hepci/hepci\n    ref: 0.1.0\n    file: /docs/x.yml\n"
    )
    assert convert(text) == (text, [])


# --- the corpus --------------------------------------------------------------------------------


def _replace(text: str, node: ScalarNode, value: str) -> tuple[int, int, str]:
    span = text[node.start.offset : node.end.offset]
    quote = span[0] if span[:1] in {"'", '"'} else ""
    return node.start.offset, node.end.offset, f"{quote}{value}{quote}"


def _repointed(text: str, includes: list[Include]) -> str:
    """The file with every `include: project` entry pointing at our templates, in place."""
    patches = []
    for n, include in enumerate(includes):
        node = mapping_of(include.node)
        file_value = own_key(node, "file") if node is not None else None
        if not isinstance(include.location_node, ScalarNode) or file_value is None:
            continue
        patches.append(_replace(text, include.location_node, "hepci/hepci"))
        items = file_value[1].items if isinstance(file_value[1], SequenceNode) else [file_value[1]]
        for k, item in enumerate(items):
            if isinstance(item, ScalarNode):
                name = NAMES[(n + k) % len(NAMES)]
                patches.append(_replace(text, item, f"/ci-templates/{name}.yml"))
    for start, end, value in sorted(patches, reverse=True):
        text = text[:start] + value + text[end:]
    return text


def _project_includes(text: str, name: str) -> list[Include]:
    return [i for i in ci_config(parse_text(text, name)).includes if i.kind == "project"]


@pytest.mark.corpus
def test_corpus(corpus_dir: Path, tmp_path: Path) -> None:
    files = corpus_files()
    untouched = converted = reported = with_project = 0
    for path in files:
        try:
            original = parse_bytes(path.read_bytes(), path.name)
            config = ci_config(original)
        except HepciError:
            continue
        outcome = upgrade_file(original, [ProjectToComponent], CTX)
        assert outcome.text == original.text, f"{path.name}: changed without our includes"
        untouched += 1
        includes = [i for i in config.includes if i.kind == "project"]
        if not includes:
            continue
        with_project += 1
        text = _repointed(original.text, includes)
        before = _project_includes(text, path.name)
        after_outcome = upgrade_file(parse_text(text, path.name), [ProjectToComponent], CTX)
        after_config = ci_config(parse_text(after_outcome.text, path.name))
        manual = [m.message for r in after_outcome.runs for m in r.manual]
        reported += len(manual)
        assert len(after_config.includes) == len(ci_config(parse_text(text, path.name)).includes)
        by_index = {i.index: i for i in after_config.includes}
        for old in before:
            new = by_index[old.index]
            if new.kind == "project":
                assert len(old.files) != 1 or (old.ref and len(old.ref) == 40), path.name
                continue
            converted += 1
            name = old.files[0].removeprefix("/ci-templates/").removesuffix(".yml")
            version = new_ref(old.ref, CTX.releases) or old.ref
            assert new.kind == "component" and new.ref == version, path.name
            assert new.location == f"$CI_SERVER_FQDN/hepci/hepci/{name}"
            assert dict(new.inputs) == dict(old.inputs) and new.rules == old.rules
        # Everything but the include entries is byte-identical: the rest of the file did not move.
        rest_before = parse_text(text, path.name).body.data
        rest_after = parse_text(after_outcome.text, path.name).body.data
        assert {k: v for k, v in rest_before.items() if k != "include"} == {
            k: v for k, v in rest_after.items() if k != "include"
        }
        again = upgrade_file(parse_text(after_outcome.text, path.name), [ProjectToComponent], CTX)
        assert again.text == after_outcome.text, f"{path.name}: not idempotent"
    assert untouched >= 70 and with_project >= 4 and converted >= 5 and reported >= 1
    print(f"corpus: {untouched} files unchanged, {with_project} with include:project, "
          f"{converted} entries converted, {reported} reported")  # fmt: skip


# --- scaffolded repositories -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "workflow"), [("columnar", "snakemake"), ("both", "reana-serial")]
)
def test_a_project_style_scaffold_upgrades_to_the_component_scaffold(tmp_path, flavour, workflow):
    answers = {"flavour": flavour, "workflow": workflow}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    project = scaffold.create(
        tmp_path / "a" / "demo", answers={**answers, "include_style": "project"}
    )
    component = scaffold.create(tmp_path / "b" / "demo", answers=answers)
    out, manual = convert((project.path / ".gitlab-ci.yml").read_text())
    assert manual == []
    assert out == (component.path / ".gitlab-ci.yml").read_text()
