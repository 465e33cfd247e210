"""The LLM engines' agent: the built-in agent's facts, rewritten by a model, then grounded.

An agent process under ``engine = "anthropic"`` or ``"openai"`` first runs the
built-in agent; its output is both the facts the model must keep and the answer
to fall back on. The model is sent the agent's prompt (a file in this package),
the built-in analysis and the agent's input section, chunked to the budget. What
it writes is grounded (every path, symbol and command checked against the merge
commit and the inputs) and the built-in facts block is appended again, so the
tiers after it read the same facts whichever engine ran.

Any failure (no answer, an API error, a refusal, an empty or cut-off answer, a
tripwire document that fails its schema twice) puts the built-in output in its
place and says why. Nothing here raises for a provider's sake: an LLM outage
makes a poorer plan, never no plan.

Each agent leaves ``<output>.llm.json`` beside its output, written before the
sentinel: model, tokens, seconds, cost, chunks, grounding counts, fallback.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from learnd.agents.context import AgentContext, AgentResult
from learnd.errors import LearndError
from learnd.facts import FactsError, extract_facts, facts_block, strip_facts
from learnd.inert import markdown_document, markdown_inline
from learnd.llm.broker import SOCKET_ENV, BrokerProvider, ParentGone, address
from learnd.llm.completion import Completion, CompletionResult, Message
from learnd.llm.context import (
    CHARS_PER_TOKEN,
    Chunk,
    Section,
    chunks,
    input_section,
)
from learnd.llm.cost import estimate_cost
from learnd.llm.errors import LLMError, one_line
from learnd.llm.settings import LLMSettings
from learnd.pipeline.protocol import atomic_write_json
from learnd.pipeline.roster import ENGINE_HEADING, PLAN_OUTPUT, PLAN_SYNTHESIZER, TRIPWIRE_EXTRACTOR
from learnd.plan_items import PlanItems, with_item_markers, without_item_markers
from learnd.redact import redact_json, redact_text
from learnd.tripwires import TripwireSchemaError, validate_candidates

if TYPE_CHECKING:  # the client imports the SDKs; only an agent that asks pays for that
    from learnd.llm.client import Provider

# Chunks of one agent asked at once; more would only queue at the provider.
MAX_PARALLEL_CHUNKS = 4

ProviderFactory = Callable[[LLMSettings, Mapping[str, str]], "Provider"]


class AgentFallback(LearndError):
    """The model's answer cannot be used; the built-in output takes its place."""


