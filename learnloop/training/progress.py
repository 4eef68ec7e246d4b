"""A rich progress bar for training on a terminal: answers seen, running loss, and one line
of validation metrics per epoch. Off a terminal (CI, a web worker, a log file) there is no bar
(logs are not flooded with redraws); each epoch's line and each note go to the
``learnloop.training`` logger instead, so a long run in the background still says where it is."""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger("learnloop.training")


class TrainingBar:
    def __init__(self, *, title: str, total: int, show: bool | None) -> None:
        self.title = title
        self.show = sys.stderr.isatty() if show is None else show
        if self.show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.progress: Any = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.progress.add_task(f"{title} epoch 1", total=total, status="")

    def __enter__(self) -> TrainingBar:
        if self.show:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.show:
            self.progress.stop()

    def advance(self, n: int, loss: float) -> None:
        if self.show:
            self.progress.update(self.task, advance=n, status=f"loss {loss:.4f}")

    def epoch_done(self, epoch: int, summary: str) -> None:
        if self.show:
            self.progress.console.print(f"{self.title} epoch {epoch}: {summary}")
            self.progress.reset(self.task, description=f"{self.title} epoch {epoch + 1}")
        else:
            log.info("%s epoch %d: %s", self.title, epoch, summary)

    def note(self, text: str) -> None:
        if self.show:
            self.progress.console.print(f"{self.title}: {text}")
        else:
            log.info("%s: %s", self.title, text)
