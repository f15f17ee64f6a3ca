"""Scheduled work in the sync service: source pulls, freshness and alert checks, backups.

Every replica runs a scheduler, but only the one holding the scheduler lock does the work: a
Postgres session advisory lock (released by Postgres if the holder dies), or a file lock next to
the embedded SQLite database. The others keep trying, so one takes over within a minute.
"""

from __future__ import annotations

import fcntl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import IO

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import FastAPI
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from services.ops.alerts import check_alerts
from services.ops.backup import BackupError, backup_directory, create_backup, prune_backups
from services.ops.freshness import freshness_now
from services.runtime import metrics
from services.runtime.settings import Settings
from services.sources import SourceConfigError, SourcesFile, load_sources, pull_source
from services.sources.config import FolderSource, HttpSource, SqlSource
from services.sources.schedule import parse_schedule

SCHEDULER_LOCK = (0x474C4E20, 1)
"""Session advisory lock keys held by the replica that runs the scheduled work (Postgres)."""
LEADERSHIP_RETRY_S = 30

log = structlog.get_logger(__name__)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class Leadership:
    """Whether this process may run the scheduled work; taken, kept and checked on each job."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.lock_file = settings.data_dir / "scheduler.lock"
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None

    def hold(self) -> bool:
        """True when this process holds the lock (taking it if it is free)."""
        if self.engine.dialect.name == "postgresql":
            return self._hold_advisory()
        return self._hold_file()

    def _hold_advisory(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()  # never sit "idle in transaction" between jobs
                return True
            connection = self.engine.connect()
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": SCHEDULER_LOCK[0], "b": SCHEDULER_LOCK[1]}
            ).scalar_one()
            connection.commit()
        except SQLAlchemyError as exc:
            log.warning("scheduler lock lost or unavailable", error=str(exc).splitlines()[0])
            self.release()
            return False
        if not taken:
            connection.close()
            return False
        self._connection = connection
        log.info("this replica now runs the scheduled work")
        return True

    def _hold_file(self) -> bool:
        if self._file is not None:
            return True
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = self.lock_file.open("wb")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Give the lock up (closing the session releases the advisory lock)."""
        if self._connection is not None:
            # The connection goes back to the pool, and a session lock would go with it: unlock first,
            # or drop the connection for good when it is broken.
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"), {"a": SCHEDULER_LOCK[0], "b": SCHEDULER_LOCK[1]}
                )
                self._connection.commit()
            except SQLAlchemyError as exc:
                log.warning("scheduler lock connection broken", error=str(exc).splitlines()[0])
                self._connection.invalidate()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


class ScheduledWork:
    """The scheduler with its jobs: one per scheduled source, the checks, and backups when enabled."""

    def __init__(self, *, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.leadership = Leadership(engine, settings)
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
        )
        self.sources = SourcesFile()

    def start(self) -> None:
        """Load the sources file and start the jobs (a bad file is logged, and the checks still run)."""
        try:
            self.sources = load_sources(self.settings.sources_file)
        except SourceConfigError as exc:
            log.error("sources file refused; no source will be pulled", error=str(exc))
        for source in self.sources.sources:
            if source.schedule:
                self.scheduler.add_job(
                    self._pull, parse_schedule(source.schedule), args=[source], id=f"pull:{source.name}"
                )
        self.scheduler.add_job(
            self._check, IntervalTrigger(seconds=self.settings.scheduler_check_interval_s), id="checks"
        )
        if self.settings.backup_schedule:
            self.scheduler.add_job(self._backup, parse_schedule(self.settings.backup_schedule), id="backup")
        self.scheduler.add_job(self.leadership.hold, IntervalTrigger(seconds=LEADERSHIP_RETRY_S), id="leadership")
        self.scheduler.start()
        log.info("scheduler started", jobs=[job.id for job in self.scheduler.get_jobs()])

    def shutdown(self) -> None:
        """Stop the jobs (an import cut short rolls back) and give up the lock."""
        self.scheduler.shutdown(wait=False)
        self.leadership.release()

    def _pull(self, source: HttpSource | SqlSource | FolderSource) -> None:
        if not self.leadership.hold():
            return
        try:
            pull_source(self.engine, source=source, settings=self.settings)
            check_alerts(self.engine, settings=self.settings, sources=self.sources)
        except SQLAlchemyError as exc:
            log.error("scheduled pull could not reach the database", source=source.name, error=str(exc).splitlines()[0])

    def _check(self) -> None:
        if not self.leadership.hold():
            return
        try:
            check_alerts(self.engine, settings=self.settings, sources=self.sources)
        except SQLAlchemyError as exc:
            log.error("alert check could not reach the database", error=str(exc).splitlines()[0])

    def _backup(self) -> None:
        if not self.leadership.hold():
            return
        folder = backup_directory(self.settings)
        try:
            info = create_backup(self.engine, directory=folder, settings=self.settings)
            prune_backups(folder, daily=self.settings.backup_keep_daily, weekly=self.settings.backup_keep_weekly)
            log.info("scheduled backup written", file=str(info.path))
        except (BackupError, SQLAlchemyError, OSError) as exc:
            log.error("scheduled backup failed", error=str(getattr(exc, "problem", exc)))


def with_scheduled_work(inner: Lifespan) -> Lifespan:
    """Wrap the app's lifespan: freshness at /metrics, and the scheduler when GLANCE_SCHEDULER_ENABLED."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            settings: Settings = app.state.settings
            engine: Engine = app.state.engine
            metrics.register_freshness(lambda: freshness_now(engine, settings=settings))
            work = ScheduledWork(engine=engine, settings=settings) if settings.scheduler_enabled else None
            if work is not None:
                work.start()
            app.state.scheduled_work = work
            try:
                yield
            finally:
                if work is not None:
                    work.shutdown()

    return lifespan
