"""ExistingDocsChecker, built-in: the docs against the merge commit and the PR's diff.

It runs beside the CodeDiffAnalyzer in tier 1, so it cannot wait for that
analysis: it reads the names a PR removed or added straight from the patch's
definition lines (cheap, no AST), and asks git once per question (one
``ls-tree``, one ``git grep`` for all names) rather than once per reference. The
API models of both commits (learnd.analysis.api_load) answer whether a removed
name is still defined elsewhere as well as where each code reference leads, so
the code is read once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from learnd.agents.context import AgentContext, AgentResult
from learnd.analysis.api_load import API_MODEL_CACHE, load_models, model_cache, warm_cache
from learnd.docs.check import check_docs
from learnd.docs.index_file import DocsIndexFile
from learnd.docs.model import DocsCheckFacts
from learnd.docs.patch_names import scan_patch
from learnd.docs.stale import stale_code
from learnd.docs.tree_lookups import TreeLookups
from learnd.facts import embed_facts
from learnd.gather.inputs import DIFF_PATCH, DOCS_INDEX
from learnd.pipeline.protocol import OK, SKIPPED


def prepare(ctx: AgentContext, stop: Callable[[], bool]) -> None:
    """Read the modules both models need into the cache until ``stop()``: run when
    this agent starts ahead of its tier, while the inputs are gathered
    (learnd.agents.host). It needs no input, only git."""
    cache = model_cache(ctx.run_dir.state_dir / "cache" / API_MODEL_CACHE)
    try:
        warm_cache(ctx.repo, [ctx.target.base_sha, ctx.target.merge_sha], cache, stop=stop)
    finally:
        cache.close()


def run(ctx: AgentContext) -> AgentResult:
    index_path = ctx.input_path(DOCS_INDEX)
    if not index_path.exists():
        raise FileNotFoundError(f"inputs/{DOCS_INDEX} is missing")
    index = DocsIndexFile(index_path)
    if index.is_empty():
        reason = "no docs under the configured doc paths: " + ", ".join(ctx.target.docs)
        return AgentResult(SKIPPED, f"# Existing docs check\n\nSkipped: {reason}.\n", reason)
    # surrogateescape: a name git left unquoted keeps its bytes (see patch_names).
    with ctx.input_path(DIFF_PATCH).open(encoding="utf-8", errors="surrogateescape") as patch:
        names = scan_patch(patch)
    repo, merge = ctx.repo, ctx.target.merge_sha
    # The models answer both which removed names live on elsewhere and, later,
    # what each code reference in the docs resolves to: the code is read once.
    cache = model_cache(ctx.run_dir.state_dir / "cache" / API_MODEL_CACHE)
    try:
        base_model, merge_model = load_models(repo, [ctx.target.base_sha, merge], cache=cache)
    finally:
        cache.close()
    removed = {n: why for n, why in names.removed_reasons().items() if not merge_model.defines(n)}
    tree = TreeLookups(repo, merge)
    quoted: dict[str, str] = {}

    def doc_texts(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
        # One git process for all of them, by blob id: one per doc cost minutes on
        # big doc sets, and a name must not choose what is read (learnd.pathnames).
        # The few docs the check quotes are kept, not read again when every doc is
        # resolved; the rest stream through.
        yield from ((path, quoted[path]) for path in paths if path in quoted)
        unread = [path for path in paths if path not in quoted]
        ids = {e.path: e.blob for e in repo.tree_blobs(merge, unread)} if unread else {}
        for blob in repo.read_blob_ids((path, ids[path]) for path in unread if path in ids):
            if blob.data is not None:
                yield blob.path, blob.data.decode("utf-8", "replace")

    def quoted_texts(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
        for path, text in doc_texts(paths):
            quoted[path] = text
            yield path, text

    facts = check_docs(
        index,
        removed=removed,
        added=names.added_names,
        moved_paths=names.moved_paths,
        path_exists=tree.path_exists,
        symbols_existing=tree.symbols_existing,
        doc_texts=quoted_texts,
        names=False,
    )
    # Code names: resolved against the code at both commits, not matched by name.
    paths = [entry.path for entry in index.entries()]
    code = stale_code(doc_texts(paths), base_model, merge_model)
    notes = list(facts.notes)
    if repo.unreadable:
        shown = ", ".join(f"`{p}`" for p in sorted(repo.unreadable)[:5])
        more = f" and {len(repo.unreadable) - 5} more" if len(repo.unreadable) > 5 else ""
        notes.append(
            f"{len(repo.unreadable)} file(s) are missing from this clone and were skipped: "
            f"{shown}{more}"
        )
    if code.preexisting:
        notes.append(
            f"{code.preexisting} code reference(s) were already broken before this PR;"
            " they are not this PR's doing and are left out of its plan"
        )
    facts = replace(
        facts,
        stale=tuple(sorted((*facts.stale, *code.stale), key=lambda s: (s.doc, s.line))),
        # Paths that point at nothing predate the PR as well: not its plan's business.
        phantoms=(),
        preexisting=code.preexisting + len(facts.phantoms),
        references_checked=code.checked,
        notes=tuple(notes),
    )
    return AgentResult(OK, embed_facts(render_docs_check(facts, len(removed)), facts))


def render_docs_check(facts: DocsCheckFacts, removed: int) -> str:
    lines = [
        "# Existing docs check",
        "",
        f"{facts.docs_indexed} doc(s) indexed; {removed} name(s) removed or renamed by the PR.",
        "",
        f"## Stale references ({len(facts.stale)})",
        "",
    ]
    lines += [
        f"- `{s.doc}:{s.line}` `{s.ref}` ({s.detail or s.reason}): {s.text.strip()}"
        for s in facts.stale
    ]
    lines += [
        "",
        f"{facts.references_checked} code reference(s) resolved at both commits; "
        f"{facts.preexisting} already broken before this PR (left out).",
    ]
    lines += ["", f"## New items and related docs ({len(facts.related)})", ""]
    for r in facts.related:
        where = ", ".join(f"`{d}`" for d in r.docs) or "none"
        lines.append(f"- `{r.item}`: {r.verdict.replace('_', ' ')} ({where})")
    if facts.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in facts.notes]
    return "\n".join(lines).rstrip() + "\n"
