"""GitLab's GraphQL complexity rule, as the double scores queries.

Complexity is GitLab's own rule (``Types::BaseField#field_resolver_complexity`` and
``#connection_complexity_multiplier`` in GitLab's ``app/graphql/types/base_field.rb``, with
``Resolvers::BaseResolver`` and ``Resolvers::BlobsResolver``):

* a plain field costs 1 plus the cost of its children;
* a connection (``projects``, ``blobs``, ``pipelines``, ``branchRules``) costs its children's
  cost *once* (not times the page size), plus its resolver's own cost (1; ``blobs``: 1 + the number of paths),
  plus 1 when it calls Gitaly (``blobs``; plain fields ``tree``, ``BranchRule.isDefault`` and
  ``BranchRule.matchingBranchesCount`` too), and that sum then grows by 1 % per requested item:
  ``int((children + resolver + gitaly) * (1 + 0.01 * page))``, ``page`` = ``first`` capped at
  100 (100 when absent).

* a field declared with a fixed complexity costs that number plus its children:
  ``Tree.lastCommit`` is ``complexity: 10`` ("as it triggers a Gitaly call on each render",
  GitLab's ``app/graphql/types/tree/tree_type.rb``), so a project's HEAD commit costs 10 + its
  selection, not 2.

Graphql-ruby's generic rule (children × page size), which the double used before, is stricter
than any GitLab release.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.utilities import value_from_ast_untyped

MAX_PAGE_SIZE = 100
CONNECTIONS = {"projects", "blobs", "pipelines", "branchRules", "artifacts"}  # artifacts: CiJob
GITALY = {"blobs", "tree", "isDefault", "matchingBranchesCount", "trace"}  # call Gitaly: +1
# (CiJob.trace: `calls_gitaly: true` in GitLab's app/graphql/types/ci/job_interface.rb)
STATIC = {"lastCommit": 10}  # fields declared with a fixed complexity (replaces 1 + Gitaly)


class Cost:
    """Scores (and measures the depth of) the fields of one parsed query."""

    def __init__(self, doc: Any, variables: dict[str, Any]) -> None:
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                out += self.fields(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in self.fragments:
                out += self.fields(self.fragments[sel.name.value].selection_set)
        return out

    def args(self, node: FieldNode) -> dict[str, Any]:
        return {
            a.name.value: value_from_ast_untyped(a.value, self.variables)
            for a in node.arguments or ()
        }

    def cost(self, node: FieldNode) -> int:
        """GitLab's ``field_complexity``: see the module docstring."""
        inner = sum(self.cost(c) for c in self.fields(node.selection_set))
        name = node.name.value
        if name in STATIC:
            return STATIC[name] + inner
        if name not in CONNECTIONS:
            return 1 + inner + (1 if name in GITALY else 0)
        args = self.args(node)
        own = 1 + (len(args.get("paths") or []) if name == "blobs" else 0)
        total = inner + own + (1 if name in GITALY else 0)
        page = min(int(args.get("first") or MAX_PAGE_SIZE), MAX_PAGE_SIZE)
        return int(total * (1 + 0.01 * page))

    def depth(self, node: FieldNode) -> int:
        return 1 + max((self.depth(c) for c in self.fields(node.selection_set)), default=0)
