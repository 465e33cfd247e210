"""Entry point of one built-in agent process.

The clock is read before anything else is imported, so the agent's own time in
its sentinel includes loading its code, and the parent's overhead figure counts
only what the parent does.
"""

import time

STARTED_AT = time.time()

import sys  # noqa: E402

from learnd.agents.host import main  # noqa: E402
from learnd.pipeline.protocol import utc_stamp  # noqa: E402

sys.exit(main(sys.argv[1:], started=utc_stamp(STARTED_AT)))
