"""`hepci new`: the real command end to end, its one-line errors and the template hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from hepci import scaffold
from hepci.cli import main
from hepci.core.resources import cookiecutter_dir
from hepci.errors import ExitCode


def hepci(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_creates_the_repository_named_after_the_directory(tmp_path, capsys):
    code, out, err = hepci(capsys, "new", str(tmp_path / "demo-analysis"), "--no-input")
    assert code == 0, err
    repo = tmp_path / "demo-analysis"
    assert f"created {repo}" in out
    assert (repo / "src" / "demo_analysis" / "selection.py").is_file()
    answers = json.loads((repo / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert answers["analysis_name"] == "Demo analysis"
    assert answers["analysis_slug"] == "demo_analysis"
    assert "# Demo analysis" in (repo / "README.md").read_text()
    assert not list(tmp_path.glob(".hepci-new-*")), "temporary render directory left behind"


def test_set_answers_reach_the_files(tmp_path, capsys):
    code, _, err = hepci(
        capsys,
        "new",
        str(tmp_path / "zz"),
        "--no-input",
        "--set",
        "analysis_slug=zpeak",
        "--set",
        "flavour=cmssw",
        "--set",
        "workflow=none",
        "--set",
        "author=Ada Lovelace",
        "--set",
        "gitlab_namespace=cms-analysis/smp/zpeak",
    )
    assert code == 0, err
    repo = tmp_path / "zz"
    assert (repo / "cmssw" / "Analysis" / "Zpeak" / "plugins" / "BuildFile.xml").is_file()
    assert not (repo / "src" / "zpeak" / "selection.py").exists()
    assert not (repo / "workflow").exists() and not (repo / "reana.yaml").exists()
    assert "Ada Lovelace" in (repo / "LICENSE").read_text()
    assert "gitlab.cern.ch/cms-analysis/smp/zpeak/zz" not in (repo / "README.md").read_text()
    assert "gitlab.cern.ch/cms-analysis/smp/zpeak/zpeak" in (repo / "README.md").read_text()


def test_without_directory_it_uses_the_repository_name(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = hepci(capsys, "new", "--no-input")
    assert code == 0, err
    assert (tmp_path / "dimuon-analysis" / "src" / "dimuon_analysis" / "fit.py").is_file()


def test_an_empty_directory_is_filled(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = hepci(capsys, "new", str(tmp_path / "empty"), "--no-input")
    assert code == 0, err
    assert (tmp_path / "empty" / "Dockerfile").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "colour=red"], "unknown option 'colour'"),
        (["--set", "flavour=fortran"], "invalid value 'fortran' for flavour; choose one of"),
        (["--set", "analysis_slug=Bad-Slug"], "invalid analysis_slug 'Bad-Slug'"),
        (["--set", "analysis_slug=a__b"], "invalid analysis_slug 'a__b'"),
        (["--set", "email=jane-at-cern"], "invalid email 'jane-at-cern'"),
        (["--set", "email"], "--set expects KEY=VALUE, got 'email'"),
        (["--set", "__image=evil"], "unknown option '__image'"),
        (["--set", "templates_version=main"], "invalid templates_version 'main'"),
    ],
)
def test_bad_answers_are_one_line_usage_errors(tmp_path, capsys, args, message):
    code, _, err = hepci(capsys, "new", str(tmp_path / "x"), "--no-input", *args)
    assert code == ExitCode.USAGE
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_a_slug_derived_from_a_bad_directory_name_says_how_to_fix_it(tmp_path, capsys):
    code, _, err = hepci(capsys, "new", str(tmp_path / "2024-zmumu"), "--no-input")
    assert code == ExitCode.USAGE
    assert "invalid analysis_slug '2024_zmumu'" in err and "--set analysis_slug=" in err


def test_non_empty_directory_is_refused_and_untouched(tmp_path, capsys):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    code, _, err = hepci(capsys, "new", str(target), "--no-input")
    assert code == ExitCode.USAGE
    assert err.strip() == f"hepci: error: {target}: directory exists and is not empty"
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_a_file_in_the_way_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    code, _, err = hepci(capsys, "new", str(tmp_path / "f"), "--no-input")
    assert code == ExitCode.USAGE and "exists and is not a directory" in err


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("analysis_slug", "ok_slug"),
        ("analysis_slug", "_lead"),
        ("analysis_slug", "trail_"),
        ("analysis_slug", "Upper"),
        ("email", "a@b.ch"),
        ("email", "a@b"),
        ("python_version", "3.13"),
        ("python_version", "py3"),
        ("gitlab_namespace", "group/sub"),
        ("gitlab_namespace", "group//sub"),
    ],
)
def test_template_hook_agrees_with_the_service(tmp_path, key, value):
    """Plain cookiecutter (or cruft) users get the same validation from the hook."""
    service_ok = True
    try:
        scaffold.check_answers(scaffold.template_options(), {key: value})
    except scaffold.UsageError:
        service_ok = False
    try:
        cookiecutter(
            str(cookiecutter_dir()),
            no_input=True,
            output_dir=str(tmp_path),
            extra_context={key: value},
        )
        hook_ok = True
    except FailedHookException:
        hook_ok = False
    assert hook_ok == service_ok
    assert any(tmp_path.iterdir()) == hook_ok


def test_cruft_context_re_renders_the_same_tree(tmp_path, capsys):
    """What `cruft update` does: render again from the recorded answers → identical files."""
    code, _, err = hepci(
        capsys,
        "new",
        str(tmp_path / "orig"),
        "--no-input",
        "--set",
        "flavour=both",
        "--set",
        "workflow=reana-snakemake",
    )
    assert code == 0, err
    orig = tmp_path / "orig"
    record = json.loads((orig / ".cruft.json").read_text())
    context = {k: v for k, v in record["context"]["cookiecutter"].items() if not k.startswith("_")}
    out = tmp_path / "again"
    again = Path(
        cookiecutter(
            str(cookiecutter_dir()), no_input=True, output_dir=str(out), extra_context=context
        )
    )
    scaffold.prune_empty_dirs(again)
    orig_files = {p.relative_to(orig): p.read_bytes() for p in orig.rglob("*") if p.is_file()}
    again_files = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    orig_files.pop(Path(".cruft.json"))
    assert orig_files == again_files


def test_interactive_answers_are_used(tmp_path):
    """Without --no-input every question is asked; an empty line keeps the default."""
    from typer.testing import CliRunner

    from hepci.cli import app

    # analysis_name, analysis_slug, author, email, namespace, project, version, include style
    # (2 = project), flavour (2 = cmssw), workflow (4 = none), python, base image, license (2 =
    # MIT)
    answers = [
        "Z to mumu", "", "Ada Lovelace", "ada@cern.ch", "", "", "", "2", "2", "4", "", "", "2",
    ]  # fmt: skip
    result = CliRunner().invoke(
        app, ["new", str(tmp_path / "zmm")], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "zmm" / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert record["analysis_name"] == "Z to mumu" and record["analysis_slug"] == "z_to_mumu"
    assert record["flavour"] == "cmssw" and record["workflow"] == "none"
    assert record["license"] == "MIT" and record["author"] == "Ada Lovelace"
    assert record["include_style"] == "project"
    assert "project: hepci/hepci" in (tmp_path / "zmm" / ".gitlab-ci.yml").read_text()


def test_the_cli_does_not_import_cookiecutter_until_new_runs():
    import subprocess
    import sys

    code = "import sys, hepci.cli; print('cookiecutter' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_new_dot_fills_the_empty_current_directory(tmp_path, capsys, monkeypatch):
    here = tmp_path / "z-peak"
    here.mkdir()
    inode = here.stat().st_ino
    monkeypatch.chdir(here)
    code, _, err = hepci(capsys, "new", ".", "--no-input")
    assert code == 0, err
    assert here.stat().st_ino == inode  # the same directory, not a replacement
    assert (here / "src" / "z_peak" / "selection.py").is_file()
    assert not list(tmp_path.glob(".hepci-new-*"))
