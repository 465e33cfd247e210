"""An external agent for tests: follows (or breaks) the protocol as its first argument says.

It never imports learnd, to show that any program can take part.
"""

import hashlib
import json
import os
import subprocess
import sys
import time

mode = sys.argv[1]
output = os.environ["LEARND_OUTPUT"]
sentinel = os.environ["LEARND_SENTINEL"]
log = os.environ.get("FAKE_AGENT_LOG")
if log:
    with open(log, "a") as fh:
        fh.write(os.environ["LEARND_AGENT"] + "\n")


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def finish(content, status="ok", sha=None, error=None):
    if content is not None:
        write(output, content)
    doc = {
        "agent": os.environ["LEARND_AGENT"],
        "status": status,
        "started": "2026-11-01T10:00:00.000Z",
        "finished": "2026-11-01T10:00:01.000Z",
        "bytes": len(content or b""),
        "sha256": sha
        if sha is not None
        else (hashlib.sha256(content).hexdigest() if content is not None else None),
        "error": error,
    }
    write(sentinel, json.dumps(doc).encode())


if mode == "ok":
    finish(b"# fine\n")
elif mode.startswith("sleep-ok:"):
    time.sleep(float(mode.split(":", 1)[1]))
    finish(b"# slow but fine\n")
elif mode == "crash":
    sys.exit(3)
elif mode == "hang":
    child = subprocess.Popen(["sleep", "300"])
    with open(os.environ["FAKE_AGENT_CHILD"], "w") as fh:
        fh.write(str(child.pid))
    time.sleep(300)
elif mode == "badhash":
    finish(b"# content\n", sha="0" * 64)
elif mode == "torn":
    with open(sentinel, "w") as fh:
        fh.write('{"agent": "X", "sta')
elif mode == "nooutput":
    write(
        sentinel,
        json.dumps(
            {
                "agent": "X",
                "status": "ok",
                "started": "",
                "finished": "",
                "bytes": 3,
                "sha256": "a" * 64,
                "error": None,
            }
        ).encode(),
    )
elif mode == "failed":
    finish(None, status="failed", error="model refused")
else:
    sys.exit(f"unknown mode {mode}")
