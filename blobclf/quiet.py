"""Known third-party notices that do not apply to blobclf, kept out of its output.

Each entry names one message, where it comes from and why it does not apply; nothing else is
hidden. ``BLOBCLF_DEBUG=1`` shows everything.
"""

from __future__ import annotations

import logging
import re
import warnings

from blobclf.errors import debugging, printable

# (message pattern, source, why it does not apply)
WARNINGS = (
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated",
     "Lightning's _pytree helper on torch >= 2.10", "a deprecation inside Lightning, nothing a user can change"),
    (r"Couldn't infer the batch indices fetched from your dataloader",
     "Lightning's predict loop", "blobclf's prediction writer does not use batch indices"),
    (r"Checkpoint directory .* exists and is not empty",
     "ModelCheckpoint", "blobclf refuses a new run in a used folder; a resumed run writes to its own folder"),
    (r"The number of training batches \(\d+\) is smaller than the logging interval",
     "Lightning's fit loop", "blobclf logs once per epoch, never per step"),
    (r"This instance was constructed with capturable=True or some of all the param_groups came with capturable=True",
     "torch.optim, for a capturable optimizer stepped outside a CUDA graph",
     "with --model.cuda_graphs blobclf asks for capturable=True; the warm-up group and an epoch's short last "
     "group step eagerly on purpose"),
)
DEPRECATIONS_FROM = (
    (r"lightning\.pytorch\.cli", "jsonargparse (>= 4.49), about the calls LightningCLI 2.6 makes",
     "LightningCLI's own calls, not blobclf's; the bound jsonargparse<5 keeps them working"),
)
"""Modules whose calls into other libraries raise deprecation warnings that are not blobclf's to fix."""
LOG_RECORDS = (
    (r"Seed set to \d+", "Lightning's seed_everything",
     "the seed is recorded in the run's config.yaml; printed first, it came before a refused command's one-line error"),
    (r"💡 Tip: For seamless cloud logging", "Lightning's logger connector", "an advertisement"),
    (r"Detected out of order event\.step likely caused by a TensorFlow restart",
     "TensorBoard's event reader", "a resumed run replaces the epochs after its checkpoint on purpose"),
)
LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning", "tensorboard")


class _Drop(logging.Filter):
    """Drops log records whose message starts with one of ``patterns``; in the others, writes control
    characters as escapes (a checkpoint's file name in Lightning's "Restoring states from ...")."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        super().__init__("blobclf.quiet")
        self.pattern = re.compile("|".join(f"(?:{p})" for p in patterns))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.pattern.match(message) is not None:
            return False
        shown = printable(message, keep="\n")
        if shown != message:
            record.msg, record.args = shown, None
        return True


_FILTER = _Drop(tuple(pattern for pattern, *_ in LOG_RECORDS))


def quiet_known_notices() -> None:
    """Hide the notices listed in ``WARNINGS`` and ``LOG_RECORDS`` (not when ``BLOBCLF_DEBUG`` is set).

    Warnings are ignored by message; log records are dropped by a filter on the named libraries'
    loggers and on their handlers (a record from a child logger reaches only the handlers).
    """
    if debugging():
        return
    for pattern, *_ in WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for module, *_ in DEPRECATIONS_FROM:
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
