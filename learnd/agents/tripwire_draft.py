"""The draft of a tripwire item: the frontmatter entry, placed where its doc keeps them.

erk-style docs keep tripwires in a ``tripwires:`` list in their frontmatter. The
draft extends that list when the doc has one (never a second ``tripwires:`` key),
adds the key to a frontmatter that lacks it, adds a frontmatter block to a doc that
has none, and says so plainly when the doc does not exist yet.
"""

from __future__ import annotations

import json

from learnd.agents.doc_targets import DocTargets
from learnd.inert import code_span, fenced


def tripwire_draft(action: str, warning: str, target: str, docs: DocTargets) -> tuple[str, ...]:
    entry = [f"  - action: {_yaml_str(action)}", f"    warning: {_yaml_str(warning)}"]
    doc = code_span(target)
    if not docs.exists(target):
        intro = f"New doc {doc} (it does not exist yet; this item proposes it):"
        body = ["---", "tripwires:", *entry, "---"]
    elif docs.has_tripwires(target):
        intro = f"Append to the `tripwires:` list in the frontmatter of {doc}:"
        body = entry
    elif docs.has_frontmatter(target):
        intro = f"Add a `tripwires:` key to the frontmatter of {doc}:"
        body = ["tripwires:", *entry]
    else:
        intro = f"{doc} has no frontmatter yet; add this block at its very top:"
        body = ["---", "tripwires:", *entry, "---"]
    return (intro, "", *fenced(body, "yaml"))


def _yaml_str(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: quotes, backslashes, line breaks
    # and control characters all come out escaped, on one line.
    return json.dumps(value, ensure_ascii=False)
