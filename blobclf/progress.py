"""Training progress: Lightning's bar in a terminal; for a log file, the tutorial's own line every few epochs, as
training goes; and whether the configured callbacks bring a progress bar of their own."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import lightning as L
from lightning.pytorch.callbacks import ProgressBar, TQDMProgressBar
from typing_extensions import override

from blobclf.argtypes import NonNegativeFloat, NonNegativeInt, PositiveInt
from blobclf.classrefs import loaded_class
from blobclf.errors import ArgumentValueError, silence_stdout
from blobclf.recorded import callback_list


class EpochLines(ProgressBar):
    """Print the tutorial's progress line every ``every_n_epochs`` epochs while training.

    ``Epoch: 10 | Train Loss: 0.68131, Train Acc: 0.93 | Test Loss: 0.69426, Test Acc: 0.92``
    ("Val" instead of "Test" when a validation split is held out), written and flushed when the
    epoch's values are known, so a log file shows progress as it happens. The tutorial run prints
    the tutorial's own ten lines. A long run is not flooded: after a first burst of ``burst``
    lines, at most one line per ``min_interval`` seconds. A slow run is not silent: after
    ``max_silence`` seconds without a line, the current epoch's line (or, inside a long epoch,
    its batch count) is printed.

    Args:
        every_n_epochs: Epochs between two lines (epoch 0, then every ``every_n_epochs``-th).
        min_interval: Least number of seconds between two lines once the first burst is printed.
        burst: Number of lines printed before ``min_interval`` applies.
        max_silence: Most seconds without a line while training runs.
        stream: Where lines go (``None``: standard output); for Python use, as a file object.
    """

    def __init__(
        self,
        every_n_epochs: PositiveInt = 10,
        min_interval: NonNegativeFloat = 2.0,
        burst: NonNegativeInt = 10,
        max_silence: NonNegativeFloat = 30.0,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__()
        if every_n_epochs < 1:
            raise ArgumentValueError(f"every_n_epochs must be >= 1, got {every_n_epochs}")
        if burst < 0:
            raise ArgumentValueError(f"burst must be an integer >= 0, got {burst}")
        for name, seconds in (("min_interval", min_interval), ("max_silence", max_silence)):
            if not seconds >= 0:  # NaN too
                raise ArgumentValueError(f"{name} must be a number >= 0 (seconds), got {seconds}")
        self.every_n_epochs = every_n_epochs
        self.min_interval = min_interval
        self.burst = burst
        self.max_silence = max_silence
        self.stream = stream
        self._enabled = True
        self._tokens = float(burst)
        self._last_line = time.monotonic()
        self._printed_epoch: int | None = None
        self._first_epoch = 0
        self._validated_epoch: int | None = None
        """The epoch of the latest validation (``check_val_every_n_epoch`` skips some)."""

    @override
    def disable(self) -> None:
        self._enabled = False

    @override
    def enable(self) -> None:
        self._enabled = True

    def _print(self, line: str, trainer: L.Trainer) -> None:
        stream = self.stream or sys.stdout
        try:
            stream.write(line + "\n")
            stream.flush()
        except BrokenPipeError:  # the reader left (fit | head): training stops after this epoch, keeping the run
            self._enabled = False
            if stream is sys.stdout:
                silence_stdout()
            for callback in trainer.callbacks:
                reader_left = getattr(callback, "reader_left", None)  # blobclf.interrupt.GracefulStop's
                if callable(reader_left):
                    reader_left()
            return
        now = time.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last_line) / max(self.min_interval, 1e-9)) - 1
        self._last_line = now

    def _due(self, epoch: int) -> bool:
        now = time.monotonic()
        if now - self._last_line >= self.max_silence:
            return True
        if epoch % self.every_n_epochs:
            return False
        available = self._tokens + (now - self._last_line) / max(self.min_interval, 1e-9)
        return available >= 1

    def epoch_line(self, trainer: L.Trainer, epoch: int) -> str:
        """The progress line of ``epoch`` from the values logged for it."""
        metrics = trainer.callback_metrics
        held_out = "Test"
        datamodule = trainer.datamodule
        if datamodule is not None and getattr(datamodule, "hparams", {}).get("val_size") is not None:
            held_out = "Val"
        parts = [f"Epoch: {epoch}"]
        if "train/loss" in metrics:
            parts.append(f"Train Loss: {float(metrics['train/loss']):.5f}, "
                         f"Train Acc: {float(metrics['train/acc']):.2f}")
        if "val/loss" in metrics and self._validated_epoch == epoch:  # not an earlier epoch's values
            parts.append(f"{held_out} Loss: {float(metrics['val/loss']):.5f}, "
                         f"{held_out} Acc: {float(metrics['val/acc']):.2f}")
        return " | ".join(parts)

    def _finish_epoch(self, trainer: L.Trainer, epoch: int, last: bool = False) -> None:
        if not self._enabled or not trainer.is_global_zero or epoch < 0 or epoch == self._printed_epoch:
            return
        if last or self._due(epoch):
            self._print(self.epoch_line(trainer, epoch), trainer)
            self._printed_epoch = epoch

    @override
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._tokens, self._last_line, self._printed_epoch = float(self.burst), time.monotonic(), None
        self._first_epoch = trainer.current_epoch  # after a resume, the checkpoint's

    @override
    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validated_epoch = trainer.current_epoch

    @override
    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning hands a progress bar the epoch's end before the model has logged the
        # epoch's training values; they are all in place when the next epoch starts.
        if trainer.current_epoch > self._first_epoch:
            self._finish_epoch(trainer, trainer.current_epoch - 1)

    @override
    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._enabled and trainer.is_global_zero and time.monotonic() - self._last_line >= self.max_silence:
            total = trainer.num_training_batches
            of = f" of {total}" if isinstance(total, int) else ""
            self._print(f"Epoch: {trainer.current_epoch} | batch {batch_idx + 1}{of}", trainer)

    @override
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch > self._first_epoch:  # an epoch ran
            self._finish_epoch(trainer, trainer.current_epoch - 1, last=True)


def default_progress(stream: TextIO | None = None) -> ProgressBar:
    """Lightning's progress bar in a terminal; :class:`EpochLines` when output goes to a file or pipe."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return TQDMProgressBar() if isatty is not None and isatty() else EpochLines()


def has_progress_bar(callbacks: Any) -> bool:
    """Whether the configured callbacks (``class_path`` settings, or one of them) include a progress bar."""
    for callback in callback_list(callbacks):
        class_path = callback.get("class_path") if hasattr(callback, "get") else None
        cls = loaded_class(class_path) if class_path else None  # the parser has imported what it took
        if cls is not None and issubclass(cls, ProgressBar):
            return True
    return False
