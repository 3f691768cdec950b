"""Auth precedence, secrets, shards and target parsing (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepci.errors import ConfigError, UsageError
from hepci.gitlab.settings import Shard, default_cache_dir, resolve_settings
from hepci.gitlab.sources import in_shard, parse_target

CFG = """\
[global]
default = work

[work]
url = https://cfg.example.org
private_token = cfg-token-123

[ci]
url = https://ci.example.org
job_token = cfg-job-456
"""


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "python-gitlab.cfg"
    path.write_text(CFG, encoding="utf-8")
    return str(path)


ENV = {
    "GITLAB_URL": "https://env.example.org",
    "GITLAB_TOKEN": "env-token-789",
    "CI_SERVER_URL": "https://ci-server.example.org",
    "CI_JOB_TOKEN": "ci-job-000",
}


def test_options_beat_everything(config_file: str) -> None:
    s = resolve_settings(
        url="https://opt.example.org", token="opt-token", gitlab_name="work",
        env=ENV, config_files=[config_file],
    )  # fmt: skip
    assert (s.url, s.token.reveal(), s.token_kind) == (
        "https://opt.example.org",
        "opt-token",
        "private",
    )


def test_config_section_beats_environment(config_file: str) -> None:
    s = resolve_settings(gitlab_name="work", env=ENV, config_files=[config_file])
    assert (s.url, s.token.reveal()) == ("https://cfg.example.org", "cfg-token-123")
    job = resolve_settings(gitlab_name="ci", env=ENV, config_files=[config_file])
    assert (job.token.reveal(), job.token_kind) == ("cfg-job-456", "job")


def test_gitlab_env_beats_ci_env() -> None:
    s = resolve_settings(env=ENV)
    assert (s.url, s.token.reveal(), s.token_kind) == (
        "https://env.example.org", "env-token-789", "private",
    )  # fmt: skip


def test_ci_job_token_is_the_last_resort() -> None:
    ci_only = {k: v for k, v in ENV.items() if k.startswith("CI_")}
    s = resolve_settings(env=ci_only)
    assert (s.url, s.token.reveal(), s.token_kind) == (
        "https://ci-server.example.org", "ci-job-000", "job",
    )  # fmt: skip
    assert resolve_settings(env={}).url == "https://gitlab.com"
    assert not resolve_settings(env={}).token


def test_missing_section_and_bad_url_are_one_line_errors(config_file: str) -> None:
    with pytest.raises(ConfigError, match=r"no \[nope\] section"):
        resolve_settings(gitlab_name="nope", env={}, config_files=[config_file])
    with pytest.raises(UsageError, match="http"):
        resolve_settings(url="ftp://x", env={})


def test_secret_never_shows_in_repr_or_str() -> None:
    s = resolve_settings(url="https://x.org", token="super-secret-token", env={})
    for text in (repr(s), str(s), f"{s}", repr(s.token), str(s.token), f"{s.token}"):
        assert "super-secret-token" not in text
    assert s.token.reveal() == "super-secret-token"


def test_shard_parse_and_env() -> None:
    assert Shard.parse("2/8") == Shard(2, 8)
    for bad in ("0/3", "4/3", "x/2", "3"):
        with pytest.raises(UsageError):
            Shard.parse(bad)
    assert Shard.from_env({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "5"}) == Shard(3, 5)
    assert Shard.from_env({}) is None


def test_shards_partition_any_set_of_paths_exactly() -> None:
    paths = [f"group/sub{i % 7}/project-{i}" for i in range(500)]
    for total in (1, 2, 3, 8):
        owners = [[k for k in range(1, total + 1) if in_shard(p, Shard(k, total))] for p in paths]
        assert all(len(o) == 1 for o in owners)
        if total > 1:  # a stable hash spreads them: no shard is empty or takes nearly all
            sizes = [sum(1 for o in owners if o == [k]) for k in range(1, total + 1)]
            assert min(sizes) > len(paths) / total / 2


def test_parse_target_forms() -> None:
    assert parse_target("gitlab:hep/analyses").path == "hep/analyses"
    t = parse_target("https://gitlab.cern.ch/hep/analyses/higgs.git")
    assert (t.url, t.path) == ("https://gitlab.cern.ch", "hep/analyses/higgs")
    t = parse_target("gitlab:https://gl.example.org:8443/g/p/-/tree/main")
    assert (t.url, t.path) == ("https://gl.example.org:8443", "g/p")
    assert parse_target("https://gitlab.com/groups/hep/sub").path == "hep/sub"
    for bad in ("gitlab:", "gitlab:a//b", "gitlab:../x"):
        with pytest.raises(UsageError):
            parse_target(bad)


def test_default_cache_dir() -> None:
    assert default_cache_dir({"HEPCI_CACHE_DIR": "/tmp/c"}) == Path("/tmp/c")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/hepci")
