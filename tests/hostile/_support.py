"""Helpers for the hostile suite: build a hostile tree, run ``hepci`` bounded in time and memory.

Every hostile test runs the real CLI in a child process (``python -m hepci``) with a wall-clock
timeout and an address-space cap, so a regression that hangs or balloons fails the test instead
of the machine. In-process tests get the suite's default ``timeout`` mark from ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

DEFAULT_TIMEOUT = 60.0
"""Seconds a child ``hepci`` may run before the test fails."""

DEFAULT_MEMORY = 1024 * 1024 * 1024
"""Bytes of address space a child ``hepci`` may map (RLIMIT_AS)."""

Tree = Mapping[str, "str | bytes"]


def make_tree(root: Path, files: Tree) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; return ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@dataclass(frozen=True)
class Run:
    """What a child ``hepci`` did."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def limit_memory(max_bytes: int = DEFAULT_MEMORY) -> None:
    """For ``preexec_fn``: cap the child's address space (a runaway fails with MemoryError)."""
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def hepci_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without GitLab credentials, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITLAB_", "CI_JOB_TOKEN", "CI_SERVER", "PYTHON_GITLAB"))
    }
    env.update(extra or {})
    return env


def obey_file_modes() -> list[str]:
    """A command prefix under which root obeys file modes (``[]`` when not root).

    Root reads a 0000 file and writes into a 0555 folder; with CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH dropped from the bounding set (``setpriv``) it cannot.
    """
    if os.geteuid() != 0:
        return []
    tool = shutil.which("setpriv")
    if tool is None:
        pytest.skip("running as root without setpriv (util-linux): file modes cannot bite")
    return [tool, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def _child_limits(memory: int, file_size: int | None) -> None:
    limit_memory(memory)
    if file_size is not None:  # writes past it fail with EFBIG instead of killing the child
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))


def hepci_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hepci", *args]


def run_hepci(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory: int = DEFAULT_MEMORY,
    stdin: str | None = None,
    obey_modes: bool = False,
    file_size: int | None = None,
    stdout: Path | None = None,
) -> Run:
    """Run ``python -m hepci ARGS`` bounded in time and memory; ``env`` adds to a clean env.

    ``obey_modes``: file permissions apply even when the tests run as root. ``file_size``:
    RLIMIT_FSIZE in bytes. ``stdout``: a file (``/dev/full``) instead of a captured pipe.
    """
    prefix = obey_file_modes() if obey_modes else []
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(stdout.open("w")) if stdout is not None else subprocess.PIPE
        done = subprocess.run(
            [*prefix, *hepci_command(*args)],
            cwd=cwd,
            env=hepci_env(env),
            input=stdin if stdin is not None else "",
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            preexec_fn=lambda: _child_limits(memory, file_size),
            check=False,
        )
    return Run(done.returncode, done.stdout or "", done.stderr)


@contextlib.contextmanager
def tiny_filesystem(mountpoint: Path, size: str = "64k") -> Iterator[Path]:
    """A tmpfs of ``size`` at ``mountpoint`` (a real full disk: ENOSPC); skips without root."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    tool = shutil.which("mount")
    if os.geteuid() != 0 or tool is None:
        pytest.skip("mounting a tiny tmpfs needs root")
    done = subprocess.run(
        [tool, "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, check=False)


def fill(directory: Path) -> None:
    """Fill the file system holding ``directory`` until it is full."""
    with contextlib.suppress(OSError), (directory / "filler").open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


def tree_snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under ``root``: links as their target, files as their bytes."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_file():
            found[rel] = ("file", path.read_bytes())
    return found


def temp_leftovers(folders: Sequence[Path]) -> list[Path]:
    """Temp files hepci left in ``folders`` (any ``*.hepci-tmp`` or ``*.tmp``)."""
    return sorted(
        p for f in folders for p in f.iterdir() if p.name.endswith((".hepci-tmp", ".tmp"))
    )


def one_error_line(err: str) -> str:
    """The single non-blank stderr line, which must be a ``hepci: error:`` line."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("hepci: error: "), err
    return lines[0]
