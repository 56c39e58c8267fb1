"""Where the analyst's jobs run: one separate process, so they never stall a match.

An analysis and its workbook are seconds of pure-Python work (pandas, jieba, openpyxl) that hold
the GIL. Run in the service's process, every match waited behind them: the 30-minute soak measured
match p99 spikes of 1–4 s at each export. In a process of their own they use the second core.

The process is started at the first analyst request (about 7 s: it imports the analytics stack),
loads the current index version itself and is replaced after ``analytics_worker_max_jobs`` jobs,
so what a workbook allocates is given back to the system. If it dies, the request gets a clear
503 and the next one starts a fresh process. Both runners have the same call shape:
``runner.call("workbook", since=..., until=..., province=...)``.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from qis_match.encoders import make_encoder
from qis_match.settings import Settings
from qis_match.store.demand_log import DemandLog
from qis_match.store.index_store import IndexData, IndexStore
from service.analytics_jobs import AnalyticsJobs
from service.demand_recorder import exclusion_rules

log = logging.getLogger("qis_match.service")


class AnalyticsUnavailableError(RuntimeError):
    """The analytics process died or did not answer in time (503 or 504, never a 500)."""

    timed_out = False


class AnalyticsTimeoutError(AnalyticsUnavailableError):
    timed_out = True


class Runner(Protocol):
    def call(self, job: str, **kwargs: Any) -> Any: ...

    def close(self) -> None: ...


class InProcess:
    """The jobs in the service's own process (``analytics_worker`` off, or a database the worker
    cannot open, such as SQLite in memory)."""

    def __init__(self, jobs: AnalyticsJobs) -> None:
        self.jobs = jobs

    def call(self, job: str, **kwargs: Any) -> Any:
        return getattr(self.jobs, job)(**kwargs)

    def close(self) -> None:
        self.jobs.close()


# --- the worker process


_JOBS: AnalyticsJobs | None = None


class _CurrentIndex:
    """The current index version, loaded again only when CURRENT names a new one."""

    def __init__(self, settings: Settings) -> None:
        self.store = IndexStore(settings.index_root)
        self.data: IndexData | None = None

    def __call__(self) -> IndexData:
        version = self.store.current_version()
        if self.data is None or self.data.version != version:
            self.data = None  # the old version's arrays go before the new one is read
            self.data = self.store.load()
        return self.data


def _start(settings: Settings, log_url: str) -> None:
    """In the worker: open the demand log and the index; the encoder only when a job needs it."""
    global _JOBS
    dl = DemandLog(log_url, run_migrations=False, exclusion=exclusion_rules(settings))
    encoder = functools.cache(lambda: make_encoder(settings))
    _JOBS = AnalyticsJobs(settings, dl, _CurrentIndex(settings), encoder)


def _run(job: str, kwargs: dict) -> Any:
    assert _JOBS is not None, "the analytics process was not started"
    return getattr(_JOBS, job)(**kwargs)


class WorkerProcess:
    """The jobs in one spawned process (spawn, not fork: the service has threads and open files)."""

    def __init__(self, settings: Settings, log_url: str) -> None:
        self.settings = settings.model_copy(update={"api_keys": ""})  # the worker checks no key
        self.log_url = log_url
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(self.settings, self.log_url),
                    max_tasks_per_child=self.settings.analytics_worker_max_jobs,
                )
            return self._pool

    def call(self, job: str, **kwargs: Any) -> Any:
        pool = self._executor()
        try:
            future = pool.submit(_run, job, kwargs)
            return future.result(timeout=self.settings.analytics_timeout_seconds)
        except FutureTimeout as exc:
            raise AnalyticsTimeoutError(
                f"the analysis took longer than {self.settings.analytics_timeout_seconds:g} s;"
                " try a shorter period"
            ) from exc
        except BrokenProcessPool as exc:
            log.error("the analytics process died (%s); a new one starts at the next request", exc)
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise AnalyticsUnavailableError(
                "the analytics process stopped; try again (a new one is starting)"
            ) from exc

    @staticmethod
    def _processes(pool: ProcessPoolExecutor | None) -> list:
        return list((getattr(pool, "_processes", None) or {}).values())

    def pids(self) -> list[int]:
        """The worker's process ids (the soak counts their memory with the service's)."""
        return [p.pid for p in self._processes(self._pool) if p.pid]

    def close(self) -> None:
        """Stop the worker now: a job still running is abandoned, not waited for."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        for p in self._processes(pool):
            p.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def make_runner(settings: Settings, demand_log: DemandLog, index, encoder) -> Runner:
    """A worker process when the setting asks for one and the database can be opened from
    another process; else the jobs in this one (``index``/``encoder``: the service's own)."""
    url = demand_log.engine.url
    shared = not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))
    if settings.analytics_worker and shared:
        return WorkerProcess(settings, url.render_as_string(hide_password=False))
    return InProcess(AnalyticsJobs(settings, demand_log, index, encoder))
