"""``python -m gitlab_double`` serves a generated world until stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests

TESTS_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_module_entry_point_serves_the_world() -> None:
    env = {**os.environ, "PYTHONPATH": str(TESTS_DIR)}
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gitlab_double",
            "--projects",
            "7",
            "--seed",
            "2",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        lines = [proc.stdout.readline().split() for _ in range(5)]  # "owner token: glpat-..."
        tokens = {parts[0]: parts[-1] for parts in lines}
        url = first.split(" on ")[1].split()[0]
        assert url == f"http://127.0.0.1:{port}"  # the port asked for
        answer = requests.get(
            f"{url}/api/v4/groups/hep/projects",
            params={"include_subgroups": "true"},
            headers={"PRIVATE-TOKEN": tokens["owner"]},
            timeout=5,
        )
        assert answer.status_code == 200 and answer.headers["X-Total"] == "7"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
