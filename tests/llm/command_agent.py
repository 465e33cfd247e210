"""An agent for ``engine = "command"`` tests: any program that follows the protocol.

Run as ``command_agent.py AGENT`` it writes a small markdown output naming the inputs
and upstream outputs it was told about (``LEARND_INPUTS``, ``LEARND_AGENTS_DIR``),
or an empty tripwire list for the TripwireExtractor, then the sentinel. Run as
``command_agent.py hang`` it never answers. It does not import learnd.
"""

import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


started = stamp()
agent = sys.argv[1]
if agent == "hang":
    time.sleep(300)
    sys.exit(1)
output, sentinel = os.environ["LEARND_OUTPUT"], os.environ["LEARND_SENTINEL"]
if agent == "TripwireExtractor":
    content = json.dumps({"candidates": []}).encode()
else:
    inputs = sorted(os.listdir(os.environ["LEARND_INPUTS"]))
    upstream = sorted(
        n for n in os.listdir(os.environ["LEARND_AGENTS_DIR"]) if n.endswith((".md", ".json"))
    )
    lines = [f"# {agent} by command_agent.py", "", f"inputs: {', '.join(inputs)}"]
    lines.append(f"upstream: {', '.join(upstream) or 'none'}")
    content = ("\n".join(lines) + "\n").encode()
write(output, content)
done = {
    "agent": agent,
    "status": "ok",
    "started": started,
    "finished": stamp(),
    "bytes": len(content),
    "sha256": hashlib.sha256(content).hexdigest(),
    "error": None,
}
write(sentinel, json.dumps(done).encode())
