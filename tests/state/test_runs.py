"""The run queue: one run per merge, claiming, backoff, retry, orphans, pruning."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from learnd.state import StateDB, StateError

T = 1_800_000_000.0


def sha(n: int) -> str:
    return f"{n:040x}"


# -- one merge, one run -------------------------------------------------------------


def test_a_new_merge_is_queued_once(db: StateDB, repo_key: str) -> None:
    run, new = db.enqueue_run(repo_key, pr=7, merge_sha=sha(1), trigger="poll", now=T)
    assert new
    assert (run.repo_key, run.pr, run.merge_sha, run.status) == (repo_key, 7, sha(1), "queued")
    assert (run.trigger, run.triggers, run.attempts, run.next_attempt_at) == (
        "poll",
        ("poll",),
        0,
        T,
    )
    again, new = db.enqueue_run(repo_key, pr=7, merge_sha=sha(1), trigger="poll", now=T + 5)
    assert not new
    assert again == run  # nothing to record: not even updated_at moves
    assert db.queue_depth() == 1


def test_hook_then_poll_is_one_run_and_the_poll_fills_in_the_pr(db: StateDB, repo_key: str) -> None:
    hooked, new = db.enqueue_run(
        repo_key, pr=None, merge_sha=sha(1), trigger="hook", source_detail="/srv/git/widgets"
    )
    assert new and hooked.pr is None
    polled, new = db.enqueue_run(
        repo_key, pr=42, merge_sha=sha(1).upper(), trigger="poll", source_detail="acme#42"
    )
    assert not new
    assert polled.id == hooked.id
    assert (polled.pr, polled.triggers) == (42, ("hook", "poll"))
    assert polled.source_detail == "/srv/git/widgets"  # the first arrival's account stays
    assert db.queue_depth() == 1


def test_poll_then_hook_is_one_run_and_keeps_the_pr(db: StateDB, repo_key: str) -> None:
    polled, _ = db.enqueue_run(repo_key, pr=42, merge_sha=sha(1), trigger="poll")
    hooked, new = db.enqueue_run(repo_key, pr=None, merge_sha=sha(1), trigger="hook")
    assert not new
    assert (hooked.id, hooked.pr, hooked.triggers) == (polled.id, 42, ("poll", "hook"))
    # A second unknown-PR arrival is the same run too (pr is stored as 0, not NULL).
    _, new = db.enqueue_run(repo_key, pr=None, merge_sha=sha(1), trigger="hook")
    assert not new
    assert db.status_counts()["queued"] == 1


def test_two_unknown_pr_arrivals_are_one_run(db: StateDB, repo_key: str) -> None:
    first, _ = db.enqueue_run(repo_key, pr=None, merge_sha=sha(2), trigger="hook")
    second, new = db.enqueue_run(repo_key, pr=None, merge_sha=sha(2), trigger="manual")
    assert not new and second.id == first.id and second.triggers == ("hook", "manual")


def test_two_known_prs_with_one_merge_commit_are_two_runs(db: StateDB, repo_key: str) -> None:
    a, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(3), trigger="poll")
    b, new = db.enqueue_run(repo_key, pr=2, merge_sha=sha(3), trigger="poll")
    assert new and a.id != b.id
    # An unknown-PR arrival of that merge is the first of them, not a third run.
    c, new = db.enqueue_run(repo_key, pr=None, merge_sha=sha(3), trigger="hook")
    assert not new and c.id == a.id
    assert [r.pr for r in db.runs_of_merge(repo_key, sha(3))] == [1, 2]


def test_a_done_run_is_not_queued_again(db: StateDB, repo_key: str) -> None:
    run, _ = db.enqueue_run(repo_key, pr=5, merge_sha=sha(4), trigger="hook")
    claimed = db.claim_next(T, worker="w")
    assert claimed is not None and claimed.id == run.id
    db.finish(run.id, status="done", run_dir="/s/runs/x", published=None)
    again, new = db.enqueue_run(repo_key, pr=5, merge_sha=sha(4), trigger="poll")
    assert not new and again.status == "done" and again.triggers == ("hook", "poll")
    assert db.claim_next(T + 1, worker="w") is None


@pytest.mark.parametrize(
    ("pr", "merge_sha", "trigger", "message"),
    [
        (1, "abc1234", "poll", "is not a full commit SHA"),
        (1, "g" * 40, "poll", "is not a full commit SHA"),
        (0, "a" * 40, "poll", "1 or more"),
        (1, "a" * 40, "cron", "unknown trigger 'cron'"),
    ],
)
def test_enqueue_refuses_what_would_break_the_key(
    db: StateDB, repo_key: str, pr: int, merge_sha: str, trigger: str, message: str
) -> None:
    with pytest.raises(StateError, match=message):
        db.enqueue_run(repo_key, pr=pr, merge_sha=merge_sha, trigger=trigger)
    assert db.queue_depth() == 0


def test_a_sha256_merge_commit_is_accepted(db: StateDB, repo_key: str) -> None:
    run, new = db.enqueue_run(repo_key, pr=1, merge_sha="b" * 64, trigger="poll")
    assert new and run.merge_sha == "b" * 64


# -- claiming ----------------------------------------------------------------------------


def test_claim_takes_the_oldest_due_run(db: StateDB, repo_key: str) -> None:
    ids = [
        db.enqueue_run(repo_key, pr=n, merge_sha=sha(n), trigger="poll", now=T + n)[0].id
        for n in (1, 2, 3)
    ]
    assert db.claim_next(T, worker="w") is None  # none is due yet
    first = db.claim_next(T + 10, worker="host:1")
    assert first is not None
    assert (first.id, first.status, first.worker) == (ids[0], "running", "host:1")
    assert (first.started_at, first.heartbeat_at) == (T + 10, T + 10)
    second = db.claim_next(T + 10, worker="host:2")
    assert second is not None and second.id == ids[1]
    assert db.queue_depth() == 1
    assert db.status_counts() == {"queued": 1, "running": 2, "done": 0, "failed": 0}


def test_a_run_in_backoff_waits_behind_due_runs(db: StateDB, repo_key: str) -> None:
    old, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="poll", now=T)
    db.claim_next(T, worker="w")
    db.fail(old.id, error="boom", now=T + 1, max_attempts=3, base_backoff=60)
    young, _ = db.enqueue_run(repo_key, pr=2, merge_sha=sha(2), trigger="poll", now=T + 2)
    got = db.claim_next(T + 3, worker="w")
    assert got is not None and got.id == young.id
    assert db.claim_next(T + 3, worker="w") is None
    later = db.claim_next(T + 61, worker="w")
    assert later is not None and later.id == old.id


def test_threads_with_their_own_connections_never_claim_one_run_twice(
    state_dir: Path, db: StateDB, repo_key: str
) -> None:
    for n in range(60):
        db.enqueue_run(repo_key, pr=n + 1, merge_sha=sha(n), trigger="poll", now=T)
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(6)

    def worker(name: str) -> None:
        mine: list[int] = []
        with StateDB.open(state_dir) as own:
            barrier.wait()
            while (run := own.claim_next(T + 1, worker=name)) is not None:
                mine.append(run.id)
        claimed[name] = mine

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [run_id for ids in claimed.values() for run_id in ids]
    assert len(every) == 60 and len(set(every)) == 60
    assert db.status_counts()["running"] == 60


CLAIMER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from learnd.state import StateDB
    state_dir, name, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with StateDB.open(state_dir) as db:
        while not go.exists():
            time.sleep(0.005)
        while (run := db.claim_next(float(sys.argv[4]), worker=name)) is not None:
            print(run.id, flush=True)
    """
)


