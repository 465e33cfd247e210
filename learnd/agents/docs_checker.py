"""ExistingDocsChecker, built-in: the docs against the merge commit and the PR's diff.

It runs beside the CodeDiffAnalyzer in tier 1, so it cannot wait for that
analysis: it reads the names a PR removed or added straight from the patch's
definition lines (cheap, no AST), and asks git once per question (one
``ls-tree``, one ``git grep`` for all names) rather than once per reference.
"""

from __future__ import annotations

from collections.abc import Collection

from learnd.agents.context import AgentContext, AgentResult
from learnd.analysis.wordscan import names_defined, words_present
from learnd.docs.check import check_docs
from learnd.docs.model import DocsCheckFacts, DocsIndex
from learnd.docs.patch_names import scan_patch
from learnd.facts import embed_facts, from_jsonable
from learnd.gather.inputs import DIFF_PATCH, DOCS_INDEX
from learnd.git import GitRepo
from learnd.pipeline.protocol import OK, SKIPPED

DOC_SUFFIXES = (".md", ".markdown")


def run(ctx: AgentContext) -> AgentResult:
    raw = ctx.read_input_json(DOCS_INDEX)
    if raw is None:
        raise FileNotFoundError(f"inputs/{DOCS_INDEX} is missing")
    index = from_jsonable(DocsIndex, raw)
    if not index.docs:
        reason = "no markdown docs under the configured doc paths: " + ", ".join(ctx.target.docs)
        return AgentResult(SKIPPED, f"# Existing docs check\n\nSkipped: {reason}.\n", reason)
    # surrogateescape: a name git left unquoted keeps its bytes (see patch_names).
    with ctx.input_path(DIFF_PATCH).open(encoding="utf-8", errors="surrogateescape") as patch:
        names = scan_patch(patch)
    repo, merge = ctx.repo, ctx.target.merge_sha
    still_defined = _still_defined(repo, merge, names.removed_names)
    removed = {n: why for n, why in names.removed_reasons().items() if n not in still_defined}
    files = set(repo.list_files(merge))
    # Shown names never escape "/", so their folders are shown names too.
    folders = {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}
    # By blob id, as every read: a name may hold any byte git allows.
    doc_blobs = {e.path: e.blob for e in repo.tree_blobs(merge, [d.path for d in index.docs])}

    def symbols_existing(candidates: Collection[str]) -> set[str]:
        return words_present(repo.text_files(merge, exclude_suffixes=DOC_SUFFIXES), candidates)

    def doc_text(path: str) -> str:
        blob = doc_blobs.get(path)
        for found in repo.read_blob_ids([(path, blob)] if blob else []):
            if found.data is not None:
                return found.data.decode("utf-8", "replace")
        return ""

    facts = check_docs(
        index,
        removed=removed,
        added=names.added_names,
        moved_paths=names.moved_paths,
        path_exists=lambda p: p in files or p in folders,
        symbols_existing=symbols_existing,
        doc_text=doc_text,
    )
    return AgentResult(OK, embed_facts(render_docs_check(facts, len(removed)), facts))


def _still_defined(repo: GitRepo, merge: str, names: Collection[str]) -> set[str]:
    """Names the patch removed somewhere but that are still defined at the merge commit."""
    if not names:
        return set()
    return names_defined(repo.text_files(merge, suffixes=(".py", ".pyi")), names)


def render_docs_check(facts: DocsCheckFacts, removed: int) -> str:
    lines = [
        "# Existing docs check",
        "",
        f"{facts.docs_indexed} doc(s) indexed; {removed} name(s) removed or renamed by the PR.",
        "",
        f"## Stale references ({len(facts.stale)})",
        "",
    ]
    lines += [f"- `{s.doc}:{s.line}` `{s.ref}` ({s.reason}): {s.text.strip()}" for s in facts.stale]
    lines += ["", f"## Phantom references ({len(facts.phantoms)})", ""]
    lines += [f"- `{p.doc}:{p.line}` {p.kind} `{p.ref}`" for p in facts.phantoms]
    lines += ["", f"## New items and related docs ({len(facts.related)})", ""]
    for r in facts.related:
        where = ", ".join(f"`{d}`" for d in r.docs) or "none"
        lines.append(f"- `{r.item}`: {r.verdict.replace('_', ' ')} ({where})")
    if facts.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in facts.notes]
    return "\n".join(lines).rstrip() + "\n"
