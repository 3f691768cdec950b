"""``PYTHONPATH=tests python -m gitlab_double --projects 100 --port 8080``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import threading

from gitlab_double import Faults, GitLabDouble, Latency, build_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gitlab_double", description=__doc__)
    parser.add_argument("--projects", type=int, default=50, help="projects to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fixed per-request delay")
    parser.add_argument("--error-rate", type=float, default=0.0, help="fraction of 500/502/503")
    args = parser.parse_args(argv)
    world = build_world(args.projects, args.seed)
    faults = Faults(
        seed=args.seed, latency=Latency("fixed", args.latency_ms / 1000), error_rate=args.error_rate
    )
    double = GitLabDouble(world.state, faults).start(args.port)  # not ``with``: it would restart
    try:
        print(f"GitLab double on {double.url} with {len(world.projects)} projects in group hep")
        for role, token in vars(world.tokens).items():
            print(f"  {role:9s} token: {token}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        double.stop()


if __name__ == "__main__":
    main()
