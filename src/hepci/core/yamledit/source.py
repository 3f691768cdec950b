"""Reading a YAML file safely: size cap, encoding detection (BOM, UTF-16), binary rejection.

The decoded text keeps its line endings; :class:`SourceText` remembers how to write it back
byte for byte (encoding, BOM), so a no-op edit changes zero bytes. Reading and the atomic
write are :mod:`hepci.core.safefs` (regular files only; temp files never predictable).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from hepci.core.safefs import read_regular, write_atomic
from hepci.errors import InputFileError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Limits",
    "SourceText",
    "decode_bytes",
    "read_source",
    "write_atomic",  # one atomic writer for the whole code base: hepci.core.safefs
]

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
    """Read and decode a regular file, checking its size before and while reading it."""
    data = read_regular(path, max_bytes)
    if data is None:
        raise InputFileError("no such file", path=path)
    return decode_bytes(data, path, max_bytes=max_bytes)
