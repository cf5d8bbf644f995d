"""After ``test``: the test report and figures beside the checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

from blobclf.atomic import name_too_long
from blobclf.errors import UserError, printable
from blobclf.export import checkpoint_tag, in_float32, report_name, write_report
from blobclf.logger import values_step
from blobclf.outputnames import table_record
from blobclf.shownpath import shown
from blobclf.tablefile import table_stem
from blobclf.tensorboards import tensorboard_logger


def _tensorboard(trainer: L.Trainer) -> Any:
    """The TensorBoard ``SummaryWriter`` of the trainer's logger, if it has one."""
    board = tensorboard_logger(trainer)
    return board.experiment if board is not None else None


class TestReport(Callback):
    """After ``test``, write the test figures and then ``test_report-<checkpoint>.json`` beside the checkpoint.

    The report is removed first and written last: its presence means the figures beside it are of
    the same evaluation (a test stopped in between leaves no report).

    The report holds test loss, accuracy, per-class precision / recall / F1, macro F1, the
    confusion matrix and the expected calibration error; the same numbers and figures go to the
    logger. It covers the points Lightning tested: with ``--trainer.limit_test_batches``, the first
    batches of the split (test loaders never shuffle), as the printed ``test/acc`` does.
    """

    def __init__(self) -> None:
        self._tested = 0
        self.written: list[Path] = []
        """The figures and report the last test wrote."""

    @override
    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._tested, self.written = 0, []
        test_path = getattr(trainer.datamodule, "hparams", {}).get("test_path") if trainer.datamodule else None
        tag = checkpoint_tag(trainer.ckpt_path) + (f"-{table_stem(test_path)}" if test_path else "")
        longest = f"confusion_matrix_test-{tag}.png"  # the longest name a test writes (see on_test_end)
        if name_too_long(longest):  # refused at the end, after the whole test, with the report removed
            source = f" and the test table {shown(test_path)!r}" if test_path else ""
            raise UserError(f"the test's outputs would be named after the checkpoint {shown(trainer.ckpt_path)!r}"
                            f"{source}, and {shown(longest)!r} is longer than a file name may be; give the "
                            f"{'table' if test_path else 'checkpoint'} a shorter name")

    @override
    def on_test_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._tested += len(batch[1])

    @override
    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:
            return
        from blobclf import artifacts

        folder = Path(trainer.ckpt_path).parent if trainer.ckpt_path else Path(".")
        features, labels = trainer.datamodule.splits["test"]
        total = len(labels)
        if trainer.world_size == 1 and self._tested < total:
            if self._tested == 0:
                return  # nothing was tested (Lightning skips a test of no batches before this hook)
            features, labels = features[: self._tested], labels[: self._tested]
            print(f"note: the first {self._tested} of the split's {total} points were tested, as "
                  "--trainer.limit_test_batches asks; the report covers those points")
        loss = trainer.callback_metrics.get("test/loss")
        report = artifacts.evaluate(in_float32(pl_module.model), features, labels,
                                    loss=float(loss) if loss is not None else None,
                                    class_names=getattr(pl_module, "classes", None))
        report["checkpoint"] = str(trainer.ckpt_path) if trainer.ckpt_path else None
        # a separate test table gives its own report: testing one checkpoint on two tables keeps both
        test_path = getattr(trainer.datamodule, "hparams", {}).get("test_path")
        source = table_stem(test_path) if test_path else None  # as its figures and log folder are named
        if test_path:  # so that another table of the same name is told apart (see refuse_other_table)
            report["test_table"] = table_record(test_path)
        # the report goes first and comes back last, as a run's model.json does: a test stopped before its
        # end (a kill, a full disk) never leaves a report beside figures of another evaluation
        path = folder / report_name(trainer.ckpt_path, source)
        path.unlink(missing_ok=True)
        rendered = artifacts.render_figures(artifacts.evaluation_figures(report, "test"))
        tag = checkpoint_tag(trainer.ckpt_path) + (f"-{source}" if source else "")
        saved = artifacts.save_figures({f"{name}-{tag}": png for name, png in rendered.items()}, folder)
        for logger in trainer.loggers:
            logger.log_metrics(artifacts.report_scalars(report, "test"), step=trainer.current_epoch)
            logger.save()
        experiment = _tensorboard(trainer)
        if experiment is not None:
            artifacts.log_figures(experiment, rendered, values_step(trainer))
            experiment.flush()
        write_report(report, path)
        self.written = [*saved.values(), path]
        print(
            f"test report: {shown(path)} (accuracy {report['accuracy']:.5f}, macro F1 {report['macro_f1']:.5f}, "
            f"ECE {report['expected_calibration_error']:.5f})"
        )
        absent = [row.get("name", str(row["class"])) for row in report["per_class"] if row["support"] == 0]
        if absent:
            shown_names = ", ".join(printable(repr(name)) for name in absent[:5]) + (" ..." if len(absent) > 5 else "")
            have, their = ("has", "its") if len(absent) == 1 else ("have", "their")
            print(f"note: {len(absent)} of the model's {report['num_classes']} classes {have} no row in this data "
                  f"({shown_names}): {their} F1 counts as 0 in the macro F1 (see per_class in the report)")
        print(f"figures: {', '.join(shown(p) for p in saved.values())}")
