from __future__ import annotations

from typing import Any

import pytest

from learnd.tripwires import TripwireSchemaError, validate_candidates

GOOD = {
    "action": "Before calling `make_widget()`",
    "warning": "Use `create_widget()` instead.",
    "target_doc_path": "docs/widgets.md",
    "evidence": ["w/core.py:5"],
    "pattern": r"\bmake_widget\b",
}


def doc(**changes: Any) -> dict[str, Any]:
    entry = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return {"candidates": [entry]}


def test_a_good_document_passes() -> None:
    validate_candidates(doc())
    validate_candidates(doc(action="Editing the schema files", pattern=None))
    validate_candidates({"candidates": []})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"tripwires": []}, "top level"),
        (doc(action="Make sure to check"), "Before"),
        (doc(warning="This function was renamed."), "imperative"),
        (doc(target_doc_path="/abs/doc.md"), "repository-relative"),
        (doc(target_doc_path="docs/x.txt"), "repository-relative"),
        (doc(evidence=[]), "non-empty list"),
        (doc(pattern="(unclosed"), "not a valid regex"),
        (doc(extra="x"), "unknown key"),
        (doc(warning=None), "lacks warning"),
    ],
)
def test_bad_documents_are_refused(document: Any, message: str) -> None:
    with pytest.raises(TripwireSchemaError, match=message):
        validate_candidates(document)
