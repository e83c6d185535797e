"""The engine loop: claim due task rows, run each one's handler outside the claim
transaction, then settle the row (done, retry later, or failed and said so on the
incident). Any number of engines may run against one PostgreSQL database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

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
    release,
    schedule_retry,
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
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.handlers = dict(handlers)
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self.batch = batch
        self._stopping = threading.Event()

    def run_once(self) -> int:
        """Claim one batch of due tasks and run them; the number run."""
        claimed = claim_due(
            self.db,
            name=self.name,
            now=self.clock.now(),
            lease=self.lease,
            limit=self.batch,
            kinds=self.handlers.keys(),
        )
        ran = 0
        for task in claimed:
            if self._stopping.is_set():
                # Hand the rest back now instead of leaving them until their leases end.
                release(self.db, task)
                continue
            # Earlier tasks of the batch may have used up most of this one's lease:
            # renew it for a full lease before starting, so no other engine can take the
            # task while it runs. If the renewal fails another engine took it over (its
            # lease ran out): it is that engine's now, so leave it.
            renewed = extend_lease(self.db, task, now=self.clock.now(), lease=self.lease)
            if renewed is None:
                log.info("engine %s: task %s was taken over before it started", self.name, task.id)
                continue
            self._run(renewed)
            ran += 1
        return ran

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Until `stop` is set; the task being run when it is set is finished first."""
        log.info("engine %s started", self.name)
        self._stopping = stop
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:
                # The database went away or a lock timed out: nothing is lost (the rows
                # are still there), so wait and try again.
                log.exception("engine %s: claiming tasks failed", self.name)
                ran = 0
            if ran == 0:
                stop.wait(idle_seconds)
        log.info("engine %s stopped", self.name)

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
