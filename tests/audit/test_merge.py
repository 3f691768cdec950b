"""``hepci audit --merge``: shard reports of one sweep become the report of an unsharded run,
and anything but "every shard exactly once" is refused with one line and exit 2."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hepci.cli import main

SHARDS = 3
pytestmark = pytest.mark.slow  # four sweeps of the 60-project double (~8 s)


def _audit(double, world, tmp: Path, out: str, *extra: str) -> int:
    mp = pytest.MonkeyPatch()
    mp.setenv("GITLAB_TOKEN", world.tokens.reader)
    mp.setenv("HEPCI_CACHE_DIR", str(tmp / "cache"))
    mp.delenv("CI_NODE_INDEX", raising=False)
    mp.delenv("CI_NODE_TOTAL", raising=False)
    try:
        double.faults.clear()
        return main(
            ["audit", "gitlab:hep", "--gitlab-url", double.url, "--no-progress", "--no-cache",
             "--fail-on", "never", "-f", f"json={tmp / out}", *extra]
        )  # fmt: skip
    finally:
        mp.undo()


def _projects(path: Path) -> dict[str, dict]:
    data = json.loads(path.read_text())
    return {p["name"]: {k: v for k, v in p.items() if k != "seconds"} for p in data["projects"]}


@pytest.fixture(scope="module")
def sweep(gitlab_double_ro, gitlab_world, tmp_path_factory):
    """One unsharded run and the same group in three shards, on the same double."""
    tmp = tmp_path_factory.mktemp("merge")
    codes = [_audit(gitlab_double_ro, gitlab_world, tmp, "single.json")]
    for k in range(1, SHARDS + 1):
        codes.append(
            _audit(gitlab_double_ro, gitlab_world, tmp, f"shard-{k}.json", "--shard", f"{k}/3")
        )
    assert codes == [codes[0]] * (SHARDS + 1)
    return tmp


def _merge(tmp: Path, *reports: str, formats: str | None = None) -> int:
    formats = formats or f"json={tmp / 'merged.json'}"
    return main(["audit", "--merge", *[str(tmp / r) for r in reports], "-f", formats,
                 "--fail-on", "never"])  # fmt: skip


def test_merged_shards_equal_the_unsharded_run(sweep):
    shards = [f"shard-{k}.json" for k in range(1, SHARDS + 1)]
    sizes = [len(_projects(sweep / s)) for s in shards]
    assert all(sizes) and sum(sizes) == len(_projects(sweep / "single.json"))  # real shards
    outputs = ",".join(
        f"{fmt}={sweep / name}"
        for fmt, name in [("json", "merged.json"), ("html", "index.html"), ("sarif", "m.sarif"),
                          ("codequality", "cq.json"), ("junit", "junit.xml")]
    )  # fmt: skip
    assert _merge(sweep, *reversed(shards), formats=outputs) == 0
    single, merged = (json.loads((sweep / n).read_text()) for n in ("single.json", "merged.json"))
    assert list(_projects(sweep / "merged.json").items()) == list(
        _projects(sweep / "single.json").items()
    )  # project for project, in the same order
    for key in ("failures", "skipped_targets", "summary", "exit_code"):
        assert merged[key] == single[key], key
    assert merged["scope"]["shard"] is None and merged["scope"]["merged_from"] == SHARDS
    assert single["scope"]["targets"] == ["gitlab:hep"]
    # the other formats carry every project of the group
    sarif = json.loads((sweep / "m.sarif").read_text())
    assert [r["automationDetails"]["id"] for r in sarif["runs"]] == [
        f"hepci-audit/{name}" for name in _projects(sweep / "single.json")
    ]
    suites = ET.parse(sweep / "junit.xml").getroot().findall("testsuite")
    assert len(suites) == len(single["projects"]) + len(single["failures"])
    html = (sweep / "index.html").read_text()
    assert all(f">{name}</a>" in html for name in _projects(sweep / "single.json"))
    issues = json.loads((sweep / "cq.json").read_text())
    assert len(issues) == sum(
        len(r["findings"])
        for p in single["projects"]
        for r in p["results"]
        if r["status"] == "fail"
    )


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_missing_shard_is_refused(sweep, capsys):
    (sweep / "merged.json").unlink(missing_ok=True)
    assert _merge(sweep, "shard-1.json", "shard-3.json") == 2
    assert "missing shard(s) 2 of 3" in _one_error_line(capsys)
    assert not (sweep / "merged.json").exists()


def test_the_same_shard_twice_is_refused(sweep, capsys):
    assert _merge(sweep, "shard-1.json", "shard-2.json", "shard-2.json", "shard-3.json") == 2
    assert "overlapping shards: shard 2/3" in _one_error_line(capsys)


def test_a_project_in_two_shards_is_refused(sweep, capsys):
    data = json.loads((sweep / "shard-2.json").read_text())
    data["projects"].append(json.loads((sweep / "shard-1.json").read_text())["projects"][0])
    (sweep / "bad-2.json").write_text(json.dumps(data))
    assert _merge(sweep, "shard-1.json", "bad-2.json", "shard-3.json") == 2
    line = _one_error_line(capsys)
    assert "overlapping shards:" in line and "shard-1.json" in line and "bad-2.json" in line


def test_shards_of_different_sweeps_are_refused(sweep, capsys):
    data = json.loads((sweep / "shard-2.json").read_text())
    data["scope"]["shard"]["total"] = 4
    (sweep / "other-2.json").write_text(json.dumps(data))
    assert _merge(sweep, "shard-1.json", "other-2.json", "shard-3.json") == 2
    assert "not shards of one sweep" in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "not a JSON report"), ('{"schema_version": 1, "projects": []}', "no `scope`")],
)
def test_a_file_that_is_no_shard_report_is_refused(tmp_path, capsys, text, message):
    (tmp_path / "x.json").write_text(text)
    assert _merge(tmp_path, "x.json") == 2
    line = _one_error_line(capsys)
    assert message in line and "x.json" in line
