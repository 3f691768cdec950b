"""Deep and long structures cost memory, never Python stack (issue 11, item 11).

Each walker runs on 10,000-deep input under a recursion limit only a few dozen frames above
the test's own stack: a recursive walker fails with RecursionError, an iterative one does not.
The structures are built by hand where the parser's own cap (100 levels) would refuse them.
"""

from __future__ import annotations

import gc
import inspect
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from hepci.core.yamledit import AliasNode, MappingNode, Pos, ScalarNode, SequenceNode, parse_text
from hepci.core.yamledit.data import RECURSIVE, expanded_size, to_data
from hepci.core.yamledit.nodes import no_cycle_collection
from hepci.errors import InputFileError
from hepci.lint.chains import components, cyclic, longest_chains, nesting

DEEP = 10_000
AT = Pos(0, 0, 0)


@contextmanager
def shallow_stack(frames: int = 60) -> Iterator[None]:
    """A recursion limit ``frames`` above the current stack depth."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def nested_sequences(depth: int) -> SequenceNode:
    root = inner = SequenceNode(AT, AT)
    for _ in range(depth - 1):
        child = SequenceNode(AT, AT)
        inner.items.append(child)
        inner = child
    inner.items.append(ScalarNode(AT, AT, value="leaf"))
    return root


def alias_chain(links: int) -> SequenceNode:
    """``[*a_n]`` where ``a_i = [*a_(i-1)]`` and ``a_0 = [x]``: one level of data per link."""
    node = SequenceNode(AT, AT, anchor="a0", items=[ScalarNode(AT, AT, value="x")])
    for i in range(1, links):
        node = SequenceNode(
            AT, AT, anchor=f"a{i}", items=[AliasNode(AT, AT, name=f"a{i - 1}", target=node)]
        )
    return node


def test_walk_visits_a_deep_tree_in_document_order() -> None:
    root = nested_sequences(DEEP)
    with shallow_stack():
        nodes = list(root.walk())
    assert len(nodes) == DEEP + 1 and nodes[0] is root
    assert isinstance(nodes[-1], ScalarNode) and nodes[-1].value == "leaf"
    mapping = parse_text("a: [1, {b: 2}]\nc: 3\n").body.root  # type: ignore[union-attr]
    assert isinstance(mapping, MappingNode)
    kinds = [n.value if isinstance(n, ScalarNode) else n.kind for n in mapping.walk()]
    assert kinds == ["mapping", "a", "sequence", "1", "mapping", "b", "2", "c", "3"]


def test_alias_chains_expand_without_recursion_and_stop_at_gitlabs_depth() -> None:
    chain = alias_chain(DEEP)
    with shallow_stack():
        data = to_data(chain, budget=10**8, max_depth=DEEP + 1)
        with pytest.raises(InputFileError, match="nesting deeper than 100 levels once aliases"):
            to_data(chain, budget=10**8)
        size = expanded_size(chain)
    depth = 0
    while isinstance(data, list):
        data, depth = data[0], depth + 1
    assert (depth, data) == (DEEP, "x")
    assert size == 2 * DEEP  # each link: its list and its alias


def test_an_alias_inside_its_own_anchor_is_refused_not_followed_forever() -> None:
    loop = SequenceNode(AT, AT, anchor="a")
    loop.items.append(AliasNode(AT, AT, name="a", target=loop))
    with shallow_stack():
        assert expanded_size(loop) == RECURSIVE
        with pytest.raises(InputFileError, match="refers to a node that contains it"):
            to_data(loop)


def test_a_long_merge_chain_merges_like_gitlab() -> None:
    text = ".a0: &a0\n  k0: v\n" + "".join(
        f".a{i}: &a{i}\n  <<: *a{i - 1}\n  k{i}: v\n" for i in range(1, 600)
    )
    body = parse_text(text + "job:\n  <<: *a599\n  k3: mine\n").body
    assert body is not None
    with shallow_stack():
        data = body.data
    assert list(data["job"]) == [f"k{i}" for i in range(600)]  # merged first, in their order
    assert data["job"]["k3"] == "mine" and data[".a10"]["k0"] == "v"


def test_chain_analyses_are_iterative() -> None:
    chain = {f"j{i}": {f"j{i + 1}"} for i in range(DEEP)}
    loop = {f"r{i}": {f"r{(i + 1) % DEEP}"} for i in range(DEEP)}
    with shallow_stack():
        assert longest_chains(chain)["j0"] == DEEP
        assert len(components(chain)) == DEEP + 1
        loops = cyclic(loop)
        assert len(loops) == DEEP and loops["r0"] is loops["r5000"]
        assert nesting(nested_sequences(1) and [[["x"]]], lambda t: 0) == 3


def test_the_collector_pause_nests_and_comes_back() -> None:
    assert gc.isenabled()
    with no_cycle_collection():
        assert not gc.isenabled()
        with no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()
        inside = threading.Event()
        leave = threading.Event()

        def other() -> None:
            with no_cycle_collection():
                inside.set()
                leave.wait(5)

        thread = threading.Thread(target=other)
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread is still inside
    leave.set()
    thread.join(5)
    assert gc.isenabled()
