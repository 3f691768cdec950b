"""The sweep loop never stops on one target, and reports progress for each."""

from __future__ import annotations

import io

from hepci.audit.config import AuditConfig
from hepci.audit.progress import RichProgress, audit_many, progress_for
from hepci.audit.remote import ProgressAdapter
from hepci.core.repo import MemoryRepo
from hepci.errors import RemoteError


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total: int | None) -> None:
        self.events.append(("start", total))

    def set_total(self, total: int) -> None:
        self.events.append(("total", total))

    def advance(self, target: str, ok: bool = True) -> None:
        self.events.append(("advance", (target, ok)))

    def finish(self) -> None:
        self.events.append(("finish", None))


def test_failures_are_recorded_and_the_sweep_goes_on():
    def broken() -> MemoryRepo:
        raise RemoteError("403 Forbidden", target="grp/b", status=403)

    def buggy() -> MemoryRepo:
        raise KeyError("boom")

    targets = [
        ("grp/a", lambda: MemoryRepo("grp/a", {"README.md": b"x"})),
        ("grp/b", broken),
        ("grp/c", buggy),
        ("grp/d", lambda: MemoryRepo("grp/d", {})),
    ]
    recorder = Recorder()
    run = audit_many(targets, AuditConfig(), recorder, total=4)
    assert [r.name for r in run.reports] == ["grp/a", "grp/d"]
    assert [(f.target, f.message, f.exit_code) for f in run.failures] == [
        ("grp/b", "grp/b: 403 Forbidden", 3),
        ("grp/c", "internal error: KeyError: 'boom'", 4),
    ]
    assert recorder.events == [
        ("start", 4),
        ("advance", ("grp/a", True)),
        ("advance", ("grp/b", False)),
        ("advance", ("grp/c", False)),
        ("advance", ("grp/d", True)),
        ("finish", None),
    ]
    assert run.exit_code() == 3


def test_adapter_translates_done_total_calls():
    recorder = Recorder()
    adapter = ProgressAdapter(recorder)
    adapter(1, 3, "a")
    adapter(3, 3, "c")  # two done at once (concurrent fetches)
    adapter.close()
    assert recorder.events == [
        ("start", 3),
        ("advance", ("a", True)),
        ("advance", ("c", True)),
        ("advance", ("c", True)),
        ("finish", None),
    ]


def test_adapter_passes_on_a_total_that_grows_while_the_group_is_listed():
    recorder = Recorder()
    adapter = ProgressAdapter(recorder)
    adapter(1, 100, "a")
    adapter(2, 100, "b")
    adapter(3, 250, "c")  # the next pages of the listing came in
    adapter.close()
    assert recorder.events == [
        ("start", 100),
        ("advance", ("a", True)),
        ("advance", ("b", True)),
        ("total", 250),
        ("advance", ("c", True)),
        ("finish", None),
    ]


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_bar_shows_counts_and_eta():
    stream = FakeTty()
    bar = progress_for(stream)
    assert isinstance(bar, RichProgress)
    bar.start(1)
    bar.advance("grp/a")
    bar.set_total(2)
    bar.advance("grp/b", ok=False)
    bar.finish()
    text = stream.getvalue()
    assert "2/2" in text and "1 failed" in text and "ETA" in text
    assert type(progress_for(io.StringIO())).__name__ == "NullProgress"
