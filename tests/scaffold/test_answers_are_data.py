"""`hepci new` answers are data, never templates (issue 11 item 7).

Each probe once ran code through cookiecutter: a `--set` value rendered as Jinja, an answer
pasted into the Python of the pre_gen hook, the absolute output path rendered as Jinja. The
payload touches a marker file; every test asserts that no marker appears anywhere under the
test's directory, where the old code created one (see the cookiecutter probes at the end,
which run cookiecutter's own code path and do create it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
import yaml

from hepci import scaffold
from hepci.cli import main
from hepci.core.resources import cookiecutter_dir
from hepci.errors import ExitCode
from hepci.scaffold_answers import ANSWER_RULES, resolve


def payload(marker: Path) -> str:
    return "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"


def markers(root: Path) -> list[Path]:
    return list(root.rglob("PWNED*"))


def hepci_new(capsys, *args: str) -> tuple[int, str]:
    code = main(["new", *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("key", ["author", "analysis_name"])
def test_a_jinja_answer_is_refused_and_never_run(tmp_path, capsys, key):
    code, err = hepci_new(
        capsys, str(tmp_path / "x"), "--no-input", "--set", f"{key}={payload(tmp_path / 'PWNED')}"
    )
    assert code == ExitCode.USAGE and f"invalid {key}" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert markers(tmp_path) == [] and not (tmp_path / "x").exists()


def test_answers_are_never_rendered():
    """The value is kept verbatim (cookiecutter's own prompt_for_config would render it)."""
    options = scaffold.template_options()
    answers = resolve(options, {"author": "{{ 7 * 7 }}", "analysis_name": "Z peak"}, no_input=True)
    assert answers["author"] == "{{ 7 * 7 }}"
    # Defaults that reference other answers see them as data, in Jinja's sandbox.
    assert answers["analysis_slug"] == "z_peak" and answers["__repo_name"] == "z-peak"
    hostile = resolve(options, {"analysis_name": "{{ 7 * 7 }}"}, no_input=True)
    assert hostile["analysis_slug"] == "{{_7_*_7_}}"  # data through `lower|replace`, not 49


def test_a_directory_name_that_is_jinja_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"
    code, err = hepci_new(capsys, name, "--no-input")
    assert code == ExitCode.USAGE and "invalid analysis_name" in err
    assert markers(tmp_path) == []


def test_a_parent_directory_that_is_jinja_is_never_rendered(tmp_path, capsys):
    parent = tmp_path / "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"
    parent.mkdir()
    code, err = hepci_new(capsys, str(parent / "demo"), "--no-input")
    assert code == 0, err
    assert (parent / "demo" / "src" / "demo" / "selection.py").is_file()
    assert markers(tmp_path) == [] and markers(cookiecutter_dir()) == []
    assert not list(parent.glob(".hepci-new-*"))


def test_interactive_answers_are_checked_too(tmp_path):
    from typer.testing import CliRunner

    from hepci.cli import app

    typed = ["Z to mumu", "", payload(tmp_path / "PWNED")] + [""] * 10
    result = CliRunner().invoke(app, ["new", str(tmp_path / "zmm")], input="\n".join(typed) + "\n")
    assert isinstance(result.exception, scaffold.UsageError)  # cli.main: one line, exit 2
    assert "invalid author" in str(result.exception)
    assert markers(tmp_path) == [] and not (tmp_path / "zmm").exists()


@pytest.mark.parametrize(
    ("slug", "why"),
    [
        ("import", "a Python keyword"),
        ("class", "a Python keyword"),
        ("match", "a Python keyword"),  # a soft keyword
        ("json", "standard-library module"),
        ("os", "standard-library module"),
        ("numpy", "imports or depends on"),
        ("uproot", "imports or depends on"),
        ("hist", "imports or depends on"),
        ("pytest", "imports or depends on"),
        ("snakemake", "imports or depends on"),
    ],
)
def test_a_slug_that_would_break_or_shadow_an_import_is_refused(tmp_path, capsys, slug, why):
    code, err = hepci_new(
        capsys, str(tmp_path / "x"), "--no-input", "--set", f"analysis_slug={slug}"
    )
    assert code == ExitCode.USAGE
    assert err.startswith(f"hepci: error: invalid analysis_slug {slug!r}: ")
    assert err.rstrip().endswith("(use --set analysis_slug=...)")
    assert why in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("author", 'Jane "JD" Doe'),
        ("author", "Jane\\Doe"),
        ("author", "Jane\nrm -rf /"),
        ("analysis_name", "Z peak\n  evil-job:\n    script: [id]"),
        ("analysis_name", " leading space"),
        ("templates_project", "hepci"),
        ("templates_project", "hepci/hepci\nx"),
        ("base_image", "python:3.12\nRUN curl evil | sh"),
        ("base_image", "python:3.12 AS x"),
        ("email", "jane@cern.ch\nx"),
    ],
)
def test_values_that_would_break_the_file_formats_are_refused(tmp_path, capsys, key, value):
    code, err = hepci_new(capsys, str(tmp_path / "x"), "--no-input", "--set", f"{key}={value}")
    assert code == ExitCode.USAGE and f"invalid {key}" in err
    assert len(err.strip().splitlines()) == 1


