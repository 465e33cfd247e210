"""GitHub webhooks: merges reported the moment they happen, with polling as the safety net.

The daemon runs a small HTTP receiver (``[webhook]`` in the configuration, on
127.0.0.1 behind a reverse proxy or tunnel by default). A delivery goes through:

- :mod:`~learnd.webhook.server`: the HTTP side. One thread per connection, a cap on
  connections, a cap on the body, and a deadline for the whole request, so a slow
  client (slowloris) is cut off however it trickles its bytes;
- :mod:`~learnd.webhook.signature` and :mod:`~learnd.webhook.secret`: the
  ``X-Hub-Signature-256`` HMAC over the raw body, against the secret from a file or
  the systemd credential ``webhook-secret``;
- :mod:`~learnd.webhook.events`: the verified JSON as what learnd acts on (a merged
  pull request, a push to a branch, a ping) or as ignored, with the reason;
- :mod:`~learnd.webhook.intake`: the delivery id and the run queued in one SQLite
  transaction (a push goes to the spool, where the git hooks' requests go), then the
  answer: 202, within milliseconds; the run itself happens later, from the queue.
"""
