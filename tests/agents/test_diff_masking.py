"""Edited files are parsed with the definitions both sides share blanked out.

Each test commits a real change to a real repository and checks that the
analysis still reports exactly what a parse of both whole sides reports: the
masking must never drop, invent or misplace a change.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.agents.diff_analyzer import analyze
from learnd.analysis.api_cache import ApiCache
from learnd.analysis.pool import PARALLEL_FROM
from learnd.analysis.python_api import USAGE_HINTS, diff_api, extract_api
from learnd.analysis.segments import mask_shared
from learnd.git import GitRepo


def function(name: str, params: str = "items", body: int | None = None) -> str:
    # Each name its own body, so that a rename is recognisable as one.
    body = sum(map(ord, name)) if body is None else body
    return (
        f"def {name}({params}):\n"
        f'    """{name.capitalize()} the items."""\n'
        f"    total = {body}\n"
        "    for item in items:\n"
        "        total += item\n"
        "    return total\n\n\n"
    )


def big_module(names: list[str], **edits: str) -> str:
    header = '"""A big module."""\n\nfrom __future__ import annotations\n\nLIMIT = 10\n\n\n'
    return header + "".join(edits.get(n, function(n)) for n in names)


def analysis(b: Any, base: str, merge: str) -> Any:
    repo = GitRepo.open(b.root)
    patch = io.BytesIO()
    repo.write_diff(base, merge, patch)
    patch.seek(0)
    return analyze(repo, base, merge, patch)


def whole_file_changes(b: Any, base: str, merge: str) -> set[tuple[Any, ...]]:
    """The changes a parse of both whole sides of every edited file finds."""
    repo = GitRepo.open(b.root)
    old, new, renamed = {}, {}, {}
    for c in repo.changed_paths(base, merge):
        old_path = c.old_path or c.path
        if c.old_blob:
            (blob,) = repo.read_blob_ids([(old_path, c.old_blob)])
            old[old_path] = extract_api((blob.data or b"").decode(), old_path)
        if c.new_blob:
            (blob,) = repo.read_blob_ids([(c.path, c.new_blob)])
            new[c.path] = extract_api((blob.data or b"").decode(), c.path)
        if c.old_path:
            renamed[c.path] = c.old_path
    return {_key(s) for s in diff_api(old, new, renamed)}


def _key(s: Any) -> tuple[Any, ...]:
    return (s.kind, s.change, s.name, s.old_name, s.path, s.line, s.old_line, s.signature)


def reported(facts: Any) -> set[tuple[Any, ...]]:
    return {_key(s) for s in facts.symbols}


NAMES = [f"step_{i:02d}" for i in range(40)]


def test_one_signature_change_in_a_big_file_is_reported_with_its_line(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("sig")
    base = b.commit("init", {"pkg/big.py": big_module(NAMES)})
    after = big_module(NAMES, step_25=function("step_25", "items, *, strict=False"))
    merge = b.commit("strict (#1)", {"pkg/big.py": after})
    # The other 39 definitions are shared, so masking does apply here.
    assert mask_shared(big_module(NAMES), after, USAGE_HINTS) is not None
    facts = analysis(b, base, merge)
    (change,) = facts.symbols
    assert (change.change, change.name, change.signature) == (
        "signature_changed",
        "step_25",
        "step_25(items, *, strict=False)",
    )
    assert change.line == after.splitlines().index("def step_25(items, *, strict=False):") + 1
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_a_rename_a_removal_and_an_addition_between_shared_definitions(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("mixed")
    base = b.commit("init", {"pkg/big.py": big_module(NAMES)})
    names = [n for n in NAMES if n != "step_30"]  # step_30 removed
    names.insert(12, "collect")  # a new one in the middle
    renamed = function("step_five", body=sum(map(ord, "step_05")))
    after = big_module(names, step_05=renamed, collect=function("collect", "rows"))
    merge = b.commit("reshape (#2)", {"pkg/big.py": after})
    facts = analysis(b, base, merge)
    changes = {(s.change, s.old_name, s.name) for s in facts.symbols}
    assert changes == {
        ("renamed", "step_05", "step_five"),
        ("removed", None, "step_30"),
        ("added", None, "collect"),
    }
    assert reported(facts) == whole_file_changes(b, base, merge)


def widget_class(name: str, methods: list[str], *, seed: str, edited: str = "") -> str:
    # ``seed`` (the class's first name) keeps each class's code its own across a rename.
    body = "".join(
        f"    def {m}(self, items):\n"
        f"        total = {sum(map(ord, seed + m))}\n"
        f"        for item in items:\n"
        f"            total += item{' * 2' if m == edited else ''}\n"
        f"        return {name}(total)\n\n"
        for m in methods
    )
    return f'class {name}:\n    """A {name}."""\n\n{body}\n'


def test_classes_renamed_or_kept_in_a_big_file_match_whole_file_parsing(
    repo_builder: Callable[[str], Any],
) -> None:
    # Methods on both sides are matched by name and left unhashed, unless their
    # class is renamed away (then they follow it, by their prints).
    methods = ["load", "save", "close", "reset"]
    classes = [f"Part{i}" for i in range(12)]

    def module(renamed: dict[str, str], edited: dict[str, str]) -> str:
        return big_module(NAMES[:10]) + "".join(
            widget_class(renamed.get(c, c), methods, seed=c, edited=edited.get(c, ""))
            for c in classes
        )

    b = repo_builder("classes")
    base = b.commit("init", {"pkg/big.py": module({}, {})})
    after = module({"Part3": "Piece3", "Part7": "Piece7"}, {"Part7": "save", "Part9": "load"})
    after = after.replace(
        "    def reset(self, items):\n        total = ",
        "    def wipe(self, items):\n        total = ",
        1,
    )
    merge = b.commit("rename parts (#9)", {"pkg/big.py": after})
    facts = analysis(b, base, merge)
    renames = {(s.old_name, s.name) for s in facts.symbols if s.change == "renamed"}
    assert {("Part3", "Piece3"), ("Part0.reset", "Part0.wipe")} <= renames
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_definitions_only_their_bodies_changed_match_whole_file_parsing(
    repo_builder: Callable[[str], Any],
) -> None:
    # Body-only edits are blanked by their outlines; what follows a function in its
    # segment (module code binding names under an `if`) is outline too, and a name
    # a blanked segment binds must not hide a later definition's change.
    def module(body: int, helper: str, value: str) -> str:
        return big_module(
            NAMES[:12],
            step_03=function("step_03", body=body)
            + f"if LIMIT:\n    def {helper}:\n        return LIMIT\n\n\n",
            step_07=function("step_07", body=body + 1) + f"step_08 = {value}\n\n\n",
        )

    b = repo_builder("bodies")
    base = b.commit("init", {"pkg/big.py": module(1, "helper(a)", "None")})
    merge = b.commit("bodies (#10)", {"pkg/big.py": module(2, "helper(a, b)", "len")})
    facts = analysis(b, base, merge)
    changes = {(s.change, s.name) for s in facts.symbols}
    assert ("signature_changed", "helper") in changes
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_a_removed_decorator_moves_a_segment_boundary_and_is_still_seen(
    repo_builder: Callable[[str], Any],
) -> None:
    before = big_module(NAMES).replace("def step_10(", "@staticmethod\ndef step_10(")
    b = repo_builder("decorator")
    base = b.commit("init", {"pkg/big.py": before})
    merge = b.commit("plain (#3)", {"pkg/big.py": big_module(NAMES)})
    facts = analysis(b, base, merge)
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_code_quoted_at_column_0_in_a_string_is_not_a_definition(
    repo_builder: Callable[[str], Any],
) -> None:
    quoting = (
        "def render(items):\n"
        '    """Render the items."""\n'
        '    source = """\n'
        "def generated(a, b):\n"
        "    return a\n"
        '"""\n'
        "    return source\n\n\n"
    )
    before = big_module(NAMES, step_20=quoting)
    after = big_module(NAMES, step_20=quoting.replace("render(items)", "render(items, width)"))
    b = repo_builder("quoted")
    base = b.commit("init", {"pkg/big.py": before})
    merge = b.commit("width (#4)", {"pkg/big.py": after})
    facts = analysis(b, base, merge)
    assert {(s.change, s.name) for s in facts.symbols} == {("signature_changed", "render")}
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_a_name_also_defined_in_a_shared_definition_keeps_its_first_definition(
    repo_builder: Callable[[str], Any],
) -> None:
    # The first definition of a name is the one callers get; the second, edited
    # one changes nothing public. Parsing only the edited one would say it did.
    redefined = "def step_00(items, extra=1):\n    return items\n\n\n"
    before = big_module([*NAMES, "again"], again=redefined)
    after = big_module([*NAMES, "again"], again=redefined.replace("extra=1", "extra=2"))
    b = repo_builder("redefined")
    base = b.commit("init", {"pkg/big.py": before})
    merge = b.commit("tweak (#5)", {"pkg/big.py": after})
    facts = analysis(b, base, merge)
    assert facts.symbols == ()
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_an_environment_variable_still_read_in_a_shared_definition_is_not_removed(
    repo_builder: Callable[[str], Any],
) -> None:
    reader = function("step_03").replace(
        "    return total\n", '    return total + int(os.environ["APP_LIMIT"])\n'
    )
    before = "import os\n\n\n" + big_module(
        NAMES, step_03=reader, step_33=reader.replace("03", "33")
    )
    after = "import os\n\n\n" + big_module(NAMES, step_03=reader)  # step_33 stops reading it
    b = repo_builder("env")
    base = b.commit("init", {"pkg/big.py": before})
    merge = b.commit("less env (#6)", {"pkg/big.py": after})
    facts = analysis(b, base, merge)
    assert not [s for s in facts.symbols if s.kind == "env_var"]
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_random_edits_over_many_files_match_whole_file_parsing(
    repo_builder: Callable[[str], Any],
) -> None:
    """Renames, signature changes, removals, additions and body edits, on the pool."""
    rng = random.Random(7)
    count = PARALLEL_FROM + 8
    names = {i: [f"f{i}_{k}" for k in range(12)] for i in range(count)}
    b = repo_builder("random")
    base = b.commit("init", {f"pkg/m{i}.py": big_module(names[i]) for i in range(count)})
    changes: dict[str, str | bytes | None] = {}
    for i in range(count):
        kept = list(names[i])
        edits: dict[str, str] = {}
        for name in rng.sample(kept, 3):
            pick = rng.random()
            if pick < 0.25:
                edits[name] = function(name + "_renamed", body=sum(map(ord, name)))
            elif pick < 0.5:
                edits[name] = function(name, "items, limit=3")
            elif pick < 0.75:
                edits[name] = function(name, body=rng.randint(1, 99))
            else:
                kept.remove(name)
        if rng.random() < 0.5:
            kept.insert(rng.randrange(len(kept)), f"f{i}_added")
        changes[f"pkg/m{i}.py"] = big_module(kept, **edits)
    merge = b.commit("many edits (#7)", changes)
    facts = analysis(b, base, merge)
    assert len(facts.symbols) > count
    assert reported(facts) == whole_file_changes(b, base, merge)


def test_a_masked_pair_is_kept_in_the_cache_and_gives_the_same_answer_again(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("cached")
    base = b.commit("init", {"pkg/big.py": big_module(NAMES)})
    after = big_module(NAMES, step_07=function("step_07", "items, limit=2"))
    merge = b.commit("limit (#8)", {"pkg/big.py": after})
    repo = GitRepo.open(b.root)

    def run(cache: ApiCache) -> Any:
        patch = io.BytesIO()
        repo.write_diff(base, merge, patch)
        patch.seek(0)
        try:
            return analyze(repo, base, merge, patch, cache=cache)
        finally:
            cache.close()

    cold = run(ApiCache(tmp_path / "api.sqlite3"))
    (change,) = repo.changed_paths(base, merge)
    cache = ApiCache(tmp_path / "api.sqlite3")
    # ":alone": no other entry renames from its path, so its shared names go unhashed.
    keys = {f"{change.old_blob}..{change.new_blob}:{side}:alone" for side in ("old", "new")}
    assert set(cache.get_many(keys)) == keys
    assert run(cache) == cold
    assert [(s.change, s.name) for s in cold.symbols] == [("signature_changed", "step_07")]
