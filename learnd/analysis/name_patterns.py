"""Patterns in many names: one template for many added names, one rule for many renames.

A merge that adds ``SVC_0_TIMEOUT`` … ``SVC_199_TIMEOUT`` or renames ``handle_N`` to
``process_N`` in a thousand modules made one change many times; a plan shows it
once, as a template and its values. Templates come from the names alone, split
into tokens (digit runs, words, case changes, separators), never from a list of
known names:

- :func:`name_template`: digit runs become ``<N>`` (``SVC_12_TIMEOUT`` →
  ``SVC_<N>_TIMEOUT``); names sharing one template are one pattern.
- :func:`rename_rule`: the tokens a rename changed, with the tokens it kept on
  either side left out (``handle_12_0`` → ``process_12_0`` is ``handle`` →
  ``process``); renames sharing a rule are one pattern.
- :func:`shown_template`: a pattern written for a reader, only the digit runs that
  vary across its names as ``<N>`` (``handle_<N>_0``, not ``handle_<N>_<N>``).
- :func:`number_ranges`: the values a ``<N>`` takes, as ``0–199`` rather than two
  hundred numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Digit runs, letter runs split at a lower→upper case change, anything else
# (separators) one character at a time.
_TOKEN = re.compile(r"[0-9]+|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[A-Za-z]+|.", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
NUMBER = "<N>"


def tokens(name: str) -> list[str]:
    """``name`` split into tokens that join back into it."""
    return _TOKEN.findall(name)


def name_template(name: str) -> str:
    """``name`` with every digit run as ``<N>``."""
    return _DIGITS.sub(NUMBER, name)


def rename_rule(old: str, new: str) -> tuple[str, str]:
    """What a rename changed: the tokens between the longest common head and tail
    of the two names (digit runs as ``<N>``), old then new. Two renames with one
    rule made the same edit to different names."""
    a, b = tokens(old), tokens(new)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    old_mid = "".join(a[head : len(a) - tail])
    new_mid = "".join(b[head : len(b) - tail])
    return name_template(old_mid), name_template(new_mid)


def shown_template(names: Sequence[str]) -> str:
    """The names' shared template, written with ``<N>`` only where their digits
    differ; the first name's own template when they share none."""
    if not names:
        return ""
    split = [_DIGITS.split(n) for n in names]
    numbers = [_DIGITS.findall(n) for n in names]
    first_parts, first_numbers = split[0], numbers[0]
    if any(parts != first_parts for parts in split):
        return name_template(names[0])
    out = [first_parts[0]]
    for index, value in enumerate(first_numbers):
        varies = any(nums[index] != value for nums in numbers)
        out.append(NUMBER if varies else value)
        out.append(first_parts[index + 1])
    return "".join(out)


def varying_numbers(names: Sequence[str]) -> list[int]:
    """The values the first varying digit run of ``names`` takes, sorted, unique."""
    numbers = [_DIGITS.findall(n) for n in names]
    if not numbers or any(len(nums) != len(numbers[0]) for nums in numbers):
        return []
    for index in range(len(numbers[0])):
        values = {nums[index] for nums in numbers}
        if len(values) > 1:
            return sorted({int(v) for v in values})
    return []


def number_ranges(values: Sequence[int], *, limit: int = 12) -> str:
    """Sorted unique integers as runs: ``0–99, 120, 130–139``; after ``limit`` runs,
    how many values the rest hold."""
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    shown = [str(a) if a == b else f"{a}–{b}" for a, b in runs[:limit]]
    rest = sum(b - a + 1 for a, b in runs[limit:])
    return ", ".join(shown) + (f" and {rest:,} more" if rest else "")
