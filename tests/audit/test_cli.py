"""``hepci audit`` end to end: formats, outputs, exit codes, config errors, imports, remote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hepci.cli import main


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "ana",
        {".gitlab-ci.yml": "job:\n  image: python\n  script: [make]\n", "README.md": "x\n"},
    )


def test_json_to_stdout_and_exit_1(repo, capsys):
    assert main(["audit", str(repo), "-f", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1
    ci010 = next(r for r in data["projects"][0]["results"] if r["id"] == "CI010")
    assert ci010["findings"] == [
        {
            "message": "job `job`: image `python` has no tag (means `latest`)",
            "path": ".gitlab-ci.yml",
            "line": 2,
            "fix": None,
        }
    ]


def test_fail_on_threshold(repo, capsys):
    assert main(["audit", str(repo), "--fail-on", "error"]) == 0
    assert main(["audit", str(repo), "--fail-on", "never", "-f", "json"]) == 0
    assert main(["audit", str(repo), "--select", "REPO001"]) == 0
    assert main(["audit", str(repo), "--select", "REPO002"]) == 1
    assert main(["audit", str(repo), "--select", "REPO002", "--ignore", "REPO"]) == 0
    assert "fail-on never → exit 0" not in capsys.readouterr().out


def test_several_formats_to_files(repo, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "audit", str(repo), "-f", "terminal",
            "-f", f"json={out}/a.json,sarif={out}/a.sarif",
            "--format", f"junit={out}/a.xml", "-f", f"md={out}/a.md",
            "-f", f"html={out}/a.html", "-f", f"codequality={out}/cq.json",
        ]
    )  # fmt: skip
    assert code == 1
    assert "Fix first:" in capsys.readouterr().out
    assert json.loads((out / "a.json").read_text())["schema_version"] == 1
    assert json.loads((out / "a.sarif").read_text())["version"] == "2.1.0"
    assert (out / "a.xml").read_text().startswith("<?xml")
    assert (out / "a.md").read_text().startswith("# hepci audit")
    assert (out / "a.html").read_text().startswith("<!DOCTYPE html>")
    assert isinstance(json.loads((out / "cq.json").read_text()), list)


def test_output_option(repo, tmp_path, capsys):
    target = tmp_path / "report.md"
    assert main(["audit", str(repo), "-f", "markdown", "-o", str(target)]) == 1
    assert capsys.readouterr().out == ""
    assert "## " in target.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "yaml"], "hepci: error: unknown format 'yaml'"),
        (["-f", "json,sarif"], "hepci: error: only one format can go to stdout"),
        (["-f", "json=a.json", "-o", "b.json"], "hepci: error: --output needs exactly one"),
        (["--fail-on", "sometimes"], "hepci: error: --fail-on must be one of"),
        (["--select", "CI,XY"], "hepci: error: --select XY: no audit rule matches"),
    ],
)
def test_usage_errors_exit_2(repo, capsys, args, message):
    assert main(["audit", str(repo), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_missing_directory_exits_2(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip().endswith("nope: no such directory")


def test_invalid_repo_config_exits_2_with_path_line(repo, capsys):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.hepci]\nselect = 5\n')
    assert main(["audit", str(repo)]) == 2
    assert (
        capsys.readouterr().err
        == "hepci: error: pyproject.toml:5: select: expected a list of rule ID prefixes\n"
    )


def test_repo_fail_on_and_cli_override(repo, capsys):
    (repo / ".hepci.toml").write_text('fail-on = "error"\n')
    assert main(["audit", str(repo)]) == 0
    assert "fail-on error → exit 0" in capsys.readouterr().out
    assert main(["audit", str(repo), "--fail-on", "warning"]) == 1


def test_group_config_file(repo, tmp_path, capsys):
    group = tmp_path / "group.toml"
    group.write_text('fail-on = "error"\n')
    assert main(["audit", str(repo), "--config", str(group)]) == 0
    group.write_text("fail-on = [\n")
    assert main(["audit", str(repo), "--config", str(group)]) == 2
    assert "group.toml:1: invalid TOML" in capsys.readouterr().err


def test_list_rules(capsys):
    assert main(["audit", "--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 44
    assert lines[0].startswith("CI001") and "[fix: cvmfs-tag]" in lines[13]


def test_rules_md_is_current():
    from hepci.audit.docs import RULES_MD, render_rules_markdown

    assert RULES_MD.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is stale: run `python -m hepci.audit.docs`"
    )


def test_local_audit_imports_no_remote_or_heavy_libraries(repo, tmp_path):
    env = {"HEPCI_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    probe = (
        "import sys\nfrom hepci.cli import main\n"
        "code = main(['audit', sys.argv[1], '-f', 'json', '-o', sys.argv[2]])\n"
        "heavy = {'gitlab', 'cookiecutter', 'jsonschema', 'jsonschema_rs', 'rich'}\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & heavy)\n"
        "print(code, ','.join(bad))\n"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe, str(repo), str(tmp_path / "r.json")],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    # cold cache: CI003 validates once, with jsonschema-rs only (the CI file is valid: the
    # slow jsonschema, 0.35 s to import, is only for the messages of an invalid one)
    assert run() == "1 jsonschema_rs"
    assert run() == "1"  # warm cache: no jsonschema, no rich, no python-gitlab, no cookiecutter


def test_remote_group_audit_on_the_double(
    gitlab_double, gitlab_world, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("GITLAB_TOKEN", gitlab_world.tokens.reader)
    out = tmp_path / "group.json"
    code = main(
        ["audit", "gitlab:hep", "--gitlab-url", gitlab_double.url, "--no-cache",
         "--no-progress", "-f", f"json={out}", "-f", "terminal", "--fail-on", "never"]
    )  # fmt: skip
    data = json.loads(out.read_text())
    state = gitlab_world.state
    specs = [p for p in gitlab_world.projects if p.access != "hidden"]
    audited = {p["name"]: p for p in data["projects"]}
    expected = [p for p in specs if not (p.archived or p.empty or p.access == "no-code")]
    assert set(audited) == {p.full_path for p in expected}
    skipped = {s["target"] for s in data["skipped_targets"]}
    assert skipped == {p.full_path for p in specs} - set(audited)
    assert any(p.archived for p in specs) and skipped
    assert code == (3 if data["failures"] else 0)
    for spec in expected:
        project = state.find_project(spec.full_path)
        head = project.repo.resolve(project.default_branch)
        has_ci = ".gitlab-ci.yml" in head.files
        ci001 = next(r for r in audited[spec.full_path]["results"] if r["id"] == "CI001")
        assert ci001["status"] == ("pass" if has_ci else "fail"), spec.full_path
        tst001 = next(r for r in audited[spec.full_path]["results"] if r["id"] == "TST001")
        assert tst001["skip_reason"] == "the source cannot list its files cheaply"
    assert "not audited" in capsys.readouterr().out or not data["failures"]


def test_several_local_targets(repo, tmp_path, capsys):
    other = make_repo(tmp_path / "other", {"README.md": "x\n", "LICENSE": "MIT\n"})
    assert main(["audit", str(repo), str(other), "-f", "markdown"]) == 1
    text = capsys.readouterr().out
    assert "| Project | Score |" in text
    assert f"## {repo}" in text and f"## {other}" in text
