"""Progress callbacks of the gap verbs: ``progress(task, done, total)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fit machinery is imported only when a fit is needed
    pass


Progress = Callable[[str, int, int], None]
"""Progress callback: ``(task description, done, total)``."""


def fit_progress(progress: Progress | None, task: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    callback = progress

    def report(done: int, total: int) -> None:
        callback(task, done, total)

    return report


def tick(progress: Progress | None, task: str, done: int, total: int) -> None:
    if progress is not None:
        progress(task, done, total)
