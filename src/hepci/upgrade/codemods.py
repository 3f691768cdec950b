"""The registry of codemods, in the order they run (template bumps first, policy last)."""

from __future__ import annotations

from hepci.upgrade.base import Codemod
from hepci.upgrade.cm_deprecated import (
    ArtifactsPublic,
    CiBuildVariables,
    CoberturaReport,
    CvmfsTag,
    GlobalToDefault,
    IncludeWithInputs,
    TypeToStage,
)
from hepci.upgrade.cm_image import LegacyImageBuild
from hepci.upgrade.cm_pin import PinDigests
from hepci.upgrade.cm_rules import OnlyExceptToRules
from hepci.upgrade.cm_templates import BumpTemplates, ProjectToComponent

ALL_CODEMODS: tuple[type[Codemod], ...] = (
    BumpTemplates,
    LegacyImageBuild,
    IncludeWithInputs,
    ProjectToComponent,  # after the two that may write `include: project`/`with:`
    TypeToStage,
    GlobalToDefault,
    CiBuildVariables,
    CoberturaReport,
    ArtifactsPublic,
    OnlyExceptToRules,
    CvmfsTag,
    PinDigests,
)


def codemod_ids() -> list[str]:
    return [cls.id for cls in ALL_CODEMODS]


def by_id(name: str) -> type[Codemod] | None:
    return next((cls for cls in ALL_CODEMODS if cls.id == name), None)
