"""The state database as one object: repositories and their poll state, and the run queue."""

from __future__ import annotations

from learnd.state.repos import RepoStore
from learnd.state.runs import RunQueue


class StateDB(RepoStore, RunQueue):
    """``StateDB.open(state_dir)``: see :mod:`learnd.state.db` for the file and its rules,
    :mod:`learnd.state.repos` and :mod:`learnd.state.runs` for the operations."""
