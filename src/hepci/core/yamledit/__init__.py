"""The YAML edit core: parse with positions, never re-serialise, edit by minimal text patches.

Reading: :func:`load_file` / :func:`parse_bytes` / :func:`parse_text` give a :class:`YamlFile`
whose documents hold positioned nodes (:mod:`.nodes`) and plain :attr:`YamlDocument.data`.
"""

from hepci.core.yamledit.data import DuplicateKey, Reference, Tagged, to_data
from hepci.core.yamledit.document import (
    PathKey,
    YamlDocument,
    YamlFile,
    load_file,
    parse_bytes,
    parse_source,
    parse_text,
)
from hepci.core.yamledit.nodes import (
    AliasNode,
    MappingNode,
    Node,
    Pos,
    ScalarNode,
    SequenceNode,
    resolve_alias,
)
from hepci.core.yamledit.source import Limits, SourceText, read_source, write_atomic

__all__ = [
    "AliasNode",
    "DuplicateKey",
    "Limits",
    "MappingNode",
    "Node",
    "PathKey",
    "Pos",
    "Reference",
    "ScalarNode",
    "SequenceNode",
    "SourceText",
    "Tagged",
    "YamlDocument",
    "YamlFile",
    "load_file",
    "parse_bytes",
    "parse_source",
    "parse_text",
    "read_source",
    "resolve_alias",
    "to_data",
    "write_atomic",
]
