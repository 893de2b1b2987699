"""The one progress bar of wijkatlas: rich on stderr for long work, silent otherwise."""

from __future__ import annotations

__all__ = ["ProgressBar", "rich_progress"]


def rich_progress(enabled: bool = True):
    """The one look of a progress bar: a transient rich ``Progress`` on stderr (description,
    bar, elapsed time), disabled (silent) when ``enabled`` is false. For code that drives rich
    directly; :class:`ProgressBar` wraps it for the engine."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), disable=not enabled, transient=True)


class ProgressBar:
    """A rich progress bar on stderr (transient), or a silent stand-in when disabled.

    Use as a context manager; :meth:`task` starts a line, :meth:`update` sets its progress
    (``done`` of ``total``; ``total=None`` shows activity only) and :meth:`step` advances it
    by one. Every long-running part of the engine takes such a bar or a plain callback, so
    the command line and the build show progress the same way.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bar = None
        self._task = None

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._bar = rich_progress(True)
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def task(self, description: str, total: float | None = None) -> None:
        """Start a new line of progress (the previous one stays until the bar closes)."""
        if self._bar is not None:
            self._task = self._bar.add_task(description, total=total)

    def update(self, done: float, total: float | None = None) -> None:
        """Set the current line to ``done`` of ``total``."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, total=total)

    def step(self) -> None:
        """Advance the current line by one."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)
