"""Entry point of one built-in agent process.

The start time is taken before anything heavy is imported, so the agent's own
time in its sentinel includes its start-up cost and the parent's overhead figure
stays honest.
"""

from learnd.pipeline.protocol import utc_now

STARTED = utc_now()

import sys  # noqa: E402

from learnd.agents.host import main  # noqa: E402

sys.exit(main(sys.argv[1:], started=STARTED))
