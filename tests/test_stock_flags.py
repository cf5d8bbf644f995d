"""Stock LightningCLI options a Lightning user passes to blobclf: they work as Lightning documents them,
or are refused up front in one line naming the option and the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import one_error

NO_EXPORTS = ("--export.figures", "false", "--export.onnx", "false")


def test_a_second_model_checkpoint_keeps_the_runs_own_folder_exports_and_best(cli, tmp_path):
    # Lightning's trainer.checkpoint_callback is the first ModelCheckpoint: the user's, added before
    # the run's own; the exports went into the user's folder and "last checkpoint:" was empty
    result = cli("fit", "--trainer.max_epochs", "3", "--trainer.callbacks+=ModelCheckpoint",
                 "--trainer.callbacks.monitor", "val/loss", "--trainer.callbacks.mode", "min",
                 "--trainer.callbacks.dirpath", "extra", "--trainer.callbacks.save_top_k", "2",
                 "--trainer.callbacks.filename", "{epoch}", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    run = tmp_path / "checkpoints" / "version_0"
    assert "best checkpoint: checkpoints/version_0/best-epoch=2-val_acc=0.6400.ckpt" in result.stdout
    assert "last checkpoint: checkpoints/version_0/last.ckpt" in result.stdout
    assert "exported metadata: checkpoints/version_0/model.json" in result.stdout
    assert sorted(p.name for p in run.iterdir()) == ["best-epoch=2-val_acc=0.6400.ckpt", "last.ckpt", "model.json",
                                                      "model.pth"]
    assert sorted(p.name for p in (tmp_path / "extra").iterdir()) == ["epoch=1.ckpt", "epoch=2.ckpt"]
    metadata = json.loads((run / "model.json").read_text())
    assert Path(metadata["checkpoints"]["best"]).name == "best-epoch=2-val_acc=0.6400.ckpt"
    tested = cli("test", "--ckpt_path", "best")
    assert tested.returncode == 0, tested.output
    assert (run / "test_report-best-epoch=2-val_acc=0.6400.json").is_file()


def test_the_best_checkpoints_default_name_names_the_metric_it_monitors(cli, tmp_path):
    # a run monitoring val/loss named its best checkpoint after val/acc: best-epoch=2-val_acc=0.6400.ckpt
    result = cli("fit", "--trainer.max_epochs", "3", "--checkpoint.monitor", "val/loss", "--checkpoint.mode", "min",
                 *NO_EXPORTS)
    assert result.returncode == 0, result.output
    run = tmp_path / "checkpoints" / "version_0"
    (best,) = run.glob("best-*.ckpt")
    assert re.fullmatch(r"best-epoch=2-val_loss=\d\.\d{4}\.ckpt", best.name), best.name
    assert f"best checkpoint: checkpoints/version_0/{best.name}" in result.stdout
    tested = cli("test", "--ckpt_path", "best")
    assert tested.returncode == 0, tested.output
    assert (run / f"test_report-{best.stem}.json").is_file()


@pytest.mark.parametrize(("monitor", "name"), [
    ("val/acc", "best-epoch={epoch}-val_acc={val/acc:.4f}"),  # the name blobclf always wrote
    ("val/loss", "best-epoch={epoch}-val_loss={val/loss:.4f}"),
    ("train/loss", "best-epoch={epoch}-train_loss={train/loss:.4f}"),
])
def test_the_default_name_pattern_follows_the_monitor(monitor, name):
    from blobclf.runcheckpoint import RunCheckpoint

    assert RunCheckpoint(monitor=monitor).filename == name
    assert RunCheckpoint(monitor=monitor, filename="{epoch}").filename == "{epoch}"  # a name given is kept


def test_a_run_trained_in_64_bit_precision_exports_float32_and_tests_in_64_bit(cli, tmp_path):
    # the double-precision model met float32 points in the ONNX export: a RuntimeError traceback, no model.json
    import torch

    from blobclf.export import load_model

    result = cli("fit", "--trainer.max_epochs", "3", "--trainer.precision", "64-true", "--export.figures", "false")
    assert result.returncode == 0, result.output
    assert "final metrics: train/acc=0.60875  train/loss=0.99856  val/acc=0.64000  val/loss=0.96168" in result.stdout
    run = tmp_path / "checkpoints" / "version_0"
    weights = torch.load(run / "model.pth", weights_only=True)
    assert {tensor.dtype for tensor in weights.values()} == {torch.float32}
    assert (run / "model.onnx").is_file() and (run / "model.json").is_file()
    model = load_model(run / "model.pth")
    assert model(torch.zeros(3, 2)).dtype == torch.float32
    tested = cli("test", "--ckpt_path", "last", "--trainer.precision", "64-true")
    assert tested.returncode == 0, tested.output
    double = json.loads((run / "test_report-last.json").read_text())
    assert double["accuracy"] == 0.64 and abs(double["loss"] - 0.9616786) < 1e-6  # the fit's val/loss: 0.96168
    # the same checkpoint tested in float32 predicts the same classes, with the loss's last float32 digits apart
    tested = cli("test", "--ckpt_path", "last")
    assert tested.returncode == 0, tested.output
    single = json.loads((run / "test_report-last.json").read_text())
    assert [row["support"] for row in double["per_class"]] == [49, 41, 53, 57]
    assert [round(row["recall"], 5) for row in double["per_class"]] == [1.0, 0.92683, 0.22642, 0.50877]
    assert double["per_class"] == single["per_class"] and double["confusion_matrix"] == single["confusion_matrix"]
    assert double["accuracy"] == single["accuracy"] and abs(double["loss"] - single["loss"]) < 1e-6


def test_limited_test_and_predict_batches_report_and_write_the_points_lightning_ran(cli, tmp_path):
    # predict with --trainer.limit_predict_batches ended in a ValueError traceback (fewer predictions than
    # points); test with --trainer.limit_test_batches reported the whole split's accuracy beside the
    # limited run's loss
    assert cli("fit", "--trainer.max_epochs", "3", *NO_EXPORTS).returncode == 0
    run = tmp_path / "checkpoints" / "version_0"
    predicted = cli("predict", "--ckpt_path", "last", "--data.eval_batch_size", "30",
                    "--trainer.limit_predict_batches", "2", "--prediction.output", "two.csv")
    assert predicted.returncode == 0, predicted.output
    assert ("predictions: two.csv (60 rows: the first 60 of 200 points, as --trainer.limit_predict_batches asks)"
            in predicted.stdout)
    assert "accuracy on these points: 0.65000 (39 of 60)" in predicted.stdout
    assert len((tmp_path / "two.csv").read_text().splitlines()) == 61
    tested = cli("test", "--ckpt_path", "last", "--data.eval_batch_size", "30", "--trainer.limit_test_batches", "0.3")
    assert tested.returncode == 0, tested.output
    assert ("note: the first 60 of the split's 200 points were tested, as --trainer.limit_test_batches asks; the "
            "report covers those points") in tested.stdout
    report = json.loads((run / "test_report-last.json").read_text())
    assert sum(row["support"] for row in report["per_class"]) == 60
    assert report["accuracy"] == 0.65 and abs(report["loss"] - 0.957085) < 1e-6


REFUSED = [
    (("--trainer.enable_checkpointing", "false"),
     "--trainer.enable_checkpointing=false is refused: a blobclf run keeps checkpoints (last.ckpt resumes it, the best "
     "one is tested); to write fewer, use --checkpoint.save_top_k 0 (no best checkpoint) and --checkpoint.save_last "
     "false (no last.ckpt)"),
    (("--trainer.barebones", "true"),
     "--trainer.barebones=true is refused: it turns off the logger and checkpoints a blobclf run is made of; for speed "
     "use --trainer.enable_progress_bar false --trainer.enable_model_summary false --export.figures false "
     "--export.onnx false"),
    (("--trainer.strategy", "ddp_spawn"),  # was a traceback: the spawned processes could not unpickle the command
     "--trainer.strategy=ddp_spawn is refused: blobclf's command line cannot hand its run to spawned processes; use "
     "--trainer.strategy ddp, which starts its processes as a fresh command (the same training, the same weights)"),
    (("--trainer.default_root_dir", "runs"),
     "--trainer.default_root_dir='runs' is not used by blobclf, whose runs go to --checkpoint.root (checkpoints) and "
     "the logger's save_dir (lightning_logs); give those instead: --checkpoint.root DIR/checkpoints "
     "--trainer.logger.init_args.save_dir DIR/lightning_logs (or run blobclf from DIR)"),
    # was taken and did nothing: Lightning uploads only through the ModelCheckpoint it adds when there is none
    (("--trainer.model_registry", "my-model"),
     "--trainer.model_registry='my-model' is not used by blobclf: Lightning uploads to a model registry only through "
     "the checkpoint callback it adds when there is none, and a blobclf run has its own (--checkpoint); drop it (the "
     "run's checkpoints are files under --checkpoint.root)"),
]


@pytest.mark.parametrize(("option", "said"), REFUSED, ids=["enable_checkpointing", "barebones", "ddp_spawn",
                                                                      "default_root_dir", "model_registry"])
def test_trainer_options_that_take_away_the_runs_files_are_one_line_naming_the_options_to_use(cli, tmp_path, option,
                                                                                             said):
    # enable_checkpointing and barebones were Lightning's lines naming no fix (barebones: an object's repr);
    # default_root_dir was silently ignored: the run went to ./checkpoints and ./lightning_logs
    assert one_error(cli("fit", *option)) == said
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("subcommand", "option", "said"), [
    # an evaluation was told to use --checkpoint.save_top_k and --export.figures, which its command line refuses
    ("test", ("--trainer.enable_checkpointing", "false"),
     "--trainer.enable_checkpointing=false is refused: a blobclf run keeps checkpoints (last.ckpt resumes it, the best "
     "one is tested); 'test' writes none: drop it"),
    ("predict", ("--trainer.barebones", "true"),
     "--trainer.barebones=true is refused: it turns off the logger and checkpoints a blobclf run is made of; for speed "
     "use --trainer.enable_progress_bar false"),
    ("validate", ("--trainer.model_registry", "m"),
     "--trainer.model_registry='m' is not used by blobclf: Lightning uploads to a model registry only through the "
     "checkpoint callback it adds when there is none, and a blobclf run has its own (--checkpoint); drop it (the run's "
     "checkpoints are files under --checkpoint.root)"),
], ids=["test-enable_checkpointing", "predict-barebones", "validate-model_registry"])
def test_an_evaluation_refuses_them_naming_only_its_own_options(cli, tutorial_run, subcommand, option, said):
    ckpt = tutorial_run[0] / "checkpoints" / "version_0" / "last.ckpt"
    before = sorted(path.name for path in ckpt.parent.iterdir())
    assert one_error(cli(subcommand, "--ckpt_path", str(ckpt), *option)) == said
    assert sorted(path.name for path in ckpt.parent.iterdir()) == before and list(cli.cwd.iterdir()) == []


def test_the_suggested_options_write_no_checkpoint_and_say_so(cli, tmp_path):
    result = cli("fit", "--trainer.max_epochs", "2", "--checkpoint.save_top_k", "0", "--checkpoint.save_last", "false",
                 *NO_EXPORTS)
    assert result.returncode == 0, result.output
    assert "best checkpoint: none (--checkpoint.save_top_k 0)\nlast checkpoint: none (--checkpoint.save_last false)\n" \
        in result.stdout
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "version_0").iterdir()) == ["model.json", "model.pth"]
    unvalidated = cli("fit", "--trainer.max_epochs", "2", "--trainer.limit_val_batches", "0", *NO_EXPORTS)
    assert unvalidated.returncode == 0, unvalidated.output
    assert "best checkpoint: none (val/acc was never logged: no validation ran)\n" in unvalidated.stdout


def test_a_timer_callback_stops_the_run_which_exports(cli, tmp_path):
    # Timer's interval defaults to an enum that LightningCLI's YAML dump of the config could not write:
    # a RepresenterError traceback before anything ran
    result = cli("fit", "--trainer.max_epochs", "100000", "--trainer.callbacks+=Timer",
                 "--trainer.callbacks.duration", "00:00:00:02", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    metadata = json.loads((tmp_path / "checkpoints" / "version_0" / "model.json").read_text())
    assert 0 < metadata["epochs"] < 100000
    config = (tmp_path / "lightning_logs" / "version_0" / "config.yaml").read_text()
    assert "class_path: lightning.pytorch.callbacks.Timer\n    init_args:\n      duration: 00:00:00:02\n      interval: step\n" \
        in config


def test_a_callback_whose_package_is_missing_is_lightnings_one_line(cli, tmp_path):
    import importlib.util

    if importlib.util.find_spec("rich") is not None:
        pytest.skip("rich is installed")
    assert one_error(cli("fit", "--trainer.callbacks+=RichProgressBar")) == (
        "`RichProgressBar` requires `rich` >= 10.2.2. Install it by running `pip install -U rich`.")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "line"), [
    (["--trainer.callbacks+=LearningRateMonitor", "--trainer.callbacks.logging_interval", "hour"],
     "--trainer.callbacks.logging_interval='hour' is invalid for lightning.pytorch.callbacks.LearningRateMonitor"),
    (["--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.patience", "abc"],
     "--trainer.callbacks.patience='abc' is invalid for lightning.pytorch.callbacks.EarlyStopping: give an integer"),
], ids=["literal", "int"])
def test_a_bad_value_of_a_callbacks_own_option_names_the_callback(cli, tmp_path, args, line):
    # a value outside a Literal was said to be no option at all: "--trainer.callbacks.logging_interval is not an
    # option of Callback; its options: --trainer.callbacks.help Callback"
    assert one_error(cli("fit", *args)) == line + " (see --help)"
    assert list(tmp_path.iterdir()) == []


def test_a_run_with_two_loggers_resumes_in_its_own_folders_and_draws_its_curves(cli, tmp_path):
    # the loggers of a list were not given the run's version: a resume went on as a new run (checkpoints/version_1
    # beside version_0, each logger's next free folder), and the curve figures were read from the first
    # logger's folder, a CSVLogger's, so they were never drawn
    loggers = ("[{class_path: CSVLogger, init_args: {save_dir: csv}}, "
               "{class_path: TensorBoardLogger, init_args: {save_dir: tb}}]")
    (tmp_path / "tb" / "version_0").mkdir(parents=True)  # another run's: every logger takes the next free version
    result = cli("fit", "--trainer.max_epochs", "2", "--trainer.logger", loggers, "--export.onnx", "false")
    assert result.returncode == 0, result.output
    run = tmp_path / "checkpoints" / "version_1"
    assert {"loss_curves.png", "accuracy_curves.png", "model.json"} <= {p.name for p in run.iterdir()}
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", *NO_EXPORTS)
    assert resumed.returncode == 0, resumed.output
    assert "last checkpoint: checkpoints/version_1/last.ckpt" in resumed.stdout
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["version_1"]
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["version_1"]
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == ["version_0", "version_1"]
    assert (tmp_path / "csv" / "version_1" / "resume-1.yaml").is_file()
    assert json.loads((run / "model.json").read_text())["epochs"] == 3


def test_a_run_logged_with_csv_only_says_why_it_draws_no_curves(cli, tmp_path):
    result = cli("fit", "--trainer.max_epochs", "2", "--trainer.logger", "CSVLogger", "--trainer.logger.save_dir",
                 "csv", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert ("note: loss_curves.png and accuracy_curves.png are drawn from TensorBoard's logs; with no "
            "TensorBoardLogger among the loggers they are not drawn") in result.stdout
    assert (tmp_path / "csv" / "version_0" / "metrics.csv").is_file()


def test_a_one_cycle_schedule_shorter_than_the_run_is_one_line_before_training(cli, tmp_path):
    # torch raised "Tried to step 4 times" at the end of epoch 3: a ValueError traceback mid-run
    onecycle = ("--lr_scheduler", "OneCycleLR", "--lr_scheduler.max_lr", "0.2", "--lr_scheduler.total_steps", "3")
    assert one_error(cli("fit", "--trainer.max_epochs", "5", *onecycle)) == (
        "--lr_scheduler OneCycleLR: its schedule has 3 steps, one per epoch, and ends before --trainer.max_epochs=5; "
        "give --lr_scheduler.total_steps 5 (or more), or fewer --trainer.max_epochs")
    assert list(tmp_path.iterdir()) == []
    assert cli("fit", "--trainer.max_epochs", "3", *onecycle, *NO_EXPORTS).returncode == 0
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "5")) == (
        "--lr_scheduler OneCycleLR: its schedule has 3 steps, one per epoch, and ends before --trainer.max_epochs=5; "
        "start a new run to train longer (a resume keeps the run's scheduler)")


def test_a_run_named_by_its_loggers_version_resumes_in_its_own_log_folder(cli, tmp_path):
    # --ckpt_path last said "no runs found under 'checkpoints'; train one first", and a resume by path went on
    # in a new TensorBoard run (tb/exp/version_0) beside the run's own tb/exp/v1
    named = ("--trainer.logger", "TensorBoardLogger", "--trainer.logger.save_dir", "tb", "--trainer.logger.name", "exp",
             "--trainer.logger.version", "v1")
    assert cli("fit", "--trainer.max_epochs", "2", *named, *NO_EXPORTS).returncode == 0
    assert one_error(cli("fit", "--ckpt_path", "last")) == (
        "no numbered runs (version_N) under 'checkpoints', which 'last' and 'best' look for; the run 'checkpoints/v1' "
        "is named by its logger's version: pass its checkpoint, --ckpt_path checkpoints/v1/last.ckpt")
    resumed = cli("fit", "--ckpt_path", "checkpoints/v1/last.ckpt", "--trainer.max_epochs", "3", *NO_EXPORTS)
    assert resumed.returncode == 0, resumed.output
    assert sorted(p.name for p in (tmp_path / "tb" / "exp").iterdir()) == ["v1"]
    assert (tmp_path / "tb" / "exp" / "v1" / "resume-1.yaml").is_file()
    assert json.loads((tmp_path / "checkpoints" / "v1" / "model.json").read_text())["epochs"] == 3


def test_an_epoch_without_validation_prints_no_earlier_epochs_test_values(cli):
    # with --trainer.check_val_every_n_epoch 2 the line of epoch 4 showed epoch 3's "Test Loss: 0.91202" as its own
    result = cli("fit", "--trainer.max_epochs", "5", "--trainer.check_val_every_n_epoch", "2", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("Epoch: ")]
    assert lines == ["Epoch: 0 | Train Loss: 1.16741, Train Acc: 0.41", "Epoch: 4 | Train Loss: 0.87884, Train Acc: 0.75"]
    assert "val/acc=0.73500" in result.stdout  # the final metrics name the last validation's values


def test_a_limit_of_1_is_one_batch_as_lightning_documents_also_in_a_resume(cli, tmp_path):
    # the Trainer types limit_*_batches Union[float, int]: the parser read 1 as 1.0, the whole split, so
    # --trainer.limit_val_batches 1 changed nothing
    small = ("--data.eval_batch_size", "20")
    result = cli("fit", "--trainer.max_epochs", "1", *small, "--trainer.limit_val_batches", "1", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    assert "Epoch: 0 | Train Loss: 1.16741, Train Acc: 0.41 | Test Loss: 1.05073, Test Acc: 0.50" in result.stdout
    assert "`Trainer(limit_val_batches=1)` was configured so 1 batch will be used." in result.output
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "2", *small, *NO_EXPORTS)
    assert resumed.returncode == 0, resumed.output
    assert "`Trainer(limit_val_batches=1)` was configured so 1 batch will be used." in resumed.output
    assert "Epoch: 1 | Train Loss: 1.07670, Train Acc: 0.55 | Test Loss: 0.98722, Test Acc: 0.55" in resumed.stdout
    tested = cli("test", "--ckpt_path", "last", *small, "--trainer.limit_test_batches=1")
    assert tested.returncode == 0, tested.output
    assert "note: the first 20 of the split's 200 points were tested" in tested.stdout


def test_a_run_without_checkpoints_draws_its_curves_of_every_epoch(cli, tmp_path):
    # the logger keeps values up to --trainer.logger.init_args.save_interval seconds and a checkpoint writes
    # them; without checkpoints the curves were read before they were written: no loss or accuracy figure
    result = cli("fit", "--trainer.max_epochs", "3", "--checkpoint.save_top_k", "0", "--checkpoint.save_last", "false",
                 "--export.onnx", "false")
    assert result.returncode == 0, result.output
    from blobclf.artifacts import read_curves

    curves = read_curves(tmp_path / "lightning_logs" / "version_0")
    assert {tag: epochs for tag, (epochs, _) in curves.items()} == {tag: [0, 1, 2] for tag in
                                                                    ("train/loss", "train/acc", "val/loss", "val/acc")}
    assert [round(v, 5) for v in curves["val/loss"][1]] == [1.08563, 1.01944, 0.96168]
    run = tmp_path / "checkpoints" / "version_0"
    assert "figures: checkpoints/version_0/data.png, checkpoints/version_0/loss_curves.png, " \
           "checkpoints/version_0/accuracy_curves.png, " in result.stdout
    assert (run / "loss_curves.png").is_file() and (run / "accuracy_curves.png").is_file()


def test_a_run_validated_every_other_epoch_draws_its_curves(cli, tmp_path):
    # the curve figures took one validation value per epoch: with --trainer.check_val_every_n_epoch 2 the end of
    # the fit was a traceback (ValueError ... got (4,), (4,) and (2,)) and no model.json was written
    result = cli("fit", "--trainer.max_epochs", "4", "--trainer.check_val_every_n_epoch", "2", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    run = tmp_path / "checkpoints" / "version_0"
    assert "checkpoints/version_0/loss_curves.png, checkpoints/version_0/accuracy_curves.png" in result.stdout
    assert (run / "model.json").is_file() and (run / "loss_curves.png").is_file()


def test_a_swa_runs_config_yaml_repeats_the_run(cli, tmp_path):
    # StochasticWeightAveraging's device defaults to torch.device("cpu"): config.yaml said
    # 'device: Unable to serialize instance cpu', and fit --config on it was a RuntimeError traceback
    result = cli("fit", "--trainer.max_epochs", "2", "--trainer.callbacks+=StochasticWeightAveraging",
                 "--trainer.callbacks.swa_lrs", "0.05", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    config = (tmp_path / "lightning_logs" / "version_0" / "config.yaml").read_text()
    assert "      avg_fn: null\n      device: cpu\n" in config
    (tmp_path / "again.yaml").write_text(config)
    again = cli("fit", "--config", "again.yaml")
    assert again.returncode == 0, again.output
    first, repeated = ([line for line in r.stdout.splitlines() if line.startswith("final metrics:")] for r in (result, again))
    assert first == repeated and len(first) == 1  # the same run again


def test_a_resume_validates_with_the_runs_own_eval_batch_size(cli, tmp_path):
    # --data.eval_batch_size was not taken from the run: a resumed run of one validation batch of 20
    # points validated the whole split in one batch, unless the size was given again
    small = ("--data.eval_batch_size", "20")
    result = cli("fit", "--trainer.max_epochs", "1", *small, "--trainer.limit_val_batches", "1", *NO_EXPORTS)
    assert result.returncode == 0, result.output
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "2", *NO_EXPORTS)
    assert resumed.returncode == 0, resumed.output
    assert "Epoch: 1 | Train Loss: 1.07670, Train Acc: 0.55 | Test Loss: 0.98722, Test Acc: 0.55" in resumed.stdout
    # still free to change: a resume given another size validates with it, without a conflict
    other = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--data.eval_batch_size", "40", *NO_EXPORTS)
    assert other.returncode == 0, other.output
    assert "conflicts" not in other.output


def test_a_runs_config_yaml_keeps_a_limit_of_1_one_batch(cli, tmp_path):
    # jsonargparse wrote the integer 1 as 1.0, and fit --config of the run's config.yaml read it so: the
    # repeated run validated on the whole split where the run had validated on one batch
    small = ("--data.eval_batch_size", "20")
    first = cli("fit", "--trainer.max_epochs", "1", *small, "--trainer.limit_val_batches", "1", *NO_EXPORTS)
    assert first.returncode == 0, first.output
    config = tmp_path / "lightning_logs" / "version_0" / "config.yaml"
    assert "\n  limit_val_batches: 1\n" in config.read_text()
    again = cli("fit", "--config", str(config), "--trainer.logger.init_args.version", "1")
    assert again.returncode == 0, again.output
    assert "`Trainer(limit_val_batches=1)` was configured so 1 batch will be used." in again.output
    assert "Epoch: 0 | Train Loss: 1.16741, Train Acc: 0.41 | Test Loss: 1.05073, Test Acc: 0.50" in again.stdout
    assert "\n  limit_val_batches: 1\n" in (tmp_path / "lightning_logs" / "version_1" / "config.yaml").read_text()
    # a 1.0 written in a config file stays the whole split
    whole = tmp_path / "whole.yaml"
    whole.write_text(config.read_text().replace("limit_val_batches: 1\n", "limit_val_batches: 1.0\n"))
    full = cli("fit", "--config", str(whole), "--trainer.logger.init_args.version", "2")
    assert full.returncode == 0, full.output
    assert "was configured so 1 batch will be used" not in full.output
    assert "limit_val_batches: 1.0\n" in (tmp_path / "lightning_logs" / "version_2" / "config.yaml").read_text()


@pytest.mark.parametrize(("steps", "line"), [
    ("1", "--trainer.overfit_batches=0.1 is less than one batch: 0.1 of the validation split's 1 batch (it overrides "
          "--trainer.limit_val_batches); give a number of batches instead: --trainer.overfit_batches 1 (or more)"),
    ("16", "--trainer.overfit_batches=0.1 is less than one batch: 0.1 of the training split's 2 batches (it overrides "
           "--trainer.limit_train_batches); give a number of batches instead: --trainer.overfit_batches 1 (or more)"),
], ids=["validation", "training"])
def test_an_overfit_fraction_under_one_batch_names_overfit_batches_and_writes_nothing(cli, steps, line):
    # was Lightning's 'Please increase the `limit_val_batches` argument', which overfit_batches overrides,
    # after the run's folders were made (left behind)
    result = cli("fit", "--trainer.overfit_batches", "0.1", "--data.batch_size", "32", "--model.steps_per_execution",
                 steps, *NO_EXPORTS)
    assert one_error(result) == line
    assert list(cli.cwd.iterdir()) == []
    # the fix given works: one batch of each split
    fixed = cli("fit", "--trainer.max_epochs", "1", "--trainer.overfit_batches", "1", "--data.batch_size", "32",
                "--model.steps_per_execution", steps, *NO_EXPORTS)
    assert fixed.returncode == 0, fixed.output
