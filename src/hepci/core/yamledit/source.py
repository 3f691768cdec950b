"""Reading a YAML file safely: size cap, encoding detection (BOM, UTF-16), binary rejection.

The decoded text keeps its line endings; :class:`SourceText` remembers how to write it back
byte for byte (encoding, BOM), so a no-op edit changes zero bytes.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from hepci.errors import InputFileError

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
"""Files larger than this (2 MiB) are refused; configurable per call."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Limits:
    """Caps that protect against hostile input (huge files, YAML bombs, deep nesting)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = 100
    max_nodes: int = 500_000
    max_expanded_nodes: int = 1_000_000


@dataclass(frozen=True)
class SourceText:
    """Decoded file content plus what is needed to encode it back identically."""

    text: str
    encoding: str = "utf-8"
    bom: bytes = b""

    @property
    def newline(self) -> str:
        """The file's dominant line ending (``\\r\\n`` or ``\\n``)."""
        crlf = self.text.count("\r\n")
        return "\r\n" if crlf and crlf >= self.text.count("\n") - crlf else "\n"

    def encode(self, text: str | None = None) -> bytes:
        """Bytes for ``text`` (default: the original) in the original encoding and BOM."""
        return self.bom + (self.text if text is None else text).encode(self.encoding)


def decode_bytes(
    data: bytes, path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> SourceText:
    """Decode file bytes, or raise :class:`InputFileError` naming the file (and line)."""
    if len(data) > max_bytes:
        raise InputFileError(
            f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit", path=path
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding, bom, path)
    if b"\x00" in data:
        raise InputFileError("binary file (contains NUL bytes), not YAML text", path=path)
    return _decode(data, "utf-8", b"", path)


def _decode(body: bytes, encoding: str, bom: bytes, path: str | Path) -> SourceText:
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputFileError(
            f"invalid {encoding.upper()} (byte 0x{body[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
        ) from None
    return SourceText(text=text, encoding=encoding, bom=bom)


def read_source(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceText:
    """Read and decode a file, checking its size before reading it."""
    file = Path(path)
    try:
        if file.is_dir():
            raise InputFileError("is a directory, not a file", path=path)
        size = file.stat().st_size
        if size > max_bytes:
            raise InputFileError(
                f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", path=path
            )
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputFileError("no such file", path=path) from None
    except PermissionError:
        raise InputFileError("permission denied", path=path) from None
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}", path=path) from None
    return decode_bytes(data, path, max_bytes=max_bytes)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same folder, then rename)."""
    import os
    import tempfile

    target = Path(path)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".hepci-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
