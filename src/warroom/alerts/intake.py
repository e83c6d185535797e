"""Durable, fast intake: alert events are written in small batches, one transaction per
batch (group commit), and each sender's 202 waits for the commit that holds its events.

One writer thread per process. On SQLite that is the single writer the database wants
anyway; batching turns hundreds of fsyncs a second into a few. On PostgreSQL several
processes each run one, and the unique indexes on open alerts and open incidents settle
their races.
"""

import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from warroom.alerts.actions import IngestResult, do_ingest
from warroom.clock import Clock
from warroom.db.session import Database
from warroom.domain.alerts import AlertEvent, Window
from warroom.domain.severity import Severity
from warroom.errors import NotFound
from warroom.services.models import Service
from warroom.services.repository import active_windows

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    service_id: int
    integration_key_id: int | None
    events: Sequence[AlertEvent]
    future: "Future[list[IngestResult]]" = field(default_factory=Future)


def _lock_order(job: _Job) -> tuple[int, str]:
    return job.service_id, min((e.alert_key for e in job.events), default="")


class Intake:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        targets: Mapping[Severity, float],
        *,
        max_batch: int = 200,
        max_wait_seconds: float = 0.002,
    ) -> None:
        self._db = db
        self._clock = clock
        self._targets = targets
        self._max_batch = max_batch
        self._max_wait = max_wait_seconds
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(
        self,
        *,
        service_id: int,
        integration_key_id: int | None,
        events: Sequence[AlertEvent],
    ) -> "Future[list[IngestResult]]":
        self._ensure_started()
        job = _Job(service_id, integration_key_id, events)
        self._queue.put(job)
        return job.future

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="warroom-intake", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None
        # Anything submitted after the stop marker gets an answer too: retry elsewhere.
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job.future.done():
                job.future.set_exception(OperationalError("intake stopped", None, Exception()))

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self._max_wait
            stop = False
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._process(batch)
            if stop:
                return

    def _process(self, batch: list[_Job]) -> None:
        # Rows are locked in one order by every writer (PostgreSQL, several processes):
        # two batches touching the same alerts in opposite orders would deadlock.
        batch.sort(key=_lock_order)
        try:
            with self._db.write() as session:
                # Services and their maintenance windows and silences, loaded once per
                # service per batch.
                services: dict[int, Service] = {}
                windows: dict[int, list[Window]] = {}
                results = [self._ingest(session, job, services, windows) for job in batch]
        except Exception as exc:
            if len(batch) == 1:
                if not isinstance(exc, NotFound):
                    log.exception("alert intake failed")
                batch[0].future.set_exception(exc)
                return
            # One bad job must not sink the others: retry each in its own transaction.
            for job in batch:
                self._process([job])
            return
        for job, result in zip(batch, results, strict=True):
            job.future.set_result(result)

    def _ingest(
        self,
        session: Session,
        job: _Job,
        services: dict[int, Service],
        windows: dict[int, list[Window]],
    ) -> list[IngestResult]:
        service = services.get(job.service_id) or session.get(Service, job.service_id)
        if service is None:
            raise NotFound(f"service {job.service_id} no longer exists")
        services[service.id] = service
        now = self._clock.now()
        if service.id not in windows:
            windows[service.id] = active_windows(session, service.id, now)
        return [
            do_ingest(
                session,
                service=service,
                event=event,
                now=now,
                integration_key_id=job.integration_key_id,
                targets=self._targets,
                windows=windows[service.id],
            )
            for event in job.events
        ]