NAMES = ["O'Brien & Søn", "Search for $Z'$ → μμ (Run 3)", "a: b # not a comment", "50% <html>"]


@pytest.mark.parametrize("name", NAMES)
def test_unusual_but_valid_text_lands_intact_in_every_format(tmp_path, name):
    answers = {"analysis_name": name, "author": name, "analysis_slug": "r"}
    repo = scaffold.create(tmp_path / "r", answers=answers).path
    meta = tomllib.loads((repo / "pyproject.toml").read_text())
    assert meta["project"]["description"] == name
    assert meta["project"]["authors"][0]["name"] == name
    cff = yaml.safe_load((repo / "CITATION.cff").read_text())
    person = cff["authors"][0]
    assert cff["title"] == name
    assert f"{person['given-names']} {person['family-names']}" == " ".join(name.split())
    init = (repo / "src" / "r" / "__init__.py").read_text()
    namespace: dict[str, object] = {}
    exec(compile(init, "__init__.py", "exec"), namespace)  # our own output
    assert str(namespace["__doc__"]).startswith(name)
    ci = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert set(ci) == {"workflow", "stages", "include"}  # nothing injected
    label = next(
        ln for ln in (repo / "Dockerfile").read_text().splitlines() if "description=" in ln
    )
    assert label.split('description="', 1)[1].rsplit('"', 1)[0] == name.replace("$", "\\$")


def test_a_hostile_cruft_record_is_refused_by_upgrade_scaffold(tmp_path, capsys):
    """`hepci upgrade --scaffold` re-renders recorded answers: they are validated, not run."""
    from hepci.upgrade.scaffold_update import _render

    made = scaffold.create(tmp_path / "made", answers={}).path
    context = json.loads((made / ".cruft.json").read_text())["context"]["cookiecutter"]
    context.update(author=payload(tmp_path / "PWNED"), _extensions=["hepci_no_such_ext"])
    (tmp_path / "out").mkdir()
    with pytest.raises(scaffold.HepciError, match="recorded answer refused: invalid author"):
        _render(cookiecutter_dir(), context, tmp_path / "out")
    assert markers(tmp_path) == [] and not any((tmp_path / "out").iterdir())
    context["author"] = "Ada"
    files = _render(cookiecutter_dir(), context, tmp_path / "out")
    assert "Ada" in files["LICENSE"].decode()  # `_extensions` from the record was ignored


def test_the_hook_has_the_same_rules_as_the_service():
    hook = (cookiecutter_dir() / "hooks" / "pre_gen_project.py").read_text()
    code = hook.split("errors = [", 1)[0]
    code = code.replace("{{ ", '"').replace(" | tojson }}", '"')
    namespace: dict[str, object] = {}
    exec(compile(code, "hook", "exec"), namespace)  # the template's own hook
    assert namespace["RULES"] == ANSWER_RULES


# --- the old code path: cookiecutter's own machinery does run these payloads -----------------


def test_cookiecutter_itself_renders_a_set_value(tmp_path, monkeypatch):
    """Why the service does not hand answers to cookiecutter's prompt: it renders them."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(
        context_file=str(cookiecutter_dir() / "cookiecutter.json"),
        extra_context={"author": payload(tmp_path / "PWNED")},
    )
    prompt_for_config(context, no_input=True)
    assert markers(tmp_path) == [tmp_path / "PWNED"]


def test_cookiecutter_itself_renders_the_output_path(tmp_path):
    """Why the service never renders under a parent whose path is Jinja."""
    import shutil

    from cookiecutter.main import cookiecutter

    template = tmp_path / "template"
    shutil.copytree(cookiecutter_dir(), template)
    parent = tmp_path / "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"
    parent.mkdir()
    with pytest.raises(Exception):  # noqa: B017 (whatever cookiecutter makes of "0")
        cookiecutter(str(template), no_input=True, output_dir=str(parent))
    assert len(markers(template)) == 1  # run in the template folder, cookiecutter's cwd
