"""Webhook deliveries already taken, so that a redelivery is not taken twice.

GitHub names every delivery with a GUID (``X-GitHub-Delivery``) and keeps it when a
maintainer presses "Redeliver"; it redelivers nothing by itself, and only deliveries
of the past three days can be redelivered. The receiver records the id in the same
transaction as the run it queues, so an id is recorded exactly when its work is:
a delivery whose work could not be stored is not remembered, and its redelivery is
taken afresh. Ids older than the daemon's retention (a week) are pruned.
"""

from __future__ import annotations

from learnd.state.db import Database, StateError

# GitHub's ids are 36-character GUIDs; anything much longer is not one of them.
MAX_DELIVERY_ID = 200


class DeliveryStore(Database):
    def record_delivery(self, delivery_id: str, *, event: str, now: float | None = None) -> bool:
        """Remember ``delivery_id``; True when it was not known, False for a redelivery."""
        if not delivery_id or len(delivery_id) > MAX_DELIVERY_ID or not delivery_id.isprintable():
            raise StateError(f"not a webhook delivery id: {delivery_id[:MAX_DELIVERY_ID]!r}")
        stamp = self._now(now)
        with self._write() as conn:
            added = conn.execute(
                "INSERT OR IGNORE INTO webhook_deliveries (id, event, received_at)"
                " VALUES (?, ?, ?)",
                (delivery_id, event, stamp),
            ).rowcount
        return bool(added)

    def prune_deliveries(self, *, older_than: float) -> int:
        """Forget the deliveries received before ``older_than``; how many were."""
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM webhook_deliveries WHERE received_at < ?", (older_than,)
            ).rowcount
