"""Errors a user can cause, each shown as one line with a distinct exit status."""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2


class LearndError(Exception):
    """An error with a message fit to show a user as it is, on one line."""

    exit_status = EXIT_RUN_FAILED


class UsageError(LearndError):
    """Bad flags, bad configuration, a path that is not a repository, an unknown revision."""

    exit_status = EXIT_USAGE


class ConfigError(UsageError):
    """The configuration file is unreadable or names an unknown key or a wrong type."""


class GitError(UsageError):
    """git refused what we asked: not a repository, unknown revision."""


class RunFailed(LearndError):
    """The pipeline ran but produced no plan."""
