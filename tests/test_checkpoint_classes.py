"""A class that a checkpoint names is used only if already loaded: no module is imported because a file says so."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import torch
from conftest import one_error

TRAINING = "training"


def planted_module(folder: Path, marker: Path) -> str:
    """A module on ``sys.path`` whose import writes ``marker``, with a callback and an optimizer class in it."""
    name = f"planted_{uuid.uuid4().hex[:12]}"
    (folder / f"{name}.py").write_text(
        f"from pathlib import Path\n"
        f"import lightning as L\n"
        f"import torch\n"
        f"Path({str(marker)!r}).write_text('imported')\n"
        f"class Marker(L.Callback):\n"
        f"    def __init__(self, word: str = 'hi') -> None:\n"
        f"        self.word = word\n"
        f"    def on_train_end(self, trainer, pl_module) -> None:\n"
        f"        Path({str(marker)!r}).write_text('trained ' + self.word)\n"
        f"class Optimizer(torch.optim.SGD):\n"
        f"    pass\n"
        f"def called(*args):\n"
        f"    Path({str(marker)!r}).write_text('called')\n"
        f"    return 1.0\n"
        f"def half(epoch):\n"
        f"    return 0.5\n"
    )
    return name


@pytest.fixture()
def planted(tmp_path, monkeypatch):
    """(module name, marker file): a module that reports its import, importable from this process."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    marker = tmp_path / "MARKER"
    return planted_module(folder, marker), marker


def edited(tutorial_run, tmp_path: Path, edit) -> Path:
    """A copy of the tutorial run's last checkpoint with ``edit(checkpoint, training_settings)`` applied."""
    cwd, _ = tutorial_run
    checkpoint = torch.load(cwd / "checkpoints" / "version_0" / "last.ckpt", weights_only=True)
    training = next(s[TRAINING] for s in checkpoint["callbacks"].values() if isinstance(s, dict) and TRAINING in s)
    edit(checkpoint, training)
    path = tmp_path / "run" / "edited.ckpt"
    path.parent.mkdir()
    torch.save(checkpoint, path)
    return path


def epochs_done(checkpoint: dict) -> int:
    # "processed", not "completed": a last.ckpt written at the last epoch's end (last_interval passed, as on a slow
    # machine) is saved before Lightning counts that epoch completed
    return checkpoint["loops"]["fit_loop"]["epoch_progress"]["current"]["processed"]


