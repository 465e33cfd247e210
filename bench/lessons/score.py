#!/usr/bin/env python3
"""Score the lessons learnd's SessionAnalyzer emits against hand labels.

Run from the repository root::

    .venv/bin/python bench/lessons/score.py ../lessons-transcripts
    .venv/bin/python bench/lessons/score.py ../lessons-transcripts --verbose
    .venv/bin/python bench/lessons/score.py --outputs RUN_DIR/agents   # score kept outputs

For every labelled session found in the fixtures folder and in the folders given,
the SessionAnalyzer runs as its own process, exactly as ``learnd learn`` starts it
(``python -m learnd.agents SessionAnalyzer RUN_DIR --session ID``) on a run
directory whose ``run.json`` names the transcript and its subagents (built-in
engine). Its output, ``session-<id>.md``, is what gets scored: the lessons in its
"Lessons" section (in an older output: "Documentation opportunities"). ``--outputs`` scores
outputs already on disk instead, whichever engine wrote them: that is how an LLM
engine's run of ``learnd learn`` is scored.

Printed: recall of the required labelled lessons, precision (share of emitted
lessons that match a lesson label), the share of emitted lessons with a temporary
path, a raw UUID list or a notification quoted as the user, and lessons per session.
The rules are in ``bench/lessons/README.md``. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "claude"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from lessons import (  # noqa: E402 (bench/lessons/lessons.py, beside this script)
    DEFECTS,
    Emitted,
    Label,
    SessionScore,
    Totals,
    emitted_lessons,
    load_labels,
    score_session,
    totals,
)

from learnd.facts import to_jsonable  # noqa: E402
from learnd.gather.target import LearnTarget, PullRequestInfo  # noqa: E402
from learnd.pipeline.protocol import read_sentinel  # noqa: E402
from learnd.pipeline.roster import SESSION_ANALYZER, session_output  # noqa: E402
from learnd.pipeline.rundir import RunDir  # noqa: E402
from learnd.sessions.digest import sniff_kind  # noqa: E402
from learnd.sessions.roots import list_session_files  # noqa: E402

AGENT_TIMEOUT = 900.0
_SESSION_ID = re.compile(rb'"sessionId"\s*:\s*"([^"\\]{1,200})"')
_CODEX_ID = re.compile(rb'"type"\s*:\s*"session_meta".*?"id"\s*:\s*"([^"\\]{1,200})"')


class ScoreError(RuntimeError):
    """Something the user must fix before a score means anything; one line."""


# ---------------------------------------------------------------------------
# finding the transcripts


@dataclass(frozen=True)
class Transcript:
    session: str  # the sessionId its records carry
    root: Path
    main: Path
    subagents: tuple[Path, ...]
    kind: str  # claude | codex

    @property
    def name(self) -> str:
        return str(self.main.relative_to(self.root))


def _record_session_id(path: Path) -> str | None:
    """The session id the records carry: what the labels name, whatever the file is called."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError:
        return None
    found = _SESSION_ID.search(head) or _CODEX_ID.search(head)
    return found.group(1).decode("utf-8", "replace") if found else None


def find_transcripts(roots: Sequence[Path]) -> dict[str, Transcript]:
    """Every session under ``roots``, grouped the way learnd groups them (a main
    transcript and its subagents' files), keyed by the session id in its records."""
    found: dict[str, Transcript] = {}
    for root in roots:
        files = list_session_files([root])
        for problem in files.problems:
            print(f"  note: {problem}")
        groups = [(g.main.path, tuple(s.path for s in g.subagents)) for g in files.claude]
        groups += [(c.path, ()) for c in files.codex]
        for main, subagents in groups:
            sid = _record_session_id(main) or main.stem
            found.setdefault(sid, Transcript(sid, root, main, subagents, sniff_kind(main)))
    return found


def check_manifest(manifest: dict[str, Any], roots: Sequence[Path]) -> list[str]:
    """Files of the manifest that are present but differ from what was labelled."""
    wanted = [(f["file"], f["sha256"]) for f in manifest["fixtures"]["files"]]
    wanted += [(f["file"], f["sha256"]) for e in manifest["external"] for f in e["files"]]
    wrong = []
    for name, sha in wanted:
        for root in roots:
            path = root / name
            if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                wrong.append(str(path))
    return wrong


# ---------------------------------------------------------------------------
# running the SessionAnalyzer as learnd does


def _target(work: Path) -> LearnTarget:
    # The built-in SessionAnalyzer never reads the repository or the target.
    return LearnTarget(
        repo_path=str(work),
        repo_name="bench-lessons",
        github=None,
        merge_sha="0" * 40,
        base_sha="0" * 40,
        pr=PullRequestInfo(None, "bench/lessons scoring run", "", None, "", "merge-message"),
        docs=(),
    )