def test_processes_never_claim_one_run_twice(
    state_dir: Path, db: StateDB, repo_key: str, tmp_path: Path
) -> None:
    for n in range(80):
        db.enqueue_run(repo_key, pr=n + 1, merge_sha=sha(n), trigger="poll", now=T)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(state_dir), f"p{i}", str(go), str(T + 1)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    go.touch()  # all four start claiming at about the same moment
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    every = [int(line) for out in outputs for line in out.split()]
    assert sorted(every) == sorted({r.id for r in db.recent_runs(limit=100)})
    assert len(every) == len(set(every)) == 80


# -- finishing, failing, retrying --------------------------------------------------------


def test_finish_records_the_outcome(db: StateDB, repo_key: str) -> None:
    run, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="poll", now=T)
    with pytest.raises(StateError, match="it is queued, not running"):
        db.finish(run.id, run_dir="/r", published=None)
    db.claim_next(T, worker="w")
    assert db.heartbeat(run.id, now=T + 5)
    assert (got := db.run(run.id)) is not None and got.heartbeat_at == T + 5
    done = db.finish(
        run.id,
        run_dir="/state/runs/widgets-pr1-000000000000",
        published="https://github.com/acme/widgets/issues/9",
        outcome="partial",
        now=T + 9,
    )
    assert (done.status, done.outcome, done.worker, done.finished_at) == (
        "done",
        "partial",
        None,
        T + 9,
    )
    assert done.published == "https://github.com/acme/widgets/issues/9"
    assert not db.heartbeat(run.id)  # the worker learns it no longer holds the run
    with pytest.raises(StateError, match="unknown run 999"):
        db.finish(999, run_dir=None, published=None)


