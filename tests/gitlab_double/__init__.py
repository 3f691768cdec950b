"""A stateful fake GitLab served over real HTTP on 127.0.0.1, for tests and benchmarks.

    from gitlab_double import GitLabDouble, build_world

    world = build_world(n_projects=50, seed=1)
    with GitLabDouble(world.state) as double:
        gl = gitlab.Gitlab(double.url, private_token=world.tokens.reader, timeout=10)
        ...
        double.faults.configure(error_rate=0.2)   # inject at run time
        double.stats.counts()                      # requests by "METHOD /route/:template"

REST v4 subset and GraphQL subset as documented by GitLab; see ``docs`` in each module.
"""

from gitlab_double.faults import Faults, Latency, RateLimit, RequestRecord, Stats
from gitlab_double.model import State
from gitlab_double.populate import ProjectSpec, Tokens, World, build_world
from gitlab_double.server import GitLabDouble, running

__all__ = [
    "Faults",
    "GitLabDouble",
    "Latency",
    "ProjectSpec",
    "RateLimit",
    "RequestRecord",
    "State",
    "Stats",
    "Tokens",
    "World",
    "build_world",
    "running",
]
