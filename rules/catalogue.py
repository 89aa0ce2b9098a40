"""The catalogue of award forms and document types that rule sets refer to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CATALOGUE_FILE = Path(__file__).parent / "catalogue.yaml"


@dataclass(frozen=True)
class AwardFormInfo:
    code: str
    name_vi: str
    name_en: str
    nominee_kinds: tuple[str, ...]


@dataclass(frozen=True)
class DocumentTypeInfo:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Catalogue:
    award_forms: dict[str, AwardFormInfo]
    document_types: dict[str, DocumentTypeInfo]


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    forms = {
        f["code"]: AwardFormInfo(
            f["code"], f["name_vi"], f["name_en"], tuple(f["nominee_kinds"])
        )
        for f in data["award_forms"]
    }
    docs = {d["code"]: DocumentTypeInfo(d["code"], d["name_vi"], d["name_en"])
            for d in data["document_types"]}
    return Catalogue(forms, docs)
