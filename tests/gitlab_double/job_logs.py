"""Job logs as GitLab serves them in GraphQL: ``CiJobTrace.htmlSummary(lastLines:)``.

GitLab (``Types::Ci::JobTraceType``) reads the raw log's tail, ``lastLines`` clamped to
1..100 lines and at most 16 KiB (``Gitlab::Ci::Trace::Stream#raw(last_lines:, max_size:)``:
lines read backwards from the end within that many bytes, the first one possibly cut), and
renders it with ``Gitlab::Ci::Ansi2html``: text goes into ``<span class="…">`` elements (one
per run of the same colour and style, the classes ``term-fg-…``, ``term-bold``, ``section``,
``s_<name>``), every newline becomes ``<br/>``, ``section_start``/``section_end`` markers become
``<div class="section-start …">``/``<div class="section-end" …>``, escape sequences other
than colours are dropped, and only ``<`` is escaped (``&lt;``). This is a port of that
converter, reduced to what a log holds (colours 30-37/90-97/39, bold, reset, sections).
"""

from __future__ import annotations

import re

MAX_LINES, MAX_BYTES = 100, 16 * 1024
SECTION = re.compile(
    r"section_(start|end):(\d+)(?:\[(?:\w+=\w+,?)+\])?:([a-zA-Z0-9_.-]+)\r\x1b\[0K"
)
SEQUENCE = re.compile(r"\x1b([@-_])(.*?)([@-~])")
COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def tail(raw: bytes, last_lines: int | None) -> str:
    """``Stream#raw(last_lines:, max_size: 16 KiB)`` with ``lastLines`` clamped as GitLab does."""
    count = min(max(int(last_lines if last_lines is not None else 10), 1), MAX_LINES)
    window = raw[-MAX_BYTES:]
    lines = [line + b"\n" for line in window.split(b"\n")]  # "\n" only: "\r" is in markers
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    return b"".join(lines[-count:]).decode("utf-8", errors="replace")


class _Converter:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.open = 0
        self.fg: str | None = None
        self.bold = False
        self.sections: list[str] = []
        self.lineno_in_section = 0

    def _close(self) -> None:
        self.out.append("</span>" * self.open)
        self.open = 0

    def _open_tag(self) -> None:
        classes = []
        if self.fg is not None:
            classes.append(self.fg.replace("term-fg-", "term-fg-l-") if self.bold else self.fg)
        if self.bold:
            classes.append("term-bold")
        if self.sections:
            classes.append("section")
            if self.lineno_in_section == 0:
                classes.append("section-header")
            classes += [f"s_{s}" for s in self.sections]
        self.out.append(f'<span class="{" ".join(classes)}">')
        self.open += 1

    def _write(self, text: str) -> None:
        if self.open == 0:
            self._open_tag()
        self.out.append(text)

    def _sgr(self, params: str) -> None:
        self._close()
        for code in params.split(";") if params else ["0"]:
            if code in ("", "0"):
                self.fg, self.bold = None, False
            elif code == "1":
                self.bold = True
            elif code in ("21", "22"):
                self.bold = False
            elif code in ("39", "99"):
                self.fg = None
            elif code.isdigit() and (30 <= int(code) <= 37 or 90 <= int(code) <= 97):
                light = "l-" if int(code) >= 90 else ""
                self.fg = f"term-fg-{light}{COLOURS[int(code) % 10]}"

    def _section(self, match: re.Match[str]) -> None:
        action, stamp, name = match.groups()
        name = re.sub(r"[^a-z0-9]", "-", name.lower())
        if action == "start" and name not in self.sections:
            self.sections.append(name)
            self._close()
            self.out.append(
                f'<div class="section-start fa fa-caret-down open" id="id_{name}" '
                f'data-action="start" data-timestamp="{stamp}" '
                f'data-section="{" ".join(self.sections)}"></div>'
            )
            self.lineno_in_section = 0
        elif action == "end" and name in self.sections:
            while self.sections:
                self._close()
                self.out.append(
                    f'<div class="section-end" data-action="end" data-timestamp="{stamp}" '
                    f'data-section="{" ".join(self.sections)}"></div>'
                )
                if self.sections.pop() == name:
                    break

    def _newline(self) -> None:
        self._write("<br/>")
        if self.sections:
            self._close()
            names = " ".join(f"s_{s}" for s in self.sections)
            self.out.append(f'<span class="section {names} line"></span>')
        self.lineno_in_section += 1
        self._close()
        self._open_tag()

    def convert(self, text: str) -> str:
        pos = 0
        while pos < len(text):
            section = SECTION.match(text, pos)
            sequence = SEQUENCE.match(text, pos) if section is None else None
            if section is not None:
                self._section(section)
                pos = section.end()
            elif sequence is not None:
                if sequence.group(1) == "[" and sequence.group(3) == "m":
                    self._sgr(sequence.group(2))
                pos = sequence.end()
            elif text.startswith("\r\n", pos) or text[pos] == "\n":
                self._newline()
                pos += 2 if text[pos] == "\r" else 1
            else:
                self._write("&lt;" if text[pos] == "<" else text[pos])
                pos += 1
        self._close()
        return "".join(self.out)


def html_summary(raw: bytes, last_lines: int | None = 10) -> str:
    """What ``CiJobTrace.htmlSummary(lastLines:)`` returns for a job whose log is ``raw``."""
    return _Converter().convert(tail(raw, last_lines))