def run_analyzer(transcript: Transcript, work: Path) -> tuple[str, str]:
    """(output markdown, "") on success, ("", one-line reason) when the agent failed."""
    run_dir = RunDir.under(work / "state", f"bench-{transcript.session[:36]}")
    run_dir.remove()
    run_dir.create()
    entry = {
        "session_id": transcript.session,
        "kind": transcript.kind,
        "path": str(transcript.main),
        "subagents": [str(p) for p in transcript.subagents],
        "rule": "bench",
        "record": None,
        "detail": "bench/lessons: transcript named on the command line",
    }
    # The built-in engine: an LLM engine grounds what the model writes against the
    # merge commit, which this run does not have (see the README: score such runs
    # with --outputs).
    manifest = {"target": to_jsonable(_target(work)), "sessions": [entry], "engine": "builtin"}
    run_dir.write_manifest(manifest)
    command = [
        sys.executable,
        "-m",
        "learnd.agents",
        SESSION_ANALYZER,
        str(run_dir.path),
        "--session",
        transcript.session,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARND_GO")}
    log = run_dir.logs / f"{SESSION_ANALYZER}.log"
    with log.open("wb") as out:
        proc = subprocess.run(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=AGENT_TIMEOUT,
            check=False,
        )
    output = run_dir.agents / session_output(transcript.session)
    try:
        sentinel = read_sentinel(output)
    except Exception as exc:  # no sentinel: the process died; its log says why
        return "", f"no sentinel (exit {proc.returncode}): {exc}; log {log}"
    if sentinel.status != "ok":
        return "", f"agent {sentinel.status}: {sentinel.error or 'no reason given'}"
    return output.read_text(encoding="utf-8"), ""


def read_outputs(folder: Path) -> dict[str, str]:
    """``session-<id>.md`` files under ``folder`` (a run's ``agents/``, or a kept work dir)."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("session-*.md")):
        out.setdefault(path.stem[len("session-") :], path.read_text(encoding="utf-8"))
    return out


# ---------------------------------------------------------------------------
# printing


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def describe(score: SessionScore, verbose: bool) -> list[str]:
    lines = []
    label_of = {index: lid for lid, index in score.matched.items()}
    for label in score.labels:
        if not label.is_lesson:
            continue
        got = score.matched.get(label.id)
        mark = f"found as #{got}" if got else "MISSED"
        need = "required" if label.required else "optional"
        lines.append(f"    {label.id} [{label.kind}, {need}] {mark}: {label.statement[:90]}")
    if verbose:
        for lesson in score.lessons:
            what = f"matches {label_of[lesson.index]}" if lesson.index in label_of else "no label"
            if lesson.index in score.duplicates:
                what = "duplicate of a matched label"
            if lesson.index in score.traps:
                what += f"; about non-lesson {', '.join(score.traps[lesson.index])}"
            bad = score.defects.get(lesson.index) or ()
            flaw = f"; DEFECT: {', '.join(bad)}" if bad else ""
            head = " ".join(lesson.first_line.split())[:110] or "(not shown in the markdown)"
            lines.append(f"    emitted #{lesson.index} [{lesson.kind}] {what}{flaw}: {head}")
    return lines


def summary(t: Totals, loose: Totals, found: int, expected: int) -> list[str]:
    per = t.per_session
    mean = sum(per) / len(per) if per else 0.0
    defect_rows = [
        f"  {name}: {t.by_defect[name]} of {t.emitted} "
        f"({_pct(t.by_defect[name] / t.emitted if t.emitted else None)})"
        for name in DEFECTS
    ]
    return [
        "",
        f"## Figures ({found} of {expected} labelled transcripts scored)",
        "",
        f"recall (required lessons found):      {_pct(t.recall)}  "
        f"({t.required_found}/{t.required}; target >= 0.8)",
        f"precision (emitted lessons matching): {_pct(t.precision)}  "
        f"({t.emitted_matched}/{t.emitted}; target >= 0.8)",
        f"emitted lessons with a defect:        {_pct(t.defect_share)}  "
        f"({t.with_defect}/{t.emitted}; target 0)",
        *defect_rows,
        f"lessons per session:                  mean {mean:.1f}, max {max(per, default=0)} "
        f"(per transcript: {', '.join(str(n) for n in per)}; target <= 5)",
        f"optional lessons found:               {t.optional_found}/{t.optional}",
        f"duplicates (match an already-matched label): {t.duplicates}",
        f"unmatched lessons about a labelled non-lesson: {t.trap_hits}",
        f"ignoring kind: recall {_pct(loose.recall)}, precision {_pct(loose.precision)}",
    ]


def to_json(scores: Sequence[SessionScore], t: Totals, loose: Totals) -> dict[str, Any]:
    def lesson(e: Emitted, s: SessionScore) -> dict[str, Any]:
        label = next((lid for lid, i in s.matched.items() if i == e.index), None)
        return {
            "index": e.index,
            "kind": e.kind,
            "text": e.text,
            "label": label,
            "duplicate": e.index in s.duplicates,
            "traps": s.traps.get(e.index, []),
            "defects": list(s.defects.get(e.index, ())),
        }

    def figures(x: Totals) -> dict[str, Any]:
        return {
            "recall": x.recall,
            "precision": x.precision,
            "defect_share": x.defect_share,
            "required": x.required,
            "required_found": x.required_found,
            "optional": x.optional,
            "optional_found": x.optional_found,
            "emitted": x.emitted,
            "emitted_matched": x.emitted_matched,
            "by_defect": x.by_defect,
            "per_session": list(x.per_session),
        }

    return {
        "figures": figures(t),
        "ignoring_kind": figures(loose),
        "sessions": [
            {
                "session": s.session,
                "transcript": s.name,
                "matched": s.matched,
                "lessons": [lesson(e, s) for e in s.lessons],
            }
            for s in scores
        ],
    }


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "transcripts", nargs="*", type=Path, help="folders of transcripts (fetch.py's folder)"
    )
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="default: %(default)s")
    parser.add_argument("--no-fixtures", action="store_true", help="do not add the fixtures")
    parser.add_argument("--labels", type=Path, default=HERE / "labels.jsonl")
    parser.add_argument("--manifest", type=Path, default=HERE / "transcripts.json")
    parser.add_argument("--outputs", type=Path, help="score session-*.md found here; run nothing")
    parser.add_argument("--keep", type=Path, help="keep the run directories here")
    parser.add_argument("--json", type=Path, help="also write every figure and lesson here")
    parser.add_argument("--verbose", "-v", action="store_true", help="list each emitted lesson")
    args = parser.parse_args(argv)
    try:
        return _main(args)
    except ScoreError as exc:
        print(f"score.py: {exc}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    labels = load_labels(args.labels)
    by_session: dict[str, list[Label]] = {}
    for label in labels:
        by_session.setdefault(label.session, []).append(label)
    expected = len(by_session)
    outputs: dict[str, str] = {}
    found: dict[str, Transcript] = {}
    if args.outputs is not None:
        outputs = read_outputs(args.outputs)
        print(f"scoring {len(outputs)} output(s) under {args.outputs}")
    else:
        roots = [] if args.no_fixtures else [args.fixtures]
        roots += list(args.transcripts)
        for root in roots:
            if not root.is_dir():
                hint = " (pass --fixtures DIR or --no-fixtures)" if root == args.fixtures else ""
                raise ScoreError(f"{root}: not a folder of transcripts{hint}")
        manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
        wrong = check_manifest(manifest, roots)
        if wrong:
            raise ScoreError(
                f"{wrong[0]} differs from the labelled file (sha256 in {args.manifest.name})"
            )
        found = find_transcripts(roots)
        print(f"engine: builtin; {len(found)} session(s) under " + ", ".join(map(str, roots)))
    work_ctx = tempfile.TemporaryDirectory(prefix="lessons-score-") if args.keep is None else None
    work = Path(work_ctx.name) if work_ctx else args.keep.resolve()
    scores: list[SessionScore] = []
    loose: list[SessionScore] = []
    missing: list[str] = []
    failed: list[str] = []
    try:
        order = list(by_session)
        for n, session in enumerate(order, 1):
            session_labels = by_session[session]
            name = session_labels[0].file
            prefix = f"[{n}/{len(order)}] {name} ({session[:8]})"
            if args.outputs is not None:
                if session not in outputs:
                    missing.append(name)
                    print(f"{prefix}: no session-{session}.md, not scored", flush=True)
                    continue
                markdown, seconds = outputs[session], None
            else:
                transcript = found.get(session)
                if transcript is None:
                    missing.append(name)
                    print(f"{prefix}: transcript not found, not scored", flush=True)
                    continue
                print(f"{prefix}: running {SESSION_ANALYZER} ...", end="", flush=True)
                began = time.monotonic()
                markdown, error = run_analyzer(transcript, work)
                seconds = time.monotonic() - began
                if error:
                    failed.append(name)
                    print(f" failed after {seconds:.1f} s: {error}", flush=True)
                    markdown = ""
            lessons = emitted_lessons(markdown, session)
            s = score_session(session, name, session_labels, lessons, strict_kind=True)
            scores.append(s)
            loose.append(score_session(session, name, session_labels, lessons, strict_kind=False))
            took = f" {seconds:.1f} s," if seconds is not None else ""
            bad = sum(1 for d in s.defects.values() if d)
            req = s.required
            found_req = sum(1 for label in req if label.id in s.matched)
            print(
                f"{'' if seconds is not None else prefix + ':'}{took} {len(lessons)} lesson(s) "
                f"emitted, {len(s.matched_lessons)} match a label, {bad} with a defect; "
                f"required found {found_req}/{len(req)}",
                flush=True,
            )
            for line in describe(s, args.verbose):
                print(line)
    finally:
        if work_ctx is not None:
            work_ctx.cleanup()
    t, lt = totals(scores), totals(loose)
    for line in summary(t, lt, len(scores), expected):
        print(line)
    if missing:
        print(f"not scored (missing): {', '.join(missing)}")
        if args.outputs is None:
            print("  fetch the external ones with: .venv/bin/python bench/lessons/fetch.py DIR")
    if failed:
        print(f"agent failed on: {', '.join(failed)} (scored as emitting nothing)")
    if args.keep is not None and args.outputs is None:
        print(f"run directories kept under {work / 'state' / 'runs'}")
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(scores, t, lt), indent=2) + "\n", encoding="utf-8")
        print(f"details written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
