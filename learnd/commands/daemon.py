"""``learnd daemon``: run the service in the foreground (systemd's Type=notify)."""

from __future__ import annotations

import os
import sys
from typing import Any

from learnd.config import Config, load_config
from learnd.progress import Progress


def run(args: Any, config: Config, progress: Progress) -> int:
    # Imported here: the scheduler and the service cost an import that the other
    # commands (and the git hook's enqueue) should not pay.
    from learnd.daemon.service import Daemon
    from learnd.github.auth import find_token
    from learnd.github.settings import with_environment
    from learnd.logs import configure, register_secret
    from learnd.systemd import Notifier, watchdog_interval

    configure(level=config.daemon.log_level, stream=sys.stdout)
    env = dict(os.environ)
    token = find_token(with_environment(config.github, env), env)
    if token is not None:
        # Masked by value in every log line, whatever its format.
        register_secret(token.reveal())
    if config.queue.remote:
        from learnd.queue import require_scale
        from learnd.queue.broker_url import broker_url, mask_password

        require_scale()
        mask_password(broker_url(config.queue, env))

    def reload() -> Config:
        return load_config(args.config, state_dir=args.state_dir)

    daemon = Daemon(
        reload,
        env=env,
        notifier=Notifier.from_env(env),
        watchdog_interval=watchdog_interval(env),
    )
    return daemon.run()
