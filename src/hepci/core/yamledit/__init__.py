"""The YAML edit core: parse with positions, never re-serialise, edit by minimal text patches.

Reading: :func:`load_file` / :func:`parse_bytes` / :func:`parse_text` give a :class:`YamlFile`
whose documents hold positioned nodes (:mod:`.nodes`) and plain :attr:`YamlDocument.data`.

Editing: :func:`apply_edits` / :func:`write_edits` with :class:`SetScalar`, :class:`RenameKey`,
:class:`ReplaceValue`, :class:`InsertKey`, :class:`InsertItem`, :class:`DeleteKey`,
:class:`DeleteItem` -- minimal text patches, verified by re-parsing (:mod:`.edits`).
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
from hepci.core.yamledit.edits import (
    DeleteItem,
    DeleteKey,
    Edit,
    EditResult,
    InsertItem,
    InsertKey,
    RenameKey,
    ReplaceValue,
    SetScalar,
    apply_edits,
    write_edits,
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
from hepci.core.yamledit.ops import Patch
from hepci.core.yamledit.source import Limits, SourceText, read_source, write_atomic

__all__ = [
    "AliasNode",
    "DeleteItem",
    "DeleteKey",
    "DuplicateKey",
    "Edit",
    "EditResult",
    "InsertItem",
    "InsertKey",
    "Limits",
    "MappingNode",
    "Node",
    "Patch",
    "PathKey",
    "Pos",
    "Reference",
    "RenameKey",
    "ReplaceValue",
    "ScalarNode",
    "SequenceNode",
    "SetScalar",
    "SourceText",
    "Tagged",
    "YamlDocument",
    "YamlFile",
    "apply_edits",
    "load_file",
    "parse_bytes",
    "parse_source",
    "parse_text",
    "read_source",
    "resolve_alias",
    "to_data",
    "write_atomic",
    "write_edits",
]
