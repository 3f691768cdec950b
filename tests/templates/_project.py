"""Throwaway analysis repositories run by gitlab-ci-local, with GitLab's variables per scenario."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO_ROOT / "ci-templates"
ORIGIN_URL = "https://gitlab.example.org/physics/analysis.git"
GCL = shutil.which("gitlab-ci-local")
PREDEFINED = ",".join(
    [
        "CI_REGISTRY",
        "CI_REGISTRY_IMAGE",
        "CI_REGISTRY_USER",
        "CI_REGISTRY_PASSWORD",
        "CI_PROJECT_URL",
        "CI_PIPELINE_SOURCE",
        "CI_COMMIT_TAG",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_REF_SLUG",
        "CI_MERGE_REQUEST_IID",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CI_COMMIT_BRANCH",
        "CI_DEFAULT_BRANCH",
    ]
)


def job_shell_level() -> str:
    """SHLVL for gitlab-ci-local, so that its job shells never read ~/.bashrc.

    gitlab-ci-local feeds each job to `bash` through a socket; Debian's bash then sources
    ~/.bashrc when SHLVL is below 2 (its SSH_SOURCE_BASHRC rule), and a `pyenv init` there puts
    pyenv's shims before the PATH a test gave the job (seen when tests ran from a background
    shell: the jobs' `python` was the host's, not the test's virtualenv).
    """
    return str(max(2, int(os.environ.get("SHLVL") or 0)))


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; fail the test on error; return stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "CI Test",
        "GIT_AUTHOR_EMAIL": "ci@example.org",
        "GIT_COMMITTER_NAME": "CI Test",
        "GIT_COMMITTER_EMAIL": "ci@example.org",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


# GitLab's predefined variables for each pipeline context (the ones our rules read).
def scenario(name: str, branch: str = "feature") -> tuple[dict[str, str], list[str]]:
    """(variables to set, variables to unset) for a pipeline context."""
    if name == "branch":
        return {"CI_PIPELINE_SOURCE": "push"}, []
    if name == "mr":
        return {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "7",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": branch,
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        }, ["CI_COMMIT_BRANCH"]
    if name == "default":
        return {"CI_PIPELINE_SOURCE": "push"}, []
    if name == "tag":
        return {
            "CI_PIPELINE_SOURCE": "push",
            "CI_COMMIT_TAG": "1.0.0",
            "CI_COMMIT_REF_NAME": "1.0.0",
            "CI_COMMIT_REF_SLUG": "1-0-0",
        }, ["CI_COMMIT_BRANCH"]
    if name == "schedule":
        return {"CI_PIPELINE_SOURCE": "schedule"}, []
    if name == "web":
        return {"CI_PIPELINE_SOURCE": "web"}, []
    raise ValueError(name)


@dataclass
class Project:
    """A git repository with an `origin` whose default branch is `main`."""

    path: Path
    home: Path
    variables: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, path: Path, files: dict[str, str], templates: tuple[str, ...] = ()) -> Project:
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        for name in templates:
            (path / "ci-templates").mkdir(exist_ok=True)
            shutil.copy(TEMPLATES_DIR / f"{name}.yml", path / "ci-templates" / f"{name}.yml")
        project = cls(path=path, home=path.parent / f"{path.name}-gcl-home")
        project.home.mkdir()
        project.write(files)
        project.commit("initial analysis")
        git(path, "remote", "add", "origin", ORIGIN_URL)
        git(path, "update-ref", "refs/remotes/origin/main", "main")
        git(path, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
        return project

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)

    def commit(self, message: str) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def branch(self, name: str) -> None:
        git(self.path, "checkout", "-q", "-B", name)

    def tag(self, name: str) -> None:
        git(self.path, "tag", "-f", name)

    def gcl(
        self,
        *args: str,
        context: str = "branch",
        extra: dict[str, str] | None = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run gitlab-ci-local in the project with the variables of a pipeline context."""
        assert GCL is not None, "gitlab-ci-local is not installed"
        branch = git(self.path, "rev-parse", "--abbrev-ref", "HEAD")
        set_vars, unset = scenario(context, branch)
        values = {**self.variables, **set_vars, **(extra or {})}
        varfile = self.home / "variables.json"
        cmd = [
            GCL,
            "--home",
            str(self.home),
            "--variables-file",
            str(varfile),
            "--no-color",
            "--max-job-name-padding",
            "0",
            "--force-shell-executor",
            # GitLab runs `tags: []` (a template's default) but its editor schema wants one
            # item: firecow/gitlab-ci-local#1503.
            "--ignore-schema-paths",
            "#/definitions/tags/minItems",
        ]
        varfile.write_text(json.dumps({}))
        for key, value in values.items():
            cmd += ["--variable", f"{key}={value}"]
        for key in unset:
            cmd += ["--unset-variable", key]
        cmd += list(args)
        done = subprocess.run(
            cmd,
            check=False,
            cwd=self.path,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={
                **os.environ,
                "NO_COLOR": "1",
                "GCL_IGNORE_PREDEFINED_VARS": PREDEFINED,
                # gitlab-ci-local's own PATH too: its shell jobs start from it
                **({"PATH": values["PATH"]} if "PATH" in values else {}),
                "SHLVL": job_shell_level(),
            },
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"gitlab-ci-local {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def jobs(self, context: str, extra: dict[str, str] | None = None) -> set[str]:
        """Names of the jobs a pipeline in this context would contain (`--list-json`)."""
        out = self.gcl("--list-json", context=context, extra=extra).stdout
        start = out.index("[")
        listed = json.loads(out[start:])
        return {job["name"] for job in listed if job.get("when") != "never"}

    def artifact(self, job: str, rel: str) -> Path:
        return self.path / ".gitlab-ci-local" / "artifacts" / job / rel
