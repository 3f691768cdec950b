"""Safe file access: the repository-root rule, bounded reads, atomic writes, appends.

Every file hepci opens goes through this module.

* **Root rule** (:func:`resolve_inside`): a path built from repository content (an
  ``include: local``, a CI file found in a directory, a file ``upgrade --write`` rewrites) must
  lie inside the repository root once ``..`` and every symbolic link on the way (file or
  directory) are resolved; else :class:`~hepci.errors.OutsideRootError`. A link that stays
  inside is read through and written through to its target: the link stays a link.
* **Reads** (:func:`read_regular`): regular files only (a FIFO or a device named
  ``.gitlab-ci.yml`` would block or never end), the size cap checked before and while reading.
* **Atomic writes** (:func:`write_atomic`, :func:`write_atomic_many`): the data goes to a temp
  file in the target's folder with an unpredictable name (``.NAME.XXXXXXXX.hepci-tmp``, created
  ``O_CREAT|O_EXCL|O_NOFOLLOW`` by :func:`tempfile.mkstemp`), gets the replaced file's owner,
  group and mode, is fsynced and renamed over the target. On any failure, Ctrl-C or SIGTERM
  the temp files are removed and the targets are untouched; a temp file left by SIGKILL keeps
  its recognisable name and is never reused. A target that is a symbolic link is refused
  (callers resolve repository paths first).
* **Outputs the user names** (:func:`write_output`: reports, docs): a device or FIFO (also
  behind a link, e.g. ``/dev/stdout``) is written as a stream; any other symbolic link is
  refused, because a checked-out repository can plant one where a CI job writes its report.
* **Logs** (:func:`open_private`: journals, ``--trace``; :func:`append_line`): regular files
  only, ``O_NOFOLLOW``, 0600 even when they existed; journals appended and fsynced per line.

Write failures (read-only folder, disk full, file too large) are
:class:`~hepci.errors.OutputError`: one line naming the file, exit code 2.
"""

# String paths and os.* on purpose: realpath/normpath/lstat semantics, file descriptors.
# ruff: noqa: PTH100, PTH105, PTH108, PTH114, PTH115, PTH116, PTH118

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hepci.errors import InputFileError, OutputError, OutsideRootError

TEMP_SUFFIX = ".hepci-tmp"
"""Every temp file hepci creates next to a target ends with this (``.NAME.XXXXXXXX.hepci-tmp``)."""

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_CHUNK = 1 << 20


# ---------------------------------------------------------------------------------- root rule
def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_inside(root: str | Path, path: str | Path) -> Path:
    """The real path of ``path`` (relative to ``root``, or absolute), which must stay inside.

    Raises :class:`OutsideRootError` naming ``path`` when ``..`` or a symbolic link anywhere
    along it leads outside the real path of ``root``. The result may not exist yet.
    """
    base = os.path.abspath(root)
    real_root = os.path.realpath(base)
    candidate = os.path.join(base, os.fspath(path))
    if not _is_within(os.path.normpath(candidate), base):
        raise OutsideRootError(f"leaves the repository root {base}", path=path)
    real = os.path.realpath(candidate)
    if not _is_within(real, real_root):
        link = _escaping_link(base, real_root, candidate)
        if link is None:
            raise OutsideRootError(f"resolves to {real}, outside the repository root", path=path)
        where, target = link
        shown = os.path.relpath(where, base)
        raise OutsideRootError(
            f"{shown} is a symbolic link to {target}, outside the repository root {base}",
            path=path,
        )
    return Path(real)


def _escaping_link(base: str, real_root: str, candidate: str) -> tuple[str, str] | None:
    """The first symbolic link along ``candidate`` whose target leaves the root."""
    current = base
    for part in Path(os.path.relpath(candidate, base)).parts:
        current = os.path.join(current, part)
        if os.path.islink(current) and not _is_within(os.path.realpath(current), real_root):
            return current, os.readlink(current)
    return None