EDITS = {
    "data class": ("test", "data.class_path", lambda c, t, cls: c["datamodule_hyper_parameters"].update(_class_path=cls)),
    "lr_scheduler": ("fit", "lr_scheduler", lambda c, t, cls: t.update(lr_scheduler={"class_path": cls, "init_args": {}})),
    "optimizer": ("fit", "optimizer", lambda c, t, cls: t["optimizer"].update(class_path=cls)),
    "logger": ("fit", "trainer.logger", lambda c, t, cls: t["settings"].update({"trainer.logger": {"class_path": cls}})),
    "callback by name": ("fit", "trainer.callbacks", lambda c, t, cls: t["settings"].update({"trainer.callbacks": [cls]})),
    "callback": ("fit", "trainer.callbacks",
                 lambda c, t, cls: t["settings"].update({"trainer.callbacks": [{"class_path": cls, "init_args": {}}]})),
    "profiler": ("fit", "trainer.profiler", lambda c, t, cls: t["settings"].update({"trainer.profiler": cls})),
    "plugins": ("fit", "trainer.plugins",
                lambda c, t, cls: t["settings"].update({"trainer.plugins": [{"class_path": cls}]})),
    "accelerator": ("fit", "trainer.accelerator", lambda c, t, cls: t["settings"].update({"trainer.accelerator": cls})),
    "nested in a logger": ("fit", "trainer.logger", lambda c, t, cls: t["settings"].update(
        {"trainer.logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                            "init_args": {"save_dir": "logs", "name": {"class_path": cls}}}})),
}


@pytest.mark.parametrize("setting", list(EDITS))
def test_a_class_named_by_a_checkpoint_is_not_imported(tutorial_run, tmp_path, cli, planted, setting):
    module, marker = planted
    command, key, edit = EDITS[setting]
    ckpt = edited(tutorial_run, tmp_path, lambda c, t: edit(c, t, f"{module}.Marker"))
    result = cli(command, "--ckpt_path", str(ckpt), *(["--trainer.max_epochs", "101"] if command == "fit" else []))
    assert result.returncode == 2
    assert one_error(result).startswith(
        f"checkpoint {str(ckpt)!r} names the class '{module}.Marker' ({key}), which is not loaded, and blobclf "
        f"imports no module that a file names; if you trust the checkpoint, give the class yourself: "
    )
    assert not marker.exists()
    assert module not in sys.modules


@pytest.mark.parametrize("command", ["validate", "test", "predict"])
def test_an_evaluation_leaves_out_an_optimizer_it_does_not_use(tutorial_run, tmp_path, cli, planted, command):
    module, marker = planted
    ckpt = edited(tutorial_run, tmp_path, lambda c, t: t["optimizer"].update(class_path=f"{module}.Optimizer"))
    result = cli(command, "--ckpt_path", str(ckpt))
    assert result.returncode == 0, result.output
    assert not marker.exists()
    assert module not in sys.modules


def test_a_resume_with_its_own_callback_is_told_to_name_the_run_config_and_then_resumes(cli, planted, monkeypatch):
    module, marker = planted
    config = Path(__file__).resolve().parents[1] / "configs" / "sgd.yaml"
    first = cli("fit", "--config", str(config), "--trainer.max_epochs", "2",
                f"--trainer.callbacks+={module}.Marker", "--trainer.callbacks.word", "yo")
    assert first.returncode == 0, first.output
    assert marker.read_text() == "trained yo"
    marker.unlink()
    monkeypatch.delitem(sys.modules, module)  # as in a new process: the module is not imported yet

    refused = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert refused.returncode == 2
    run_config = str(Path("lightning_logs") / "version_0" / "config.yaml")
    assert one_error(refused).endswith(
        f"if you trust the checkpoint, give the class yourself: put --config {run_config} first (the run's own "
        f"config); or use another checkpoint"
    )
    assert not marker.exists()

    resumed = cli("fit", "--config", run_config, "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    assert marker.read_text() == "trained yo"  # the run's own callback, once, with its own argument
    assert epochs_done(torch.load("checkpoints/version_0/last.ckpt", weights_only=True)) == 3


def test_an_optimizer_class_given_on_the_command_line_resumes_with_the_run_s_arguments(cli, planted, monkeypatch):
    module, _ = planted
    config = Path(__file__).resolve().parents[1] / "configs" / "sgd.yaml"
    first = cli("fit", "--config", str(config), "--trainer.max_epochs", "2",
                "--optimizer", f"{module}.Optimizer", "--optimizer.lr", "0.05")
    assert first.returncode == 0, first.output
    monkeypatch.delitem(sys.modules, module)
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--optimizer", f"{module}.Optimizer")
    assert resumed.returncode == 0, resumed.output
    checkpoint = torch.load("checkpoints/version_0/last.ckpt", weights_only=True)
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["lr"] == 0.05
    assert epochs_done(checkpoint) == 3


FUNCTIONS = {
    "lr_scheduler": ("lr_lambda", lambda t, f: t.update(
        lr_scheduler={"class_path": "torch.optim.lr_scheduler.LambdaLR", "init_args": {"lr_lambda": f}})),
    "trainer.callbacks": ("on_fit_start", lambda t, f: t["settings"].update({"trainer.callbacks": [
        {"class_path": "lightning.pytorch.callbacks.LambdaCallback", "init_args": {"on_fit_start": f}}]})),
}


@pytest.mark.parametrize("command", ["fit", "test"])
@pytest.mark.parametrize("key", list(FUNCTIONS))
def test_a_function_named_in_a_class_s_arguments_is_not_imported(tutorial_run, tmp_path, cli, planted, key, command):
    # the parser resolved 'lr_lambda: planted.called' by importing planted: test ran its module's code
    module, marker = planted
    argument, edit = FUNCTIONS[key]
    ckpt = edited(tutorial_run, tmp_path, lambda c, t: edit(t, f"{module}.called"))
    result = cli(command, "--ckpt_path", str(ckpt), *(["--trainer.max_epochs", "101"] if command == "fit" else []))
    if command == "fit":
        assert one_error(result) == (
            f"checkpoint {str(ckpt)!r} names '{module}.called' ({key}: {argument}), whose module is not loaded, and "
            f"blobclf imports no module that a file names; if you trust the checkpoint, give it yourself: "
            f"put the run's own config.yaml first (--config PATH), which names it; or use another checkpoint")
    else:  # an evaluation leaves out what it cannot use without importing, as it does an optimizer
        assert result.returncode == 0, result.output
        assert "(accuracy 0.96500," in result.output, result.output  # the tutorial's last weights, evaluated
    assert not marker.exists()
    assert module not in sys.modules


@pytest.mark.parametrize("function", ["os.close", "builtins.exec", "subprocess.run"])
@pytest.mark.parametrize("key", list(FUNCTIONS))
def test_a_function_of_a_loaded_module_named_by_a_checkpoint_is_not_called(tutorial_run, tmp_path, cli, key, function):
    # os is always imported: a fit resume built LambdaLR(lr_lambda=os.close), which closed the command's stdin
    argument, edit = FUNCTIONS[key]
    ckpt = edited(tutorial_run, tmp_path, lambda c, t: edit(t, function))
    assert one_error(cli("fit", "--ckpt_path", str(ckpt), "--trainer.max_epochs", "101")) == (
        f"checkpoint {str(ckpt)!r} names the function {function!r} ({key}: {argument}), and blobclf calls no function "
        f"that a file names; if you trust the checkpoint, give it yourself: put the run's own config.yaml first "
        f"(--config PATH), which names it; or use another checkpoint")


def test_a_function_in_a_list_named_by_a_checkpoint_is_not_imported(tutorial_run, tmp_path, cli, planted):
    # LambdaLR takes one function per parameter group: the list's items were not checked, and the parser imported them
    module, marker = planted
    ckpt = edited(tutorial_run, tmp_path, lambda c, t: t.update(lr_scheduler={
        "class_path": "torch.optim.lr_scheduler.LambdaLR", "init_args": {"lr_lambda": [f"{module}.called"]}}))
    assert one_error(cli("fit", "--ckpt_path", str(ckpt), "--trainer.max_epochs", "101")).startswith(
        f"checkpoint {str(ckpt)!r} names '{module}.called' (lr_scheduler: lr_lambda), whose module is not loaded")
    assert not marker.exists()
    assert module not in sys.modules


def test_a_scheduler_function_given_by_its_import_path_trains_and_resumes(cli, planted, monkeypatch):
    # --lr_scheduler.lr_lambda pkg.f was refused: "'str' object is not callable"
    module, _ = planted
    config = Path(__file__).resolve().parents[1] / "configs" / "sgd.yaml"
    first = cli("fit", "--config", str(config), "--trainer.max_epochs", "2", "--lr_scheduler", "LambdaLR",
                "--lr_scheduler.lr_lambda", f"{module}.half")
    assert first.returncode == 0, first.output
    checkpoint = torch.load("checkpoints/version_0/last.ckpt", weights_only=True)
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.05)  # 0.1 * half's 0.5
    assert f"lr_lambda: {module}.half" in Path("lightning_logs/version_0/config.yaml").read_text()
    monkeypatch.delitem(sys.modules, module)
    run_config = str(Path("lightning_logs") / "version_0" / "config.yaml")
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")).endswith(
        f"give it yourself: put --config {run_config} first (the run's own config); or use another checkpoint")
    resumed = cli("fit", "--config", run_config, "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    checkpoint = torch.load("checkpoints/version_0/last.ckpt", weights_only=True)
    assert epochs_done(checkpoint) == 3
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.05)


def test_a_scheduler_function_in_a_list_is_written_to_config_yaml_and_resumes(cli, planted, monkeypatch):
    # LambdaLR takes a function or a list of them (one per parameter group): for '[pkg.half]' the run's config.yaml
    # held 'lr_lambda: Unable to serialize instance [<function half at 0x7f...>]', and the resume it was told to run
    # with that config.yaml first ended in jsonargparse's many-line error
    module, _ = planted
    config = Path(__file__).resolve().parents[1] / "configs" / "sgd.yaml"
    first = cli("fit", "--config", str(config), "--trainer.max_epochs", "2", "--lr_scheduler", "LambdaLR",
                "--lr_scheduler.lr_lambda", f"[{module}.half]")
    assert first.returncode == 0, first.output
    run_config = Path("lightning_logs") / "version_0" / "config.yaml"
    assert f"lr_lambda:\n    - {module}.half\n" in run_config.read_text()
    monkeypatch.delitem(sys.modules, module)
    resumed = cli("fit", "--config", str(run_config), "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    checkpoint = torch.load("checkpoints/version_0/last.ckpt", weights_only=True)
    assert epochs_done(checkpoint) == 3
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.05)


@pytest.mark.parametrize(("given", "shown"), [
    ("lambda e: 0.5", "{'lambda e': 0.5}"), ("lambda_mod.nope", "'lambda_mod.nope'"), ("[lambda_mod.nope]", "['lambda_mod.nope']")])
def test_a_scheduler_function_that_is_no_import_path_is_one_line_naming_the_form(cli, given, shown):
    # 'lambda e: 0.5' printed jsonargparse's "Parser key "lr_scheduler": NestedArg(key='lr_lambda', val={'lambda e': 0.5})
    # is invalid: Problem with given class_path ...: Does not validate against any of the Union subtypes: ..."
    assert one_error(cli("fit", "--lr_scheduler", "LambdaLR", "--lr_scheduler.lr_lambda", given)) == (
        f"--lr_scheduler.lr_lambda={shown} is invalid for torch.optim.lr_scheduler.LambdaLR: give the "
        "import path of a function (or a list of them), pkg.schedule, whose module is importable (on PYTHONPATH); "
        "code such as a lambda is not taken (see --help)")


def test_a_run_whose_callback_takes_a_function_resumes_with_its_config(cli, planted, monkeypatch):
    # the checkpoint recorded the function as '<function called at 0x7f...>': no resume could read it back
    module, marker = planted
    config = Path(__file__).resolve().parents[1] / "configs" / "sgd.yaml"
    first = cli("fit", "--config", str(config), "--trainer.max_epochs", "2", "--trainer.callbacks+=LambdaCallback",
                f"--trainer.callbacks.on_fit_start={module}.called")
    assert first.returncode == 0, first.output
    assert marker.read_text() == "called"
    marker.unlink()
    recorded = torch.load("checkpoints/version_0/last.ckpt", weights_only=True)["callbacks"]
    training = next(s[TRAINING] for s in recorded.values() if isinstance(s, dict) and TRAINING in s)
    assert training["settings"]["trainer.callbacks"][0]["init_args"]["on_fit_start"] == f"{module}.called"
    monkeypatch.delitem(sys.modules, module)

    run_config = str(Path("lightning_logs") / "version_0" / "config.yaml")
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")).endswith(
        f"give it yourself: put --config {run_config} first (the run's own config); or use another checkpoint")
    assert not marker.exists()
    resumed = cli("fit", "--config", run_config, "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    assert marker.read_text() == "called"
    assert epochs_done(torch.load("checkpoints/version_0/last.ckpt", weights_only=True)) == 3
