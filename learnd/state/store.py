"""The state database as one object: repositories and their poll state, the run queue,
the webhook deliveries taken, the plan issues published and their reviews."""

from __future__ import annotations

from learnd.state.deliveries import DeliveryStore
from learnd.state.plans import PlanStore
from learnd.state.repos import RepoStore
from learnd.state.reviews import ReviewStore
from learnd.state.runs import RunQueue


class StateDB(RepoStore, RunQueue, DeliveryStore, PlanStore, ReviewStore):
    """``StateDB.open(state_dir)``: see :mod:`learnd.state.db` for the file and its rules,
    :mod:`learnd.state.repos`, :mod:`learnd.state.runs` and :mod:`learnd.state.deliveries`
    for the operations."""
