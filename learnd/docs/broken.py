"""Doc references already broken at one commit: the docs clean-up list.

A PR's plan leaves out what was broken before the PR (it is not that PR's doing) and
only counts it; ``learnd broken-refs`` lists it, for whoever wants to clean the docs
up. The same two checks as the ExistingDocsChecker, at a single commit: code
references resolved against the package's API model (:mod:`learnd.docs.resolve`, with
the commit as both sides, so what fails is what fails there), and path references
that point at no file (:func:`learnd.docs.check.check_docs`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from learnd.analysis.api_load import API_MODEL_CACHE, load_models, model_cache
from learnd.docs.check import check_docs
from learnd.docs.index import index_docs
from learnd.docs.references import MEMBER
from learnd.docs.resolve import resolve_references
from learnd.docs.stale import read_page
from learnd.docs.tree_lookups import TreeLookups
from learnd.gather.inputs import read_docs
from learnd.git import GitRepo


@dataclass(frozen=True)
class BrokenRef:
    doc: str
    line: int
    ref: str  # as the doc writes it
    kind: str  # what it names: a path, a module, a call, ...
    text: str  # the doc line


def broken_refs(
    repo: GitRepo, commit: str, patterns: Sequence[str], *, cache_dir: Path
) -> list[BrokenRef]:
    """Every reference in the docs ``patterns`` select that fails at ``commit``."""
    docs = dict(read_docs(repo, commit, patterns))
    tree = TreeLookups(repo, commit)

    def doc_texts(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
        return ((p, docs[p]) for p in paths if p in docs)

    paths = check_docs(
        index_docs(commit, docs.items()),
        removed={},
        added=(),
        moved_paths={},
        path_exists=tree.path_exists,
        symbols_existing=tree.symbols_existing,
        doc_texts=doc_texts,
        names=False,
    )
    found = [
        BrokenRef(p.doc, p.line, p.ref, p.kind, _line(docs, p.doc, p.line)) for p in paths.phantoms
    ]
    cache = model_cache(cache_dir / API_MODEL_CACHE)
    try:
        [model] = load_models(repo, [commit], cache=cache)
    finally:
        cache.close()
    for path, text in docs.items():
        page = read_page(path, text)
        # The commit on both sides: what fails there was broken "before" it.
        for ref in resolve_references(page.references, model, model).preexisting:
            if ref.kind == MEMBER and ref.text.startswith("def "):
                # An example's subclass defining a method its base lacks (a handler the
                # base finds by name) is a definition, not a reference to fix.
                continue
            found.append(BrokenRef(path, ref.line, ref.text, ref.kind, _line(docs, path, ref.line)))
    return sorted(set(found), key=lambda b: (b.doc, b.line, b.ref))


def _line(docs: dict[str, str], path: str, number: int) -> str:
    lines = docs.get(path, "").split("\n")
    return lines[number - 1].removesuffix("\r") if 0 < number <= len(lines) else ""
