"""The built-in agents. Each runs as its own process: ``python -m learnd.agents NAME RUN_DIR``."""