def test_failures_back_off_exponentially_then_stay_failed(db: StateDB, repo_key: str) -> None:
    run, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="poll", now=T)
    now = T
    waits: list[float] = []
    for _attempt in range(3):
        claimed = db.claim_next(now, worker="w")
        assert claimed is not None and claimed.id == run.id
        after = db.fail(
            run.id,
            error=f"GitHub is unavailable\n  at {now}",
            now=now,
            max_attempts=4,
            base_backoff=10,
        )
        assert after.status == "queued" and after.worker is None
        waits.append(after.next_attempt_at - now)
        assert db.claim_next(after.next_attempt_at - 0.5, worker="w") is None
        now = after.next_attempt_at
    assert waits == [10, 20, 40]
    db.claim_next(now, worker="w")
    final = db.fail(
        run.id,
        error="still down",
        now=now,
        max_attempts=4,
        base_backoff=10,
        run_dir="/state/runs/x",
    )
    assert (final.status, final.attempts, final.last_error) == ("failed", 4, "still down")
    assert (final.finished_at, final.run_dir) == (now, "/state/runs/x")
    assert db.claim_next(now + 10_000, worker="w") is None
    assert after.last_error is not None and "\n" not in after.last_error  # one line


def test_the_backoff_is_capped(db: StateDB, repo_key: str) -> None:
    run, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="poll", now=T)
    now = T
    for _ in range(6):
        db.claim_next(now, worker="w")
        after = db.fail(
            run.id, error="x", now=now, max_attempts=10, base_backoff=100, max_backoff=1000
        )
        now = after.next_attempt_at
    # 100, 200, 400, 800, then capped: 1000, 1000
    assert now - T == 100 + 200 + 400 + 800 + 1000 + 1000


def test_retry_queues_failed_runs_again_with_attempts_reset(db: StateDB, repo_key: str) -> None:
    ids = []
    for n in (1, 2, 3):
        run, _ = db.enqueue_run(repo_key, pr=n, merge_sha=sha(n), trigger="poll", now=T)
        db.claim_next(T, worker="w")
        db.fail(run.id, error=f"boom {n}", now=T, max_attempts=1, base_backoff=1)
        ids.append(run.id)
    ok, _ = db.enqueue_run(repo_key, pr=4, merge_sha=sha(4), trigger="poll", now=T)
    assert db.status_counts()["failed"] == 3

    assert db.retry([ids[0], ok.id, 12345], now=T + 50) == 1  # the queued one is left alone
    again = db.run(ids[0])
    assert again is not None
    assert (again.status, again.attempts, again.finished_at, again.next_attempt_at) == (
        "queued",
        0,
        None,
        T + 50,
    )
    assert again.last_error == "boom 1"  # why it failed stays visible until it runs
    assert db.retry([]) == 0
    assert db.retry(now=T + 60) == 2  # every failed run
    assert db.status_counts() == {"queued": 4, "running": 0, "done": 0, "failed": 0}


def test_release_puts_a_run_back_without_counting_an_attempt(db: StateDB, repo_key: str) -> None:
    run, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="poll", now=T)
    db.claim_next(T, worker="w")
    db.enqueue_run(repo_key, pr=2, merge_sha=sha(2), trigger="poll", now=T + 1)
    back = db.release(run.id, now=T + 3)
    assert (back.status, back.attempts, back.worker) == ("queued", 0, None)
    with pytest.raises(StateError, match="cannot release run"):
        db.release(run.id)
    # It keeps its place in line, ahead of what arrived while it ran.
    assert (again := db.claim_next(T + 4, worker="w")) is not None and again.id == run.id


def test_postpone_requeues_at_a_time_without_counting_an_attempt(
    db: StateDB, repo_key: str
) -> None:
    run, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="poll", now=T)
    db.claim_next(T, worker="w")
    # However often the disk is full, the run never uses up its attempts.
    for n in range(1, 8):
        back = db.postpone(
            run.id, error="disk full:\nNo space left on device", until=T + 10 * n, run_dir="/r"
        )
        assert (back.status, back.attempts, back.worker) == ("queued", 0, None)
        assert back.last_error == "disk full: No space left on device"
        assert back.run_dir == "/r" and back.finished_at is None
        assert db.claim_next(T + 10 * n - 1, worker="w") is None  # not before `until`
        assert db.claim_next(T + 10 * n, worker="w") is not None
    db.release(run.id)
    with pytest.raises(StateError, match="cannot postpone run"):
        db.postpone(run.id, error="x", until=T)


# -- crashes -----------------------------------------------------------------------------