def relative_inside(root: str | Path, path: str | Path) -> str:
    """``path`` as a POSIX path relative to ``root``, after :func:`resolve_inside`."""
    real = resolve_inside(root, path)
    return PurePosixPath(real.relative_to(os.path.realpath(root))).as_posix()


# -------------------------------------------------------------------------------------- reads
def _too_large(size: int, max_bytes: int, path: str | Path) -> InputFileError:
    return InputFileError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", path=path)


def read_regular(
    path: str | Path, max_bytes: int, *, shown: str | Path | None = None
) -> bytes | None:
    """The bytes of the regular file ``path``, ``None`` when it does not exist.

    A directory, device, FIFO or socket, a file over ``max_bytes`` (checked before and while
    reading) or an unreadable file raise :class:`InputFileError` naming ``shown`` (default:
    ``path``).
    """
    name = path if shown is None else shown
    try:
        fd = os.open(path, _READ_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        raise InputFileError("permission denied", path=name) from None
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}", path=name) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError("is a directory, not a file", path=name)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError("not a regular file (a device, FIFO or socket)", path=name)
        if info.st_size > max_bytes:
            raise _too_large(info.st_size, max_bytes, name)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(_CHUNK, max_bytes + 1 - total) or 1):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise _too_large(total, max_bytes, name)
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}", path=name) from None
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------- writes
def _cannot_write(exc: OSError, path: str | Path) -> OutputError:
    return OutputError(f"cannot write: {exc.strerror or exc}", path=path)


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        current = os.umask(0o022)
        os.umask(current)
    return current


