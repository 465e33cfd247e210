"""The ``[feedback]`` settings: when earlier reviews change a plan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedbackSettings:
    # Off: plans are ranked as if nothing had been reviewed (reviews are still recorded).
    enabled: bool = True
    # A rule, kind or target doc is left out of plans once at least min_reviewed of its
    # items were reviewed and at least decline_ratio of them declined.
    min_reviewed: int = 5
    decline_ratio: float = 0.8
    # An item whose signature earlier plans of this many other PRs had is "recurring".
    recurrence_min: int = 1
    # Seconds between the daemon's looks at GitHub for closed plan issues.
    sync_interval: float = 900.0
