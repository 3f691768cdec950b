"""Item 6: atomic writes cannot be hijacked, keep owner/group/mode, and clean up when killed.

The writer is stopped for real: a child ``hepci upgrade --write`` whose ``os.fsync`` (called
once the temp file holds the data, before the rename) announces itself and waits, so the parent
signals it exactly mid-write.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hepci.cli import main
from hostile._support import hepci_env, limit_memory, make_tree

CI = "job:\n  type: test\n  script: [echo]\n"
UPGRADED = "job:\n  stage: test\n  script: [echo]\n"

STOPPED_WRITER = """
import os, signal, sys, time
# Ctrl-C as in a terminal: a job started in the background (CI runners, `cmd &`) inherits
# SIGINT ignored, and Python then keeps ignoring it (this test timed out there)
signal.signal(signal.SIGINT, signal.default_int_handler)
def fsync(fd):
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    time.sleep(60)
os.fsync = fsync
from hepci.cli import main
raise SystemExit(main(["upgrade", "--write", sys.argv[1]]))
"""


def _repo(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "repo", {".gitlab-ci.yml": CI})


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".hepci-tmp"))


def _stop_mid_write(repo: Path, signum: int) -> subprocess.CompletedProcess[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", STOPPED_WRITER, str(repo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=hepci_env(),
        preexec_fn=limit_memory,  # noqa: PLW1509 - the child only sets a limit
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"  # the temp file is written, not renamed
        assert _leftovers(repo), "the writer should have a temp file open now"
        child.send_signal(signum)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait()
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_sigterm_and_sigint_mid_write_remove_the_temp_file(
    tmp_path: Path, signum: int, code: int, word: str
) -> None:
    repo = _repo(tmp_path)
    done = _stop_mid_write(repo, signum)
    assert done.returncode == code, done.stderr
    assert done.stderr.strip().splitlines() == [f"hepci: {word}"]
    assert _leftovers(repo) == []
    assert (repo / ".gitlab-ci.yml").read_text() == CI  # untouched


def test_after_sigkill_the_leftover_is_recognisable_and_never_reused(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    done = _stop_mid_write(repo, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL
    [leftover] = _leftovers(repo)
    assert leftover.startswith(".gitlab-ci.yml.") and leftover.endswith(".hepci-tmp")
    assert len(leftover) >= len(".gitlab-ci.yml.XXXXXXXX.hepci-tmp")  # a random part
    assert (repo / ".gitlab-ci.yml").read_text() == CI  # the target was never half-written
    stale = (repo / leftover).read_bytes()
    assert main(["upgrade", "--write", str(repo)]) == 0
    assert (repo / ".gitlab-ci.yml").read_text() == UPGRADED
    assert _leftovers(repo) == [leftover] and (repo / leftover).read_bytes() == stale


def test_a_planted_link_at_the_old_temp_name_is_never_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".audit.json.hepci-tmp").symlink_to(victim)  # the name hepci used to use
    (repo / ".gitlab-ci.yml.hepci-tmp").symlink_to(victim)
    assert main(["audit", str(repo), "-f", f"json={out / 'audit.json'}"]) == 1
    assert main(["upgrade", "--write", str(repo)]) == 0
    capsys.readouterr()
    assert victim.read_text() == "precious\n"
    assert (out / "audit.json").read_text().startswith("{")
    assert (repo / ".gitlab-ci.yml").read_text() == UPGRADED


def _own(path: Path, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid)
    path.chmod(mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_owner_group_and_mode_of_replaced_files_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    ci = repo / ".gitlab-ci.yml"
    report = tmp_path / "audit.json"
    report.write_text("{}")
    _own(ci, 1234, 2345, 0o640)
    _own(report, 4321, 5432, 0o604)
    assert main(["upgrade", "--write", str(repo)]) == 0
    assert main(["audit", str(repo), "-f", f"json={report}"]) == 1
    capsys.readouterr()
    for path, (uid, gid, mode) in {ci: (1234, 2345, 0o640), report: (4321, 5432, 0o604)}.items():
        info = path.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (uid, gid, mode), path
    assert ci.read_text() == UPGRADED


def test_new_report_files_follow_the_umask_and_leave_no_temp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    old = os.umask(0o027)
    try:
        assert main(["audit", str(repo), "-f", f"json={tmp_path / 'r' / 'audit.json'}"]) == 1
    finally:
        os.umask(old)
    capsys.readouterr()
    assert stat.S_IMODE((tmp_path / "r" / "audit.json").stat().st_mode) == 0o640
    assert _leftovers(tmp_path / "r") == []


def test_a_report_path_that_is_a_link_is_refused_and_its_target_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checked-out repository can plant ``gl-code-quality.json -> ~/.bashrc``."""
    repo = _repo(tmp_path)
    victim = tmp_path / "bashrc"
    victim.write_text("export PATH\n")
    (repo / "gl-code-quality.json").symlink_to(victim)
    code = main(["audit", str(repo), "-f", f"codequality={repo / 'gl-code-quality.json'}"])
    err = capsys.readouterr().err
    assert code == 2
    assert [line for line in err.splitlines() if line.startswith("hepci: error:")] == [
        f"hepci: error: {repo / 'gl-code-quality.json'}: is a symbolic link (to {victim}): "
        "hepci does not write through links; give the target path"
    ]
    assert victim.read_text() == "export PATH\n"
    assert (repo / "gl-code-quality.json").is_symlink()


def _unblock_fifo_reader(fifo: Path) -> None:
    """Open ``fifo`` for writing without blocking: a blocking open would hang for ever if the
    reader had already seen end-of-file between our check and the open."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as error:  # ENXIO: nobody reads it any more
        if error.errno != errno.ENXIO:
            raise


def test_a_fifo_or_device_is_written_as_a_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-f json=/dev/stdout`` and FIFOs work; tested on a private FIFO: the old code replaced
    such a path by a regular file (as root it would replace /dev/null itself)."""
    repo = _repo(tmp_path)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        code = main(["audit", str(repo), "-f", f"json={fifo}"])
    finally:
        reader.join(10)
        if reader.is_alive():  # the writer never opened it: unblock the waiting reader
            _unblock_fifo_reader(fifo)
            reader.join(10)
    assert code == 1
    assert "hepci: error" not in capsys.readouterr().err
    assert fifo.is_fifo()  # not replaced by a regular file
    assert received and received[0].startswith(b"{")
