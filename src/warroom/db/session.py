import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

_WRITE = "warroom_write"
# SQLite's busy_timeout (ms), and how long a thread queues for this process's write lock.
_BUSY_TIMEOUT_MS = 10000
_MAX_OVERFLOW = 20
_sqlite_writers: dict[str, threading.RLock] = {}
_sqlite_writers_guard = threading.Lock()


def _sqlite_writer_lock(url: str) -> threading.RLock:
    """One lock per SQLite database in this process. Threads of one process (an engine
    running tasks concurrently, the web server's workers) queue for SQLite's single write
    lock here, woken the moment it is free, instead of in SQLite's busy handler, which
    polls with sleeps of up to 100 ms. Re-entrant, so a write nested in a write behaves
    as it always did on SQLite (it waits out busy_timeout and fails); other processes
    still meet at BEGIN IMMEDIATE."""
    with _sqlite_writers_guard:
        return _sqlite_writers.setdefault(url, threading.RLock())


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_driver() -> ModuleType:
    """The SQLite DB-API module: pysqlite3 (the standard module built with a current
    SQLite, installed on Linux x86-64) when it is there, else the standard library's.
    Reports need SQLite 3.41 or later to read indexes on expressions without the table
    (ADR 0006); the standard module links whatever SQLite the system has (3.40 on
    Debian 12), and is still correct there, only slower."""
    try:
        from pysqlite3 import dbapi2  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return sqlite3
    newer = dbapi2.sqlite_version_info >= sqlite3.sqlite_version_info
    return dbapi2 if newer else sqlite3  # type: ignore[no-any-return, unused-ignore]


def make_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """Migrations pass foreign_keys=False: SQLite alters a table by copying and dropping
    it, and with foreign keys on, dropping it would cascade-delete the rows that refer
    to it."""
    memory = ":memory:" in url or url in ("sqlite://", "sqlite:///")
    if "poolclass" not in kwargs and not memory:
        # An engine runs up to --concurrency tasks at once, each with a read and then a
        # write session (and a web worker's threads alike): room past the default 5 + 10
        # connections, so threads never wait on the pool for one another.
        kwargs.setdefault("max_overflow", _MAX_OVERFLOW)
    if not _is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)

    engine = create_engine(
        url, module=sqlite_driver(), connect_args={"check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes SQLite's write lock at BEGIN, so two writers queue on
        # busy_timeout instead of one failing when it tries to upgrade a read lock.
        # Readers begin deferred and, under WAL, never wait for writers.
        mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """One engine and two kinds of session: reads, and write transactions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = _is_sqlite(url)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        self._writer = _sqlite_writer_lock(url) if self.is_sqlite else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self._writer is None:
            with self._writes() as session, session.begin():
                yield session
            return
        # Past the timeout, go on anyway: SQLite's own busy_timeout then decides, as it
        # would without this lock.
        locked = self._writer.acquire(timeout=_BUSY_TIMEOUT_MS / 1000)
        try:
            with self._writes() as session, session.begin():
                yield session
        finally:
            if locked:
                self._writer.release()

    def dispose(self) -> None:
        self.engine.dispose()
