"""The engine loop: claim due task rows, run each one's handler outside the claim
transaction, then settle the row (done, retry later, or failed and said so on the
incident). Any number of engines may run against one PostgreSQL database.

Throughput without giving up a guarantee: a batch is claimed in one statement; its tasks
run on up to `concurrency` threads (sending mostly waits on the network), each settling
its own row by compare-and-swap; a lease is renewed (one write) only once less than half
of it is left, otherwise a read checks nobody took the task over; and an idle engine sleeps
until the next task comes due (at most `idle_seconds`), not a fixed interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.clock import Clock
from warroom.db.session import Database
from warroom.engine import backoff
from warroom.engine.claims import (
    ClaimedTask,
    LeaseLost,
    claim_due,
    extend_lease,
    mark_done,
    mark_failed,
    next_due_at,
    release,
    schedule_retry,
    still_claimed,
)
from warroom.settings import Settings

log = logging.getLogger(__name__)

# Kept on the row and the timeline; a traceback belongs in the log.
MAX_ERROR_CHARS = 2000
# How long a claim holds once a task starts (the lease is renewed for this long right
# before each task runs). It must comfortably outlast the slowest handler: room adapters
# give up after OPERATION_DEADLINE_SECONDS (120 s, warroom.notify.rooms.base) plus one
# request timeout (10 s), and a handler's own database writes take well under a second.
# A handler that outlives it anyway can be run a second time by another engine.
DEFAULT_LEASE_SECONDS = 300.0
# An idle engine polls at least this often (a task may be enqueued by another process at
# any time; the poll is what finds it) ...
DEFAULT_IDLE_SECONDS = 1.0
# ... and never more often than this when due work is there but none could be claimed
# (another engine holds it mid-claim): a floor, so that is not a busy loop.
MIN_POLL_SECONDS = 0.02


def poll_delay(
    *,
    claimed: int,
    batch: int,
    now: datetime,
    next_due: datetime | None,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
) -> float:
    """Seconds an engine waits before claiming again, after a claim that got `claimed`
    tasks of at most `batch`, when the earliest task it could claim is due at `next_due`.

    A full batch means more is likely waiting: claim again at once. Otherwise sleep until
    the next task is due, but never longer than `idle_seconds` (new work may arrive from
    elsewhere at any time) and, when nothing could be claimed although something is due,
    not less than MIN_POLL_SECONDS."""
    if claimed >= batch:
        return 0.0
    if next_due is None:
        return idle_seconds
    until_due = (next_due - now).total_seconds()
    if until_due > 0:
        return min(idle_seconds, until_due)
    # Due already, yet this claim got none of it: another engine holds it.
    return 0.0 if claimed > 0 else min(MIN_POLL_SECONDS, idle_seconds)


class MalformedTask(Exception):
    """A task row that names nothing to work on: no run of it can succeed."""

    permanent = True


@dataclass
class TaskContext:
    """What a handler gets: the claimed task, and the engine's database, clock and
    settings. A handler that writes should call `complete(session)` inside its own write
    transaction, so its rows and the task's completion commit together (a crash between
    the two would otherwise run the step again)."""

    task: ClaimedTask
    db: Database
    clock: Clock
    settings: Settings
    completed: bool = field(default=False, init=False)

    def complete(self, session: Session) -> None:
        mark_done(session, self.task, now=self.clock.now())
        self.completed = True

    @property
    def incident_id(self) -> int:
        """The incident the task is about; MalformedTask (permanent) when it names none."""
        if self.task.incident_id is None:
            raise MalformedTask(f"{self.task.kind} task {self.task.id} names no incident")
        return self.task.incident_id


Handler = Callable[[TaskContext], None]


class Engine:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        handlers: Mapping[str, Handler],
        *,
        name: str,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        batch: int = 20,
        concurrency: int = 1,
    ) -> None:
        if batch < 1 or concurrency < 1:
            raise ValueError("batch and concurrency must be at least 1")
        self.db = db
        self.clock = clock
        self.settings = settings
        self.handlers = dict(handlers)
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        # A task starting with less than this left of its lease renews it (one write);
        # with more left, a read checks nobody took it over (see _start).
        self.renew_below = self.lease / 2
        self.batch = batch
        self.concurrency = concurrency
        self.last_claimed = 0
        self._stopping = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def run_once(self) -> int:
        """Claim one batch of due tasks and run them, up to `concurrency` at a time; the
        number run. Returns only once every task of the batch has finished, so a test on
        a fake clock sees the same world after it whatever the concurrency."""
        claimed = claim_due(
            self.db,
            name=self.name,
            now=self.clock.now(),
            lease=self.lease,
            limit=self.batch,
            kinds=self.handlers.keys(),
        )
        self.last_claimed = len(claimed)
        if self.concurrency == 1 or len(claimed) <= 1:
            return sum(self._start(task) for task in claimed)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix=f"warroom-engine-{self.name}"
            )
        futures: list[Future[bool]] = [self._pool.submit(self._start, task) for task in claimed]
        wait_all(futures)
        # A database error in a task's own lease check surfaces here, as it would run
        # one at a time; the batch's other tasks have finished (or were handed back).
        return sum(future.result() for future in futures)

    def close(self) -> None:
        """Stop the worker threads (after the tasks they are running)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def run_forever(
        self, stop: threading.Event, idle_seconds: float = DEFAULT_IDLE_SECONDS
    ) -> None:
        """Until `stop` is set; the tasks being run when it is set are finished first."""
        log.info("engine %s started (concurrency %d)", self.name, self.concurrency)
        self._stopping = stop
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                    delay = self._next_poll(idle_seconds)
                except Exception:
                    # The database went away or a lock timed out: nothing is lost (the
                    # rows are still there), so wait and try again.
                    log.exception("engine %s: claiming tasks failed", self.name)
                    delay = idle_seconds
                if delay > 0:
                    stop.wait(delay)
        finally:
            self.close()
        log.info("engine %s stopped", self.name)

    def _next_poll(self, idle_seconds: float) -> float:
        if self.last_claimed >= self.batch:
            return 0.0  # no need to ask when the next task is due: more are due now
        now = self.clock.now()
        return poll_delay(
            claimed=self.last_claimed,
            batch=self.batch,
            now=now,
            next_due=next_due_at(self.db, now=now, kinds=self.handlers.keys()),
            idle_seconds=idle_seconds,
        )

    def _start(self, task: ClaimedTask) -> bool:
        """Run one claimed task if the claim still holds; whether it ran."""
        if self._stopping.is_set():
            # Hand the rest back now instead of leaving them until their leases end.
            release(self.db, task)
            return False
        now = self.clock.now()
        if task.claimed_until - now < self.renew_below:
            # Earlier tasks of the batch used up much of this one's lease: renew it for a
            # full lease before starting, so no other engine can take the task while it
            # runs. If the renewal fails another engine took it over (its lease ran out):
            # it is that engine's now, so leave it.
            renewed = extend_lease(self.db, task, now=now, lease=self.lease)
            if renewed is None:
                log.info("engine %s: task %s was taken over before it started", self.name, task.id)
                return False
            task = renewed
        elif not still_claimed(self.db, task):
            # Plenty of lease left by our clock, yet another engine (whose clock runs
            # ahead) took the task over: leave it to that engine. Taking it over later
            # than this check would need a clock ahead by more than `renew_below`.
            log.info("engine %s: task %s was taken over before it started", self.name, task.id)
            return False
        self._run(task)
        return True

    def _run(self, task: ClaimedTask) -> None:
        if task.attempts > backoff.MAX_ATTEMPTS:
            # Every attempt so far ended without a result (the engine died or its lease
            # ran out mid-run): running it again would likely do the same.
            self._fail(
                task,
                f"gave up after {backoff.MAX_ATTEMPTS} attempts that did not finish "
                "(engine stopped or lease expired mid-run)",
                permanent=False,
            )
            return
        context = TaskContext(task=task, db=self.db, clock=self.clock, settings=self.settings)
        try:
            self.handlers[task.kind](context)
            if not context.completed:
                with self.db.write() as session:
                    context.complete(session)
        except LeaseLost as exc:
            log.warning("engine %s: %s", self.name, exc)
        except Exception as exc:
            self._after_error(task, exc)

    def _after_error(self, task: ClaimedTask, exc: Exception) -> None:
        # Duck-typed so room adapters (RoomError) and notifiers (DeliveryError) can say
        # whether trying again can help without the engine importing either.
        permanent = bool(getattr(exc, "permanent", False))
        retry_after = getattr(exc, "retry_after", None)
        error = _describe(exc)
        if permanent or task.attempts >= backoff.MAX_ATTEMPTS:
            if not permanent:
                log.warning("task %s (%s) failed for good: %s", task.id, task.kind, error)
            self._fail(task, error, permanent=permanent)
            return
        now = self.clock.now()
        due = backoff.next_attempt_at(
            planned=task.due_at,
            failed_at=now,
            attempt=task.attempts,
            retry_after=retry_after if isinstance(retry_after, int | float) else None,
        )
        log.info(
            "task %s (%s) attempt %d failed, next at %s: %s",
            task.id,
            task.kind,
            task.attempts,
            due.isoformat(),
            error,
            exc_info=not _is_expected(exc),
        )
        if not schedule_retry(self.db, task, due_at=due, error=error):
            log.warning(
                "engine %s lost task %s before it could schedule a retry", self.name, task.id
            )

    def _fail(self, task: ClaimedTask, error: str, *, permanent: bool) -> None:
        if not mark_failed(self.db, task, now=self.clock.now(), error=error, permanent=permanent):
            log.warning("engine %s lost task %s before it could mark it failed", self.name, task.id)


def _is_expected(exc: Exception) -> bool:
    """Failures a handler reports on purpose carry `permanent`; anything else is a bug or
    an outage worth a traceback in the log."""
    return hasattr(exc, "permanent")


def _describe(exc: Exception) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    if not hasattr(exc, "permanent"):
        text = f"{exc.__class__.__name__}: {text}"
    return text[:MAX_ERROR_CHARS]
