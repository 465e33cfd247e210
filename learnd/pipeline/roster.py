"""Which agents a run has, which tier each belongs to, and the output each writes."""

from __future__ import annotations

from dataclasses import dataclass

SESSION_ANALYZER = "SessionAnalyzer"
CODE_DIFF_ANALYZER = "CodeDiffAnalyzer"
EXISTING_DOCS_CHECKER = "ExistingDocsChecker"
PR_COMMENT_ANALYZER = "PRCommentAnalyzer"
GAP_IDENTIFIER = "DocumentationGapIdentifier"
PLAN_SYNTHESIZER = "PlanSynthesizer"
TRIPWIRE_EXTRACTOR = "TripwireExtractor"

AGENT_NAMES = (
    SESSION_ANALYZER,
    CODE_DIFF_ANALYZER,
    EXISTING_DOCS_CHECKER,
    PR_COMMENT_ANALYZER,
    GAP_IDENTIFIER,
    PLAN_SYNTHESIZER,
    TRIPWIRE_EXTRACTOR,
)

DIFF_OUTPUT = "diff-analysis.md"
DOCS_OUTPUT = "existing-docs-check.md"
COMMENTS_OUTPUT = "pr-comments-analysis.md"
GAP_OUTPUT = "gap-analysis.md"
PLAN_OUTPUT = "learn-plan.md"
TRIPWIRES_OUTPUT = "tripwire-candidates.json"

# The plan's headings that only label what follows them, which publishing leaves
# out so that the first screen leads with the items (the design's plan sections).
CONTEXT_HEADING = "## Context"
SUMMARY_HEADING = "## Summary"
ITEMS_HEADING = "## Documentation Items"
# The plan's sections about the run rather than the docs, which publishing folds into
# a collapsed block: what the PlanSynthesizer says about its inputs, and what an LLM
# engine appends about who wrote the plan.
RUN_DETAILS_HEADING = "## Run details"
ENGINE_HEADING = "## Engine"


@dataclass(frozen=True)
class AgentSlot:
    """One agent of one run: who it is, which tier, and which output it owes."""

    name: str
    tier: int
    output: str
    session_id: str | None = None

    @property
    def key(self) -> str:
        """Unique within a run: there may be several SessionAnalyzers."""
        return f"{self.name}:{self.session_id}" if self.session_id else self.name


def session_output(session_id: str) -> str:
    return f"session-{session_id}.md"


def roster(session_ids: tuple[str, ...] = ()) -> tuple[AgentSlot, ...]:
    """The agents of a run, in tier order; one SessionAnalyzer per linked session."""
    sessions = tuple(
        AgentSlot(SESSION_ANALYZER, 1, session_output(sid), session_id=sid) for sid in session_ids
    )
    return (
        *sessions,
        AgentSlot(CODE_DIFF_ANALYZER, 1, DIFF_OUTPUT),
        AgentSlot(EXISTING_DOCS_CHECKER, 1, DOCS_OUTPUT),
        AgentSlot(PR_COMMENT_ANALYZER, 1, COMMENTS_OUTPUT),
        AgentSlot(GAP_IDENTIFIER, 2, GAP_OUTPUT),
        AgentSlot(PLAN_SYNTHESIZER, 3, PLAN_OUTPUT),
        AgentSlot(TRIPWIRE_EXTRACTOR, 4, TRIPWIRES_OUTPUT),
    )