@dataclass
class Usage:
    """What one agent's requests cost, summed over chunks and the tripwire retry."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    models: set[str] = field(default_factory=set)
    request_ids: list[str] = field(default_factory=list)

    def add(self, result: CompletionResult) -> None:
        self.calls += 1
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        self.models.add(result.model)
        if result.request_id:
            self.request_ids.append(result.request_id)


def prompt(agent: str) -> str:
    """The system prompt of ``agent``: the shared rules, then its own."""
    folder = resources.files("learnd.llm") / "prompts"
    common = (folder / "common.md").read_text(encoding="utf-8")
    own = (folder / f"{agent}.md").read_text(encoding="utf-8")
    return f"{common.strip()}\n\n{own.strip()}\n"


def run_llm_agent(
    ctx: AgentContext,
    builtin: AgentResult,
    *,
    env: Mapping[str, str] | None = None,
    factory: ProviderFactory | None = None,
) -> AgentResult:
    """The agent's output under an LLM engine; never raises for the model's sake."""
    settings = LLMSettings.from_json(ctx.manifest["llm"])
    model = settings.model_for(ctx.slot.name)
    began = time.monotonic()
    usage = Usage()
    record: dict[str, Any] = {
        "agent": ctx.slot.key,
        "engine": settings.provider,
        "model": model,
    }
    environ = os.environ if env is None else env
    if factory is None and environ.get(SOCKET_ENV):
        name = environ[SOCKET_ENV]

        def factory(settings: LLMSettings, env: Mapping[str, str]) -> Provider:
            return BrokerProvider(settings, address(name))

    if factory is None:
        from learnd.llm.client import make_provider

        factory = make_provider
    try:
        with factory(settings, environ) as provider:
            writer = _Writer(ctx, settings, model, provider, usage, record)
            if ctx.slot.name == TRIPWIRE_EXTRACTOR:
                content = writer.tripwires(builtin.content)
            else:
                content = writer.prose(builtin.content)
        record["fallback"] = None
    except ParentGone:
        raise  # no output at all: the resumed run asks again
    except (LLMError, AgentFallback) as exc:
        record["fallback"] = one_line(redact_text(str(exc)))
        content = builtin.content
    except Exception as exc:  # a bug here must cost the model's prose, not the output
        traceback.print_exc()  # to the agent's log
        record["fallback"] = one_line(redact_text(f"internal error: {type(exc).__name__}: {exc}"))
        content = builtin.content
    if ctx.slot.name == PLAN_SYNTHESIZER:
        if record["fallback"] is None:
            # The model wrote this plan from untrusted text (PR, review, sessions,
            # docs) and it will be published: HTML, comments, entities and mentions
            # outside its code blocks are made inert, as the built-in plan writes them.
            content = _inert_plan(content)
        content = _with_engine_note(ctx, content, record)
    record.update(
        calls=usage.calls,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        seconds=round(time.monotonic() - began, 3),
        cost=estimate_cost(settings, usage.input_tokens, usage.output_tokens),
        request_ids=usage.request_ids[:20],
    )
    if usage.models and usage.models != {model}:
        record["answered_by"] = sorted(usage.models)
    atomic_write_json(ctx.run_dir.llm_record(ctx.slot.output), redact_json(record))
    return AgentResult(builtin.status, content, builtin.reason)


def _inert_plan(plan: str) -> str:
    """The model's plan made inert, then given back what only learnd writes: the
    built-in plan's hidden facts (its items as data) and each item's key on its
    checkbox line (:func:`learnd.plan_items.with_item_markers`), by which `learnd
    apply` reads a tick."""
    block = facts_block(plan)
    body = markdown_document(without_item_markers(strip_facts(plan)))
    try:
        body = with_item_markers(body, extract_facts(block, PlanItems))
    except FactsError:
        return body
    return f"{body.rstrip()}\n\n{block}"


class _Writer:
    def __init__(
        self,
        ctx: AgentContext,
        settings: LLMSettings,
        model: str,
        provider: Provider,
        usage: Usage,
        record: dict[str, Any],
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.model = model
        self.provider = provider
        self.usage = usage
        self.record = record
        self.system = prompt(ctx.slot.name)

    # -- markdown agents

    def prose(self, builtin: str) -> str:
        # The plan's item keys are learnd's to write, never the model's to copy.
        analysis = without_item_markers(strip_facts(builtin))
        section = input_section(self.ctx)
        parts = self._chunks(section, analysis)
        if len(parts) == 1:
            text = self._answer(self._message(analysis, section, parts[0]))
        else:
            # A mapping agent over budget: one request per chunk, at the same time.
            with ThreadPoolExecutor(min(MAX_PARALLEL_CHUNKS, len(parts))) as pool:
                answers = list(
                    pool.map(lambda c: self._answer(self._message(analysis, section, c)), parts)
                )
            text = _joined(self.ctx.slot.key, answers)
        grounded = self._ground(text, builtin)
        block = facts_block(builtin)
        return grounded if not block else f"{grounded.rstrip()}\n\n{block}"

    def _chunks(self, section: Section | None, analysis: str) -> list[Chunk]:
        if section is None or not section.parts:
            return [Chunk(1, 1, ())]
        tokens = self.settings.context_for(self.ctx.slot.name)
        budget = tokens * CHARS_PER_TOKEN - len(self.system) - len(analysis)
        cut = chunks(section, budget)
        self.record["chunks"] = len(cut)
        left_out = [label for c in cut for label in c.left_out]
        if left_out:
            self.record["left_out"] = left_out
        return cut

    def _message(self, analysis: str, section: Section | None, chunk: Chunk) -> str:
        target = self.ctx.target
        pr = f"#{target.pr.number}" if target.pr.number is not None else "(no PR number)"
        task = [
            "# Task",
            "",
            f"Agent: {self.ctx.slot.key}",
            f"Repository: {target.github or target.repo_name}",
            f"PR: {pr} {target.pr.title!r}",
            f"Merge commit: {target.merge_sha}",
        ]
        if chunk.count > 1:
            task.append(f"This is chunk {chunk.index} of {chunk.count} of the input below.")
        body = "\n".join(task) + "\n\n# Built-in analysis\n\n" + analysis
        if section is not None and chunk.parts:
            body += "\n" + chunk.render(section.title)
        return body

    def _answer(self, message: str) -> str:
        result = self._ask((Message("user", message),))
        return _usable(result)

    def _ask(self, messages: tuple[Message, ...]) -> CompletionResult:
        request = Completion(
            system=self.system,
            messages=messages,
            model=self.model,
            max_tokens=self.settings.max_tokens,
        )
        result = self.provider.complete(request)
        self.usage.add(result)
        return result

    def _ground(self, text: str, builtin: str) -> str:
        from learnd.llm.grounding import ground, proposed_paths

        proposed = proposed_paths(builtin)
        truth = self._truth(proposed)
        grounded, report = ground(text, truth, mode=self.settings.grounding, proposed=proposed)
        self.record["grounding"] = report.report_json()
        return grounded

    def _truth(self, proposed: set[str]) -> Any:
        from learnd.llm.grounding import GroundTruth

        target = self.ctx.target
        return GroundTruth.from_run(
            self.ctx.run_dir.path,
            self.ctx.repo,
            target.merge_sha,
            target.base_sha,
            proposed=proposed,
        )

    # -- the tripwire document

    def tripwires(self, builtin: str) -> str:
        from learnd.llm.grounding import ground_tripwires, proposed_paths

        section = input_section(self.ctx)
        parts = self._chunks(section, builtin)
        messages: tuple[Message, ...] = (
            Message("user", self._message(builtin, section, parts[0])),
        )
        document: dict[str, Any] | None = None
        error = ""
        for attempt in (1, 2):
            result = self._ask(messages)
            answer = _usable(result)
            try:
                document = _tripwire_json(answer)
                break
            except TripwireSchemaError as exc:
                error = str(exc)
                self.record["schema_errors"] = [*self.record.get("schema_errors", []), error]
                if attempt == 1:
                    # Asked once more, with what was wrong: models fix a named error
                    # far more often than they avoid it unprompted.
                    messages = (
                        *messages,
                        Message("assistant", answer),
                        Message(
                            "user",
                            f"That answer is not a valid tripwire document: {error}. "
                            'Answer again with only the JSON object {"candidates": [...]}, '
                            "following the schema exactly.",
                        ),
                    )
        if document is None:
            raise AgentFallback(f"tripwire JSON invalid after a retry: {error}")
        plan = self.ctx.run_dir.agents / PLAN_OUTPUT
        plan_text = plan.read_text(encoding="utf-8") if plan.exists() else ""
        proposed = proposed_paths(plan_text) | proposed_paths(builtin)
        kept, report = ground_tripwires(document, self._truth(proposed), proposed=proposed)
        self.record["grounding"] = report.report_json()
        kept = redact_json(kept)
        validate_candidates(kept)
        return json.dumps(kept, indent=2, ensure_ascii=False) + "\n"


def _usable(result: CompletionResult) -> str:
    text = result.answer().strip()  # Refused for a refusal
    if result.truncated:
        raise AgentFallback(
            f"the answer was cut off at max_tokens ({result.output_tokens} tokens); "
            "raise [llm] max_tokens"
        )
    if not text:
        raise AgentFallback("the model gave an empty answer")
    return text


def _tripwire_json(answer: str) -> dict[str, Any]:
    text = answer.strip()
    if text.startswith("```"):
        # A fence around the whole answer is the one liberty models take most; the
        # JSON inside is what was asked for.
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TripwireSchemaError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    validate_candidates(document)
    return dict(document)


def _joined(key: str, answers: list[str]) -> str:
    """Chunk answers as one document: a title, then each answer a level down."""
    out = [f"# {key} (analysed in {len(answers)} chunks)", ""]
    for i, answer in enumerate(answers, 1):
        out += [f"## Chunk {i} of {len(answers)}", ""]
        in_fence = False
        for line in answer.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            out.append(f"#{line}" if line.startswith("#") and not in_fence else line)
        out.append("")
    return "\n".join(out)


def _with_engine_note(ctx: AgentContext, content: str, own: Mapping[str, Any]) -> str:
    """The plan with a closing section on who wrote what, and what fell back."""
    body, block = strip_facts(content), facts_block(content)
    lines = [ENGINE_HEADING, ""]
    if own.get("fallback"):
        lines.append(
            f"The {own['engine']} engine could not write this plan "
            f"({markdown_inline(str(own['fallback']))}); this is the built-in engine's plan."
        )
    else:
        lines.append(f"Written by {own['engine']} `{own['model']}` from the built-in facts.")
    fallbacks = []
    for other in ctx.run_dir.llm_records():
        if other.get("fallback") and other.get("agent") != own["agent"]:
            fallbacks.append(f"- {other.get('agent')}: {markdown_inline(str(other['fallback']))}")
    if fallbacks:
        lines += ["", "These analyses are the built-in engine's, as the model failed:", *fallbacks]
    unverified = (own.get("grounding") or {}).get("unverified")
    if unverified:
        lines += [
            "",
            f"{unverified} reference(s) in this plan could not be verified against the "
            "merge commit or the run's inputs; they are marked or removed as listed above.",
        ]
    note = "\n".join(lines) + "\n"
    text = f"{body.rstrip()}\n\n{note}"
    return text if not block else f"{text}\n{block}"
