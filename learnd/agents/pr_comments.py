"""PRCommentAnalyzer, built-in: what the PR's review discussion teaches.

Review comments only exist on GitHub. A run that could not fetch them (no
GitHub configured for the repository) has nothing to analyse, and says so with a
``skipped`` sentinel instead of pretending the discussion was empty.
"""

from __future__ import annotations

from learnd.agents.context import AgentContext, AgentResult
from learnd.pipeline.protocol import SKIPPED


def run(ctx: AgentContext) -> AgentResult:
    reason = (
        "no review discussion fetched: GitHub is not configured for this repository"
        if ctx.target.github is None
        else "no review discussion fetched: this run had no access to the GitHub API"
    )
    content = f"# PR comments analysis\n\nSkipped: {reason}.\n"
    return AgentResult(SKIPPED, content, reason)