def _existing(target: Path) -> os.stat_result | None:
    """The replaced file's status; a symbolic link or a non-regular file is refused."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise OutputError("is a symbolic link: not replacing it with a regular file", path=target)
    if not stat.S_ISREG(info.st_mode):
        raise OutputError("not a regular file: not replacing it", path=target)
    return info


def _copy_metadata(fd: int, old: os.stat_result | None, mode: int | None) -> None:
    """Owner, group and mode of the replaced file (or ``mode``/the umask for a new one)."""
    if old is None:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~_umask())
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:  # not root: keep at least the group when we may
        with contextlib.suppress(PermissionError):
            os.fchown(fd, -1, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after chown, which clears set-id bits


Data = bytes | Iterable[bytes]  # the whole content, or its pieces (a report written as a stream)


def _write_all(fd: int, data: Data) -> None:
    for piece in (data,) if isinstance(data, bytes) else data:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view) :]


def _stage(target: Path, data: Data, mode: int | None) -> str:
    """Write ``data`` to a fresh temp file next to ``target``; return its path."""
    old = _existing(target)
    name = target.name[:80]
    prefix = f"{name}." if name.startswith(".") else f".{name}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        _write_all(fd, data)
        _copy_metadata(fd, old, mode)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class _Staged:
    target: Path
    tmp: str | None = None


def write_atomic_many(items: Iterable[tuple[Path, Data]], *, mode: int | None = None) -> None:
    """Replace every target atomically: all temp files are written first, then renamed.

    A failure while staging (disk full, read-only folder, a symbolic link target) leaves
    every target untouched. ``mode`` applies to files that do not exist yet.
    """
    staged: list[_Staged] = []
    current: Path | None = None
    try:
        for target, data in items:
            current = target
            entry = _Staged(target)
            staged.append(entry)
            entry.tmp = _stage(target, data, mode)
        for entry in staged:
            current = entry.target
            os.replace(entry.tmp or "", entry.target)
            entry.tmp = None
        for folder in dict.fromkeys(entry.target.parent for entry in staged):
            _fsync_dir(folder)
    except BaseException as exc:
        for entry in staged:
            if entry.tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(entry.tmp)
        if isinstance(exc, OSError):
            raise _cannot_write(exc, current or "?") from None
        raise


def write_atomic(path: str | Path, data: Data, *, mode: int | None = None) -> None:
    """Replace the regular file ``path`` (or create it) atomically; see the module docstring."""
    write_atomic_many([(Path(path), data)], mode=mode)


def read_inside(
    root: str | Path, relpath: str, max_bytes: int, *, shown: str | Path | None = None
) -> bytes | None:
    """Read a repository file under the root rule: ``None`` when absent or a directory; a link
    leaving the root raises :class:`OutsideRootError`, the rest as :func:`read_regular`."""
    target = resolve_inside(root, relpath)
    if target.is_dir():
        return None
    return read_regular(target, max_bytes, shown=relpath if shown is None else shown)


def write_inside(root: str | Path, relpath: str, data: bytes) -> Path:
    """Write a repository file (the root rule applies; a link inside is written through)."""
    target = resolve_inside(root, relpath)
    write_atomic(target, data)
    return target


def write_inside_many(root: str | Path, items: Sequence[tuple[str, bytes]]) -> list[Path]:
    """:func:`write_inside` for several files, all or nothing while staging."""
    resolved = [(resolve_inside(root, relpath), data) for relpath, data in items]
    write_atomic_many(resolved)
    return [target for target, _ in resolved]


def remove_inside(root: str | Path, relpath: str) -> None:
    """Delete a repository file (a link is removed, never its target); absent is fine."""
    pure = PurePosixPath(relpath)
    folder = resolve_inside(root, str(pure.parent))
    try:
        (folder / pure.name).unlink(missing_ok=True)
    except OSError as exc:
        raise _cannot_write(exc, relpath) from None


def _stream(path: Path, data: Data) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _cannot_write(exc, path) from None


def write_output(path: str | Path, data: Data, *, mode: int | None = None) -> None:
    """Write a file the user named (a report, generated docs); see the module docstring.

    ``data`` may be an iterable of pieces: they are written as they come (a large report
    never has to be in memory at once)."""
    target = Path(path)
    try:
        info: os.stat_result | None = os.stat(target)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        _stream(target, data)  # /dev/null, /dev/stdout, a FIFO
        return
    if target.is_symlink():
        raise OutputError(
            f"is a symbolic link (to {os.readlink(target)}): hepci does not write through "
            "links; give the target path",
            path=path,
        )
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError("is a directory", path=path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(exc, target.parent) from None
    write_atomic(target, data, mode=mode)


def open_private(path: str | Path, *, truncate: bool = False, mode: int = 0o600) -> int:
    """A file descriptor to append to (or rewrite, ``truncate``) a log that may hold private
    data (a journal, a ``--trace``): created ``mode``, an existing file tightened to it; a
    symbolic link or anything but a regular file is refused, never written through."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    flags |= os.O_TRUNC if truncate else os.O_APPEND
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _cannot_write(exc, path) from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise OutputError("is a symbolic link: hepci does not write through it", path=path)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputError("not a regular file", path=path)
    try:
        fd = os.open(path, flags, mode)
    except OSError as exc:
        if Path(path).is_symlink():  # planted between the check and the open
            raise OutputError(
                "is a symbolic link: hepci does not write through it", path=path
            ) from None
        raise _cannot_write(exc, path) from None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
        if regular:
            os.fchmod(fd, mode)
            os.set_blocking(fd, True)
    except OSError as exc:
        os.close(fd)
        raise _cannot_write(exc, path) from None
    if not regular:  # replaced between the check and the open
        os.close(fd)
        raise OutputError("not a regular file", path=path)
    return fd


def append_line(path: str | Path, line: str, *, mode: int = 0o600) -> None:
    """Append one line to a log (a journal), fsynced; a symbolic link is refused."""
    fd = open_private(path, mode=mode)
    try:
        _write_all(fd, (line if line.endswith("\n") else line + "\n").encode("utf-8"))
        os.fsync(fd)
    except OSError as exc:
        raise _cannot_write(exc, path) from None
    finally:
        os.close(fd)


__all__ = [
    "TEMP_SUFFIX",
    "append_line",
    "open_private",
    "read_regular",
    "relative_inside",
    "remove_inside",
    "resolve_inside",
    "write_atomic",
    "write_atomic_many",
    "write_inside",
    "write_inside_many",
    "write_output",
]