def test_recover_orphans_requeues_what_a_dead_daemon_was_running(
    state_dir: Path, db: StateDB, repo_key: str
) -> None:
    for n in (1, 2, 3):
        db.enqueue_run(repo_key, pr=n, merge_sha=sha(n), trigger="poll", now=T)
    a = db.claim_next(T, worker="old:1")
    b = db.claim_next(T, worker="old:1")
    assert a is not None and b is not None
    db.close()  # the daemon is gone; a new one opens the file
    with StateDB.open(state_dir) as fresh:
        recovered = fresh.recover_orphans(T + 100)
        assert [r.id for r in recovered] == [a.id, b.id]
        assert all(r.status == "queued" and r.attempts == 0 for r in recovered)
        assert recovered[0].last_error == "interrupted: worker old:1 stopped"
        again = fresh.claim_next(T + 100, worker="new:2")
        assert again is not None and again.id == a.id  # it keeps its place in line
        assert fresh.recover_orphans(T + 100, stale_after=60) == []  # a fresh heartbeat


def test_recover_orphans_with_stale_after_spares_live_workers(db: StateDB, repo_key: str) -> None:
    for n in (1, 2):
        db.enqueue_run(repo_key, pr=n, merge_sha=sha(n), trigger="poll", now=T)
    stuck = db.claim_next(T, worker="a")
    alive = db.claim_next(T, worker="b")
    assert stuck is not None and alive is not None
    db.heartbeat(alive.id, now=T + 290)
    assert [r.id for r in db.recover_orphans(T + 300, stale_after=120)] == [stuck.id]
    assert (still := db.run(alive.id)) is not None and still.status == "running"


HOLDER = textwrap.dedent(
    """
    import sys
    from learnd.state import StateDB
    db = StateDB.open(sys.argv[1])
    run = db.claim_next(float(sys.argv[2]), worker="doomed")
    conn = db._live()
    conn.execute("BEGIN IMMEDIATE")  # and hold the write lock until killed
    conn.execute("UPDATE runs SET last_error = 'half-written' WHERE id = ?", (run.id,))
    print(run.id, flush=True)
    sys.stdin.read()
    """
)


def test_sigkill_mid_transaction_loses_nothing_and_frees_the_lock(
    state_dir: Path, db: StateDB, repo_key: str
) -> None:
    run, _ = db.enqueue_run(repo_key, pr=1, merge_sha=sha(1), trigger="hook", now=T)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state_dir), str(T)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert int(proc.stdout.readline()) == run.id
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdin is not None
    proc.stdin.close()
    proc.stdout.close()
    # The claim was committed; the half-done transaction after it is gone with its lock.
    recovered = db.recover_orphans(T + 1)
    assert [r.id for r in recovered] == [run.id]
    assert recovered[0].last_error == "interrupted: worker doomed stopped"
    assert (again := db.claim_next(T + 1, worker="next")) is not None and again.id == run.id


# -- looking and housekeeping ------------------------------------------------------------


def test_recent_runs_lists_the_latest_changes_first(db: StateDB, repo_key: str) -> None:
    for n in (1, 2, 3):
        db.enqueue_run(repo_key, pr=n, merge_sha=sha(n), trigger="poll", now=T + n)
    db.claim_next(T + 10, worker="w")  # touches the oldest
    assert [r.pr for r in db.recent_runs(limit=2)] == [1, 3]
    assert db.run(424242) is None


def test_pruning_keeps_the_rows(db: StateDB, repo_key: str) -> None:
    day = 86_400.0
    for n, (finished, outcome) in enumerate([(T, "done"), (T + 5 * day, "done"), (T, "failed")]):
        run, _ = db.enqueue_run(repo_key, pr=n + 1, merge_sha=sha(n), trigger="poll", now=T)
        db.claim_next(T, worker="w")
        if outcome == "done":
            db.finish(run.id, run_dir=f"/state/runs/r{n}", published=None, now=finished)
        else:
            db.fail(
                run.id,
                error="x",
                now=finished,
                max_attempts=1,
                base_backoff=1,
                run_dir=f"/state/runs/r{n}",
            )
    db.enqueue_run(repo_key, pr=9, merge_sha=sha(9), trigger="poll", now=T)  # still queued

    old = db.prune_candidates(older_than=T + 3 * day)
    assert [r.run_dir for r in old] == ["/state/runs/r0", "/state/runs/r2"]
    for run in old:
        db.mark_pruned(run.id, now=T + 3 * day)
    assert db.prune_candidates(older_than=T + 3 * day) == []
    kept = db.run(old[0].id)
    assert kept is not None and (kept.status, kept.pruned_at) == ("done", T + 3 * day)
    assert len(db.recent_runs(limit=10)) == 4
    with pytest.raises(StateError, match="unknown run"):
        db.mark_pruned(999)
