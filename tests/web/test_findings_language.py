"""Rule findings on a proposal's page, in the reader's language: tdkt's own checks are
translated, naming documents by their English names."""

from __future__ import annotations

from rules.catalogue import load_catalogue
from tests.support.language import page, switch


def test_a_missing_document_is_named_in_the_readers_language(client_for, make_proposal):
    pid = make_proposal("draft", documents=[])
    letter = load_catalogue().document_types["to_trinh"]
    clerk = client_for("unit1")

    vietnamese = page(clerk, f"/proposals/{pid}")
    assert f"Thiếu tài liệu bắt buộc: {letter.name_vi}" in vietnamese

    switch(clerk, "en", from_page=f"/proposals/{pid}")
    english = page(clerk, f"/proposals/{pid}")
    assert f"Missing required document: {letter.name_en}" in english
    assert "Thiếu tài liệu bắt buộc" not in english
