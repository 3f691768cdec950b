"""``codemeta.json`` of the record, written by codemetapy, offline, checked with PyLD.

codemetapy (the CodeMeta project's Python library, ``codemetapy`` on PyPI) builds an RDF graph
of the software and serialises it as CodeMeta 3.0 JSON-LD. On first use it downloads five
JSON-LD documents into its cache directory (``codemeta.common.TMPDIR``: ``$TMPDIR`` when it is
imported); hepci ships them (``contexts/``, see its README) and imports codemetapy with
``TMPDIR`` pointing there, so nothing is ever fetched and every run reads the same documents.
Its readers of ``pyproject.toml`` and other files are not used (3.0.4 fails on any
``readme =`` entry); the graph is filled from hepci's record with codemetapy's own functions,
along this crosswalk:

=======================  ============================================  ======================
CodeMeta / schema.org    record (source file)                           codemetapy call
=======================  ============================================  ======================
name, description        title (CITATION.cff, pyproject description)    ``add_triple``
version                  CITATION.cff / pyproject ``version``           ``add_triple``
codeRepository           git remote, ``CI_PROJECT_URL``, repository-code ``add_triple``
license                  SPDX ids of the license (expression split)     ``add_triple`` (SPDX)
identifier               ``https://doi.org/<doi>`` of CITATION.cff      ``add_triple``
dateModified             the commit's time (git)                         ``add_triple``
keywords                 CITATION.cff ``keywords``                       ``add_triple``
author (+ position)      CITATION.cff ``authors`` (ORCID as ``@id``)     ``add_authors``
runtimePlatform          Python of the base image, CMSSW releases        ``add_triple``
softwareRequirements     pyproject ``project.dependencies``             ``add_dependency``
=======================  ============================================  ======================

What the record lacks is left out (and listed in its ``missing``), never invented. The result
is checked by :func:`validate_codemeta`: JSON-LD expansion (PyLD, with a document loader that
serves only the shipped files) must succeed and drop nothing, and every key and type must be a
term one of the shipped contexts defines (the schema.org context has ``@vocab``, which would
otherwise turn any misspelt key into a schema.org IRI).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from hepci.metadata.crate import INSTALL_HINT
from hepci.metadata.model import Record

CODEMETA_FILE = "codemeta.json"
CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
# the URL codemetapy writes into @context -> the shipped file (codemetapy's cache file name)
CONTEXT_FILES = {
    "https://w3id.org/codemeta/3.0": "codemeta.jsonld",
    "https://schema.org": "schemaorgcontext.jsonld",
    "https://w3id.org/software-types": "stype.jsonld",
    "https://w3id.org/software-iodata": "iodata.jsonld",
    "https://raw.githubusercontent.com/jantman/repostatus.org/master/badges/latest/ontology.jsonld": (
        "repostatus.jsonld"
    ),
}


def _codemetapy() -> Any:
    """codemetapy, imported with its cache directory pointed at the shipped documents."""
    import tempfile

    missing = [name for name in CONTEXT_FILES.values() if not (CONTEXTS_DIR / name).is_file()]
    if missing:  # codemetapy would download them: refuse instead
        raise RuntimeError(f"hepci's JSON-LD contexts are incomplete: {', '.join(missing)}")
    if "codemeta.common" not in sys.modules:
        tempfile.gettempdir()  # fix the process's temporary directory before TMPDIR changes
        saved = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = str(CONTEXTS_DIR)
        try:
            import codemeta.codemeta
        except ImportError:
            from hepci.errors import UsageError

            raise UsageError(INSTALL_HINT) from None
        finally:
            if saved is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = saved
    import codemeta.common

    if Path(codemeta.common.TMPDIR).resolve() != CONTEXTS_DIR:
        raise RuntimeError(
            f"codemetapy was imported before hepci could point it at its contexts "
            f"(it reads {codemeta.common.TMPDIR})"
        )
    return codemeta


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "analysis"


def _spdx_ids(expression: str) -> list[str]:
    """The licenses of an SPDX expression ("MIT OR Apache-2.0" -> both), as codemetapy takes
    one license at a time (and would keep only the first it recognises in the whole text)."""
    parts = re.split(r"\s+(?:OR|AND|WITH)\s+|[()]", expression)
    return [p.strip() for p in parts if p.strip()]


def _authors(cm: Any, graph: Any, res: Any, record: Record) -> None:
    from rdflib import RDF, Literal, URIRef

    common = cm.common
    sdo = common.SDO
    for position, person in enumerate(record.code.authors, 1):
        if not person.given_names and not person.family_names:  # an entity: "CMS Collaboration"
            org = URIRef(common.generate_uri(person.name, prefix="org"))
            graph.add((org, RDF.type, sdo.Organization))
            graph.add((org, sdo.name, Literal(person.name)))
            common.add_to_ordered_list(graph, res, sdo.author, org)
            node = org
        else:
            options = {"mail": person.email or "", "organization": person.affiliation or ""}
            node = common.add_authors(graph, res, person.name, single_author=True, **options)[0]
            # CITATION.cff says which part is which: no name parsing
            for prop, value in ((sdo.givenName, person.given_names),
                                (sdo.familyName, person.family_names)):  # fmt: skip
                graph.remove((node, prop, None))
                if value:
                    graph.add((node, prop, Literal(value)))
        if person.orcid:
            common.remap_uri(graph, node, URIRef(person.orcid))
            node = URIRef(person.orcid)
        # CodeMeta's `position` keeps CITATION.cff's order (codemetapy sorts lists by name)
        graph.set((node, sdo.position, Literal(position)))


def _properties(record: Record) -> list[tuple[str, str]]:
    code, soft = record.code, record.software
    props: list[tuple[str, str | None]] = [
        ("name", record.name),
        ("description", record.description or record.name),
        ("version", code.version),
        ("codeRepository", code.repository),
        ("identifier", f"https://doi.org/{code.doi}" if code.doi else None),
        ("dateModified", code.commit_time),
    ]
    props += [("license", spdx) for spdx in _spdx_ids(code.license or "")]
    props += [("keywords", keyword) for keyword in code.keywords]
    if soft.python:
        props += [("programmingLanguage", "Python"), ("runtimePlatform", f"Python {soft.python}")]
    props += [("runtimePlatform", release) for release in soft.cmssw]
    return [(key, value) for key, value in props if value]


def build_codemeta(record: Record) -> dict[str, Any]:
    """The CodeMeta document of ``record`` (codemetapy's JSON-LD, as a dict)."""
    cm = _codemetapy()
    import codemeta.parsers.python
    import codemeta.serializers.jsonld
    from rdflib import URIRef

    common = cm.common
    log = io.StringIO()  # codemetapy narrates on stderr; its checks are in the log
    with contextlib.redirect_stderr(log), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's, inside codemetapy
        graph, res, args, _ = cm.codemeta.build(
            inputsources=["/dev/null"], inputtypes="null", identifier=_slug(record.name)
        )
        graph.remove((res, common.SDO.identifier, None))  # its slug is not an identifier
        for key, value in _properties(record):
            if not common.add_triple(graph, res, key, value, args):
                raise RuntimeError(f"codemetapy does not know the CodeMeta key {key!r}")
        _authors(cm, graph, res, record)
        for requirement in record.software.requirements:
            codemeta.parsers.python.add_dependency(graph, res, requirement, args)
        if record.code.repository:  # the software's IRI: its repository (as in the RO-Crate)
            common.remap_uri(graph, res, URIRef(record.code.repository))
            res = URIRef(record.code.repository)
        data: dict[str, Any] = codemeta.serializers.jsonld.serialize_to_jsonld(graph, res, args)
    return data


def codemeta_json(record: Record) -> str:
    """``codemeta.json`` of ``record``: validated, keys sorted (byte-stable)."""
    data = build_codemeta(record)
    problems = validate_codemeta(data)
    if problems:  # hepci wrote something CodeMeta does not define: a bug, not a user error
        raise RuntimeError("codemeta.json does not validate: " + "; ".join(problems))
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _defined_terms() -> set[str]:
    terms: set[str] = set()
    for name in CONTEXT_FILES.values():
        context = json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8")).get("@context")
        for part in context if isinstance(context, list) else [context]:
            if isinstance(part, dict):
                terms |= {key for key in part if not key.startswith("@")}
    return terms


def _undefined(node: Any, terms: set[str], where: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += _undefined(item, terms, f"{where}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            if not key.startswith("@") and ":" not in key and key not in terms:
                found.append(f"{where or 'the document'}: `{key}` is not a CodeMeta term")
            if key == "@type":
                for kind in value if isinstance(value, list) else [value]:
                    if isinstance(kind, str) and ":" not in kind and kind not in terms:
                        found.append(f"{where or 'the document'}: type `{kind}` is not defined")
            else:
                found += _undefined(value, terms, f"{where}.{key}" if where else key)
    return found


def validate_codemeta(document: dict[str, Any]) -> list[str]:
    """Problems of a CodeMeta document against the shipped contexts (empty: valid)."""
    from pyld import jsonld
    from pyld.documentloader.frozen import FrozenDocumentLoader

    context = document.get("@context")
    listed = context if isinstance(context, list) else [context]
    problems = [f"`@context` {c!r} is not a shipped context" for c in listed
                if isinstance(c, str) and c not in CONTEXT_FILES]  # fmt: skip
    loader = FrozenDocumentLoader({url: CONTEXTS_DIR / n for url, n in CONTEXT_FILES.items()})
    dropped: list[str] = []
    try:
        expanded = jsonld.expand(
            document, {"documentLoader": loader}, on_property_dropped=dropped.append
        )
    except jsonld.JsonLdError as exc:
        return [*problems, f"JSON-LD expansion failed: {exc}"]
    problems += [f"`{p}` is dropped by JSON-LD expansion" for p in dict.fromkeys(map(str, dropped))]
    if not expanded:
        problems.append("the document expands to nothing")
    return problems + _undefined(document, _defined_terms())


__all__ = [
    "CODEMETA_FILE",
    "CONTEXTS_DIR",
    "CONTEXT_FILES",
    "build_codemeta",
    "codemeta_json",
    "validate_codemeta",
]
