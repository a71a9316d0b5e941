"""Slow dashboard work off the request path: one background thread and the jobs it runs.

A page that needs a slow result (sensitivity and breakdowns refit the scale; a store without a
fit is fitted on request) starts a :class:`Job` and answers at once with a "computing…" page
that refreshes; other pages keep being served meanwhile. A job is keyed by what it computes and
the store state it computes it on, so a second request for the same thing joins the running job
instead of starting another.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from opengap.errors import OpengapError

Work = Callable[["Job"], Any]


@dataclass
class Job:
    """One background computation and where it stands.

    Attributes
    ----------
    name : str
        What it computes, for the progress page (``sensitivity``, ``fit``…).
    status : str
        ``running``, ``done`` or ``failed``.
    done, total : int
        Progress steps (``total`` 0 while unknown).
    error : str, optional
        The one-line reason of a failed job.
    """

    name: str
    key: tuple[Any, ...]
    status: str = "running"
    done: int = 0
    total: int = 0
    error: str | None = None
    error_kind: type[OpengapError] = OpengapError
    result: Any = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def progress(self, done: int, total: int) -> None:
        """Record progress (the library's ``progress(done, total)`` callbacks call this)."""
        self.done, self.total = int(done), int(total)

    def to_dict(self) -> dict[str, Any]:
        """Return the job's state as the API and the progress page show it."""
        end = self.finished if self.finished is not None else time.monotonic()
        return {"name": self.name, "status": self.status, "done": self.done,
                "total": self.total, "error": self.error,
                "seconds": round(end - self.started, 1)}  # fmt: skip


class Jobs:
    """A single worker thread running :class:`Job` s, one per key at a time."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opengap-job")
        self._lock = threading.Lock()
        self._jobs: dict[tuple[Any, ...], Job] = {}

    def start(self, name: str, key: tuple[Any, ...], work: Work) -> Job:
        """Return the job for ``key``, starting ``work(job)`` unless it is running or done."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.status != "failed":
                return job
            job = self._jobs[key] = Job(name=name, key=key)
        self._pool.submit(self._run, job, work)
        return job

    def get(self, key: tuple[Any, ...]) -> Job | None:
        """Return the job for ``key``, if one was started."""
        with self._lock:
            return self._jobs.get(key)

    def latest(self, name: str) -> Job | None:
        """Return the most recently started job called ``name``."""
        with self._lock:
            named = [j for j in self._jobs.values() if j.name == name]
        return max(named, key=lambda j: j.started) if named else None

    def forget(self, key: tuple[Any, ...]) -> None:
        """Drop a finished job (its result now lives in the dashboard's cache)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.status != "running":
                del self._jobs[key]

    def shutdown(self) -> None:
        """Stop taking jobs; a running one finishes in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, work: Work) -> None:
        try:
            job.result = work(job)
            job.status = "done"
        except OpengapError as exc:
            job.error, job.error_kind, job.status = str(exc), type(exc), "failed"
        except Exception as exc:  # a bug: keep the worker alive and say so on the page
            job.error, job.status = f"internal error: {type(exc).__name__}: {exc}", "failed"
        finally:
            job.finished = time.monotonic()
