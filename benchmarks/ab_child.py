"""One side of ``bench_audit.py --ab``, in a new process:
``ab_child.py today|warm|baseline URL TOKEN CACHE_DIR [RULE,RULE,...]``.

``today``: the ``hepci audit gitlab:hep`` path (findings cache, report spool) on an empty
``CACHE_DIR``, with every rule or only the listed ones (``select``: the baseline's rule set,
for a like-for-like engine comparison); ``warm``: the same on the cache ``today`` left (the
next day's run of an unchanged group, in a new process as ``hepci`` runs). ``baseline``:
the group audit as it ran at the ``--baseline`` commit (``audit_remote`` with ``audit_repo`` on
every project), cold; ``bench_audit.py`` puts that commit's ``src/`` first on ``PYTHONPATH``,
so only APIs both have are used here. Prints one JSON line: wall and CPU seconds of this
process around the call (imports of the modules the call uses excluded on both sides;
first-use costs such as compiling schemas included, as in every ``hepci`` run).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def today(url: str, token: str, cache: str, select: tuple[str, ...]) -> dict[str, Any]:
    from hepci.audit.config import AuditConfig
    from hepci.audit.progress import progress_for
    from hepci.audit.remote import audit_remote_targets

    # python-gitlab (0.4 s to import): the sweep imports it lazily; the baseline side imports
    # it before its timer, so this side does too
    from hepci.gitlab import sources  # noqa: F401

    options = {"url": url, "token": token, "concurrency": 4, "batch_size": 25, "cache_dir": cache}

    def sweep() -> Any:
        config = AuditConfig(select=select)
        run = audit_remote_targets(["gitlab:hep"], config, progress_for(False), options)
        run.close()
        return run

    run, wall, cpu = _timed(sweep)
    return {"audited": len(run.reports), "wall_s": wall, "cpu_s": cpu}


def baseline(url: str, token: str, cache: str, _select: tuple[str, ...]) -> dict[str, Any]:
    from dataclasses import replace

    from hepci.audit.engine import audit_repo
    from hepci.audit.rule import all_rules
    from hepci.gitlab.settings import resolve_settings
    from hepci.gitlab.sources import audit_remote

    settings = resolve_settings(url=url, token=token, env={}, concurrency=4, batch_size=25)
    settings = replace(settings, cache_dir=Path(cache))
    run, wall, cpu = _timed(lambda: audit_remote("gitlab:hep", settings, audit_repo))
    return {"audited": len(run.results), "wall_s": wall, "cpu_s": cpu, "rules": sorted(all_rules())}


def main() -> int:
    side, url, token, cache = sys.argv[1:5]
    select = tuple(sys.argv[5].split(",")) if len(sys.argv) > 5 else ()
    os.environ["HEPCI_CACHE_DIR"] = cache  # empty: no schema results, no snapshots, a new machine
    result = (baseline if side == "baseline" else today)(url, token, cache, select)
    rounded = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
    print(json.dumps({"side": side, "rules_selected": len(select) or "all", **rounded}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
