"""Faults and hostile input: nothing lost, nothing runs away, every refusal one line (issue: faults)."""

from __future__ import annotations

import copy
import errno
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import lightning
import pytest
import torch
import yaml
from conftest import REPO

import blobclf.atomic
import blobclf.checkpointio
import blobclf.predictions
import blobclf.runexport
import blobclf.testreport
from blobclf.atomic import TEMP_SUFFIX, atomic_write, remove_leftovers
from blobclf.errors import UserError
from blobclf.system import BlobClassifier
from blobclf.safeload import load_checkpoint

QUICK = ["--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false"]


def one_error(result) -> str:
    """The single ``blobclf: error:`` line of a refused command (and no traceback)."""
    assert result.returncode == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("blobclf: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    return errors[0]


@pytest.fixture
def trained(cli):
    """One short run in ``cli``'s folder; returns its folder."""
    assert cli("fit", *QUICK).returncode == 0
    return cli.cwd / "checkpoints" / "version_0"


# --- every write atomic -------------------------------------------------------------------------

def test_a_write_cut_short_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def write(handle):
        handle.write(b"half of the new")
        raise KeyboardInterrupt  # as a kill would, mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, write)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_the_temporary_file_is_made_in_the_destinations_own_folder(tmp_path, monkeypatch):
    seen = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (seen.append((Path(src).parent, Path(dst).parent)), real(src, dst)))
    atomic_write(tmp_path / "sub" / "x.bin", lambda handle: handle.write(b"new"))
    assert seen == [(tmp_path / "sub", tmp_path / "sub")]  # a rename within a folder never crosses filesystems


def test_leftovers_of_killed_writes_are_removed_and_nothing_else(tmp_path):
    for name in (f".last.ckpt.abc123{TEMP_SUFFIX}", f".model.pth.x{TEMP_SUFFIX}", "last.ckpt", "notes.tmp", ".hidden"):
        (tmp_path / name).write_bytes(b"x")
    removed = remove_leftovers(tmp_path)
    assert sorted(p.name for p in removed) == [f".last.ckpt.abc123{TEMP_SUFFIX}", f".model.pth.x{TEMP_SUFFIX}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hidden", "last.ckpt", "notes.tmp"]


def killed_while_writing(path: Path) -> None:
    """A process that dies in the middle of ``atomic_write(path, ...)``, and with it the lock on its temporary."""
    code = ("import os, sys; from blobclf.atomic import atomic_write; "
            "atomic_write(sys.argv[1], lambda handle: (handle.write(b'half'), handle.flush(), os._exit(9)))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    assert subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=False).returncode == 9


def test_a_write_in_progress_keeps_its_temporary_while_a_killed_ones_is_removed(tmp_path):
    killed_while_writing(tmp_path / "report.json")
    [left] = tmp_path.iterdir()
    seen = []

    def write(handle):  # a test writing its report while a fit starts in the same run folder
        handle.write(b"whole")
        seen.extend(remove_leftovers(tmp_path))
    atomic_write(tmp_path / "predictions.csv", write)
    assert seen == [left]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.csv"]
    assert (tmp_path / "predictions.csv").read_bytes() == b"whole"


def test_writing_a_file_again_removes_what_a_killed_write_of_it_left(tmp_path):
    for name in ("out.csv", "other.csv"):  # two predicts killed while writing their outputs
        killed_while_writing(tmp_path / name)
    atomic_write(tmp_path / "out.csv", lambda handle: handle.write(b"whole"))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".other.csv.")) == ["out.csv"]
    assert len(list(tmp_path.iterdir())) == 2  # the other file's temporary is the next write of other.csv's


def test_checkpoints_are_written_atomically_and_a_cut_write_keeps_the_previous(cli, trained, monkeypatch):
    before = (trained / "last.ckpt").read_bytes()

    def cut(checkpoint, handle):
        handle.write(b"PK\x03\x04 partial")
        raise RuntimeError("killed mid-write")  # what the process sees of a kill, as near as a test gets

    monkeypatch.setattr(blobclf.checkpointio.torch, "save", cut)
    with pytest.raises(RuntimeError, match="killed mid-write"):
        cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4", "--checkpoint.last_interval", "0",
            "--export.figures", "false", "--export.onnx", "false")
    assert (trained / "last.ckpt").read_bytes() == before
    assert not [p for p in trained.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def test_the_trainer_uses_the_atomic_checkpoint_writer(tmp_path, monkeypatch):
    from blobclf.checkpointio import AtomicCheckpointIO
    from blobclf.cli import cli_for, cli_kwargs

    monkeypatch.chdir(tmp_path)
    built = cli_for("fit")(**cli_kwargs(), args=["fit", *QUICK])
    assert isinstance(built.trainer.strategy.checkpoint_io, AtomicCheckpointIO)


def test_config_yaml_is_written_once_and_resumes_are_recorded_beside_it(cli, trained):
    log_dir = cli.cwd / "lightning_logs" / "version_0"
    first = (log_dir / "config.yaml").read_text()
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--export.figures", "false",
               "--export.onnx", "false").returncode == 0
    assert (log_dir / "config.yaml").read_text() == first
    resumed = yaml.safe_load((log_dir / "resume-1.yaml").read_text())
    assert resumed["trainer"]["max_epochs"] == 3 and resumed["ckpt_path"].endswith("last.ckpt")


# --- a kill during the export, then a resume ----------------------------------------------------

def test_a_resume_completes_an_export_that_a_kill_cut_short(cli, monkeypatch):
    def killed(*args, **kwargs):
        raise RuntimeError("killed")  # stands for a kill while the ONNX file is written

    original = blobclf.runexport.export_onnx
    monkeypatch.setattr(blobclf.runexport, "export_onnx", killed)
    with pytest.raises(RuntimeError, match="killed"):
        cli("fit", "--trainer.max_epochs", "2", "--export.figures", "false")
    run = cli.cwd / "checkpoints" / "version_0"
    assert (run / "model.pth").exists() and not (run / "model.json").exists()
    monkeypatch.setattr(blobclf.runexport, "export_onnx", original)
    result = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "2", "--export.figures", "false")
    assert result.returncode == 0, result.output
    assert "nothing was trained" not in result.stdout
    meta = json.loads((run / "model.json").read_text())
    assert (run / "model.onnx").exists()
    stored = [s["epoch_values"] for s in load_checkpoint(run / "last.ckpt")["callbacks"].values() if "epoch_values" in s][0]
    assert meta["metrics"] == pytest.approx(stored["metrics"]) and set(meta["metrics"]) == {
        "train/loss", "train/acc", "val/loss", "val/acc"}
    again = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "2", "--export.figures", "false")
    assert "exports in checkpoints/version_0 are complete and kept as they were" in again.stdout


def test_an_extended_run_killed_while_exported_never_keeps_the_old_model_json_beside_new_weights(cli, monkeypatch):
    assert cli("fit", "--trainer.max_epochs", "2", "--export.figures", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"

    def killed(*args, **kwargs):
        raise RuntimeError("killed")  # stands for a kill once model.pth holds the extended run's weights

    original = blobclf.runexport.export_onnx
    monkeypatch.setattr(blobclf.runexport, "export_onnx", killed)
    with pytest.raises(RuntimeError, match="killed"):
        cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4", "--export.figures", "false")
    assert not (run / "model.json").exists()  # the exports say they are incomplete
    monkeypatch.setattr(blobclf.runexport, "export_onnx", original)
    result = cli("fit", "--ckpt_path", "last", "--export.figures", "false")
    assert result.returncode == 0, result.output
    assert "nothing was trained" not in result.stdout
    meta = json.loads((run / "model.json").read_text())
    last = load_checkpoint(run / "last.ckpt")
    assert (meta["global_step"], meta["epochs"], last["global_step"]) == (4, 4, 4)
    weights = torch.load(run / "model.pth", weights_only=True)
    assert all(torch.equal(weights[k], last["state_dict"][f"model.{k}"]) for k in weights)


def test_a_model_json_of_an_earlier_step_is_no_complete_export(cli):
    assert cli("fit", "--trainer.max_epochs", "2", "--export.figures", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    meta = json.loads((run / "model.json").read_text())
    (run / "model.json").write_text(json.dumps({**meta, "global_step": 1}))  # as a kill left it before this fix
    result = cli("fit", "--ckpt_path", "last", "--export.figures", "false")
    assert "nothing was trained" not in result.stdout
    assert json.loads((run / "model.json").read_text())["global_step"] == 2


def test_a_test_stopped_before_its_end_never_leaves_its_report_beside_figures_of_another_evaluation(cli, monkeypatch):
    # the report was written first: a test of an extended run cut short while it wrote its figures (a kill,
    # a full disk) left the new report beside the earlier evaluation's figures, each file whole
    import blobclf.artifacts

    assert cli("fit", "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    assert cli("test", "--ckpt_path", "last").returncode == 0
    figures = {path.name: path.read_bytes() for path in run.glob("*-last.png")}
    assert sorted(figures) == ["confusion_matrix_test-last.png", "reliability_test-last.png"]
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "6").returncode == 0
    # the extension renamed the earlier evaluation's figures after the epoch of the last.ckpt they are of
    earlier = {name.replace("-last", "-last-epoch=0"): png for name, png in figures.items()}
    assert {path.name: path.read_bytes() for path in run.glob("*-last-epoch=0.png")} == earlier

    def full(rendered, folder):
        raise OSError(errno.ENOSPC, "No space left on device", os.fspath(Path(folder) / f"{next(iter(rendered))}.png"))

    with monkeypatch.context() as patched:
        patched.setattr(blobclf.artifacts, "save_figures", full)
        line = one_error(cli("test", "--ckpt_path", "last"))
    assert line.startswith("blobclf: error: cannot use 'checkpoints/version_0/confusion_matrix_test-last.png': No space")
    assert not (run / "test_report-last.json").exists()  # no report: these figures are of no complete evaluation
    assert not list(run.glob("*-last.png"))
    assert {path.name: path.read_bytes() for path in run.glob("*-last-epoch=0.png")} == earlier
    assert cli("test", "--ckpt_path", "last").returncode == 0
    report = json.loads((run / "test_report-last.json").read_text())
    assert report["checkpoint"] == "checkpoints/version_0/last.ckpt"
    assert all((run / name).read_bytes() != png for name, png in figures.items())  # of the extended run


# --- divergence -----------------------------------------------------------------------------------

def test_divergence_stops_training_with_one_line_and_exports_nothing(cli):
    line = one_error(cli("fit", "--optimizer.lr", "1e9", "--trainer.max_epochs", "20"))
    assert "training diverged in epoch" in line and "train/loss is nan" in line
    assert "try a lower learning rate (--optimizer.lr, now 1e+09)" in line
    run = cli.cwd / "checkpoints" / "version_0"
    assert not (run / "model.pth").exists() and not (run / "model.json").exists()
    for checkpoint in run.glob("*.ckpt"):  # whatever was saved before is finite
        state = load_checkpoint(checkpoint)["state_dict"]
        assert all(bool(v.isfinite().all()) for v in state.values() if v.is_floating_point())


@pytest.mark.parametrize("command", ["test", "predict", "validate", "fit"])
def test_a_checkpoint_with_non_finite_weights_is_refused(cli, trained, command):
    checkpoint = torch.load(trained / "last.ckpt", weights_only=True)
    checkpoint["state_dict"]["model.linear_layer_stack.4.bias"][1] = float("inf")
    torch.save(checkpoint, cli.cwd / "diverged.ckpt")
    line = one_error(cli(command, "--ckpt_path", "diverged.ckpt"))
    assert "holds weights that are not finite (NaN or inf)" in line


def test_a_checkpoint_whose_lightning_version_lightning_cannot_upgrade_from_is_one_line(cli, trained):
    """Each ended in a traceback from Lightning's upgrade of old checkpoints, in test, predict and a resume alike."""
    checkpoint = torch.load(trained / "last.ckpt", weights_only=True)
    edits = {
        "old": ("1.2.0", "it says Lightning 1.2.0 wrote it, but Lightning {} cannot upgrade it from that version "
                         "(KeyError: 'epoch_loop.batch_loop.optimizer_loop.optim_progress')"),  # was that KeyError
        "word": ("banana", "it says Lightning banana wrote it, but Lightning {} cannot upgrade it from that version "
                           "(InvalidVersion: Invalid version: 'banana')"),
        "number": (5, "its 'pytorch-lightning_version' is 5, not a version"),  # InvalidVersion
        "missing": (None, "it records no 'pytorch-lightning_version'"),  # KeyError: 'pytorch-lightning_version'
    }
    for name, (version, why) in edits.items():
        edited = dict(checkpoint)
        edited.pop("pytorch-lightning_version")
        if version is not None:
            edited["pytorch-lightning_version"] = version
        torch.save(edited, cli.cwd / f"{name}.ckpt")
        expected = (f"blobclf: error: checkpoint '{name}.ckpt' was not written by 'blobclf fit' (or was edited): "
                    f"{why.format(lightning.__version__)}; use another checkpoint")
        for command in (["test"], ["predict"], ["fit", "--trainer.max_epochs", "3"])[: 3 if name == "old" else 1]:
            assert one_error(cli(*command, "--ckpt_path", f"{name}.ckpt")) == expected, (name, command)
        with pytest.raises(UserError, match="was not written by 'blobclf fit'"):
            BlobClassifier.load_from_checkpoint(cli.cwd / f"{name}.ckpt")
    # a checkpoint of an older Lightning that is what it says it is still loads (upgraded by Lightning)
    edited = dict(checkpoint, **{"pytorch-lightning_version": "2.0.0"})
    torch.save(edited, cli.cwd / "older.ckpt")
    assert cli("test", "--ckpt_path", "older.ckpt").returncode == 0


WEIGHT_KINDS = {  # another program's tensor of the right shape: each loaded without a word, or a traceback
    "int64": (lambda w: w.round().long(), "a tensor of int64"),  # test ran on the weights rounded to integers
    "bool": (lambda w: w > 0, "a tensor of bool"),
    "complex": (lambda w: w.to(torch.complex64), "a tensor of complex64"),  # the imaginary part dropped
    "sparse": (lambda w: w.to_sparse(), "a sparse_coo tensor"),  # NotImplementedError traceback
    "meta": (lambda w: torch.empty(w.shape, device="meta"), "a meta tensor (a shape without values)"),  # traceback
}


@pytest.mark.parametrize("kind", list(WEIGHT_KINDS))
def test_weights_that_are_not_dense_floating_point_numbers_are_one_line(cli, trained, kind):
    make, said = WEIGHT_KINDS[kind]
    checkpoint = torch.load(trained / "last.ckpt", weights_only=True)
    key = "model.linear_layer_stack.0.weight"
    checkpoint["state_dict"][key] = make(checkpoint["state_dict"][key])
    torch.save(checkpoint, cli.cwd / "odd.ckpt")
    assert one_error(cli("test", "--ckpt_path", "odd.ckpt")) == (
        f"blobclf: error: checkpoint 'odd.ckpt' holds {key!r} as {said}, where weights are floating-point numbers; "
        "it was written by another program or edited: use another checkpoint")
    from blobclf.errors import UserError
    from blobclf.export import load_model

    state = torch.load(trained / "model.pth", weights_only=True)
    state["linear_layer_stack.0.weight"] = make(state["linear_layer_stack.0.weight"])
    for folder in ("with_json", "alone"):  # with its model.json, and as the tutorial's own state_dict
        (cli.cwd / folder).mkdir()
        torch.save(state, cli.cwd / folder / "model.pth")
    (cli.cwd / "with_json" / "model.json").write_text((trained / "model.json").read_text())
    for folder in ("with_json", "alone"):
        with pytest.raises(UserError) as refused:
            load_model(cli.cwd / folder / "model.pth")
        assert str(refused.value).endswith(f"model.pth' holds 'linear_layer_stack.0.weight' as {said}, where weights "
                                           "are floating-point numbers; it was written by another program or edited: "
                                           "use another weights file")


def test_weights_of_another_floating_point_type_are_taken_as_float32(cli, trained):
    checkpoint = torch.load(trained / "last.ckpt", weights_only=True)
    checkpoint["state_dict"] = {k: v.double() for k, v in checkpoint["state_dict"].items()}
    torch.save(checkpoint, cli.cwd / "double.ckpt")
    assert cli("test", "--ckpt_path", "double.ckpt").returncode == 0
    assert cli("test", "--ckpt_path", "last").returncode == 0
    reports = [json.loads(path.read_text()) for path in (cli.cwd / "test_report-double.json",
                                                         trained / "test_report-last.json")]
    assert reports[0]["accuracy"] == reports[1]["accuracy"]


# --- bounded resources ----------------------------------------------------------------------------

def test_a_yaml_alias_bomb_is_refused_at_once(cli):
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for name, previous in zip("bcdefg", "abcdef", strict=True):
        rows.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    rows.append("trainer: {max_epochs: 1, callbacks: *g}")
    (cli.cwd / "bomb.yaml").write_text("\n".join(rows) + "\n")
    assert (cli.cwd / "bomb.yaml").stat().st_size < 400
    line = one_error(cli("fit", "--config", "bomb.yaml"))
    assert "its YAML aliases expand to more than 100,000 values" in line


def test_an_alias_bomb_given_as_an_option_value_is_refused(cli):
    value = "{a: &a [1,1,1,1,1,1,1,1,1,1], b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], " \
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d], f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]}"
    result = cli("fit", "--trainer.callbacks", value)
    assert result.returncode == 2 and "Traceback" not in result.output


def test_oversized_and_non_utf8_configs_are_refused(cli):
    (cli.cwd / "big.yaml").write_text("# " + "x" * (1 << 20) + "\n")
    assert "is 1,048,579 bytes, more than blobclf reads (1,048,576)" in one_error(cli("fit", "--config", "big.yaml"))
    (cli.cwd / "latin.yaml").write_bytes(b"trainer:\n  max_epochs: 2  # caf\xe9\n")
    line = one_error(cli("fit", "--config", "latin.yaml"))
    assert "config file 'latin.yaml', line 2: not UTF-8 text (byte 0xe9)" in line


def test_a_compressed_checkpoint_entry_is_refused_before_it_is_inflated(cli, trained):
    source = zipfile.ZipFile(trained / "last.ckpt")
    with zipfile.ZipFile(cli.cwd / "deflated.ckpt", "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info.filename))
    assert "is compressed, which torch.save never writes" in one_error(cli("test", "--ckpt_path", "deflated.ckpt"))


@pytest.mark.parametrize("member", ["data.pkl", "largest weight"])
def test_a_checkpoint_with_one_byte_flipped_is_damaged_not_hostile(cli, trained, member):
    data = bytearray((trained / "last.ckpt").read_bytes())
    infos = zipfile.ZipFile(trained / "last.ckpt").infolist()
    info = next(i for i in infos if i.filename.endswith("/data.pkl")) if member == "data.pkl" else \
        max((i for i in infos if "/data/" in i.filename), key=lambda i: i.file_size)
    start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little") \
        + int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
    data[start + info.file_size // 2] ^= 0x10
    (cli.cwd / "x.ckpt").write_bytes(data)
    assert one_error(cli("test", "--ckpt_path", "x.ckpt")) == (
        f"blobclf: error: checkpoint 'x.ckpt' is damaged: member {info.filename!r} fails its CRC check "
        "(a bad copy or disk?); use another checkpoint")


def test_a_checkpoint_larger_than_the_cap_is_refused(cli, trained, monkeypatch):
    monkeypatch.setenv("BLOBCLF_MAX_LOAD_BYTES", "1000")
    line = one_error(cli("test", "--ckpt_path", "last"))
    assert "more than blobclf loads (1,000); if you trust it, raise the limit with BLOBCLF_MAX_LOAD_BYTES" in line


def test_data_larger_than_the_memory_available_is_one_line_and_creates_nothing(cli):
    line = one_error(cli("fit", "--data.n_samples", "3000000000"))
    assert "n_samples=3,000,000,000 with n_features=2 needs about 156.5 GiB of memory" in line
    assert line.endswith(" GiB is available; use a smaller --data.n_samples")
    assert sorted(p.name for p in cli.cwd.iterdir()) == []


def test_data_sizes_from_a_checkpoint_are_checked_too_and_the_fix_is_not_an_option_it_would_refuse(cli, trained):
    checkpoint = torch.load(trained / "last.ckpt", weights_only=True)
    checkpoint["datamodule_hyper_parameters"]["n_samples"] = 3_000_000_000
    torch.save(checkpoint, cli.cwd / "huge.ckpt")
    line = one_error(cli("test", "--ckpt_path", "huge.ckpt"))
    assert "needs about 156.5 GiB of memory" in line
    assert line.endswith(" GiB is available, for the data the checkpoint 'huge.ckpt' was trained on; "
                         "test it on a machine with more memory")
    line = one_error(cli("predict", "--ckpt_path", "huge.ckpt"))
    assert line.endswith("predict it on a machine with more memory, or predict the points of a CSV file "
                         "with --data.predict_file (no blobs are drawn then)")


def test_predicting_a_file_draws_no_blobs_so_a_run_on_more_data_than_fits_here_still_predicts(cli, trained):
    checkpoint = torch.load(trained / "last.ckpt", weights_only=True)
    checkpoint["datamodule_hyper_parameters"]["n_samples"] = 3_000_000_000
    torch.save(checkpoint, cli.cwd / "huge.ckpt")
    (cli.cwd / "points.csv").write_text("x0,x1\n-8,7\n5,1\n")
    result = cli("predict", "--ckpt_path", "huge.ckpt", "--data.predict_file", "points.csv")
    assert result.returncode == 0, result.stderr
    rows = (cli.cwd / "predictions-huge-points.csv").read_text().splitlines()
    assert rows[0].startswith("x0,x1,") and len(rows) == 3


# --- outputs never replace inputs -----------------------------------------------------------------

def test_predictions_never_replace_an_input_a_checkpoint_or_another_runs_file(cli, trained):
    assert cli("fit", *QUICK).returncode == 0  # a second run, version_1
    (cli.cwd / "points.csv").write_text("x0,x1\n1,2\n")
    before = {p: p.read_bytes() for p in [cli.cwd / "points.csv", *trained.iterdir()]}
    for output, message in [
        ("checkpoints/version_0/last.ckpt", "is the checkpoint; writing there would replace it"),
        ("points.csv", "is the input file; writing there would replace it"),
        ("checkpoints/version_1/predictions.csv", "lies in another run's folder"),
        ("checkpoints/version_0/model.json", "would replace a model or run file"),
    ]:
        line = one_error(cli("predict", "--ckpt_path", "checkpoints/version_0/last.ckpt",
                             "--data.predict_file", "points.csv", "--prediction.output", output))
        assert message in line
    assert {p: p.read_bytes() for p in before} == before
    assert not (cli.cwd / "checkpoints" / "version_1" / "predictions.csv").exists()


def test_a_dangling_symlink_as_prediction_output_is_an_existing_file_not_a_race(cli, trained):
    # the link was there before predict started: it once ran the whole prediction, then said the
    # file "was written by another command while this predict ran"
    (cli.cwd / "out.csv").symlink_to(cli.cwd / "missing" / "target.csv")
    line = one_error(cli("predict", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--prediction.output", "out.csv"))
    assert line == ("blobclf: error: 'out.csv' already exists; pass --prediction.overwrite true to replace it, "
                    "or --prediction.output PATH to write elsewhere")
    assert (cli.cwd / "out.csv").is_symlink() and not (cli.cwd / "missing").exists()
    assert cli("predict", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--prediction.output", "out.csv",
               "--prediction.overwrite", "true").returncode == 0
    assert not (cli.cwd / "out.csv").is_symlink() and (cli.cwd / "out.csv").read_text().startswith("x0,x1,")


def test_a_write_that_may_not_replace_keeps_a_file_made_meanwhile_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"

    def write(handle):
        handle.write(b"mine")
        target.write_bytes(b"another command's")  # made while this write ran

    with pytest.raises(FileExistsError):
        atomic_write(target, write, replace=False)
    assert target.read_bytes() == b"another command's"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    assert atomic_write(tmp_path / "new.csv", lambda handle: handle.write(b"new"), replace=False).read_bytes() == b"new"


def test_two_predicts_into_one_output_never_replace_each_other(cli, trained, monkeypatch):
    start = blobclf.predictions.PredictionWriter.on_predict_start

    def other_predict_meanwhile(self, trainer, pl_module):
        start(self, trainer, pl_module)  # the output did not exist yet: this predict goes on
        (cli.cwd / "out.csv").write_text("written by another predict\n")

    monkeypatch.setattr(blobclf.predictions.PredictionWriter, "on_predict_start", other_predict_meanwhile)
    line = one_error(cli("predict", "--ckpt_path", "last", "--prediction.output", "out.csv"))
    assert line == ("blobclf: error: 'out.csv' was written by another command while this predict ran; pass "
                    "--prediction.overwrite true to replace it, or --prediction.output PATH to write elsewhere")
    assert (cli.cwd / "out.csv").read_text() == "written by another predict\n"
    assert sorted(p.name for p in cli.cwd.iterdir() if p.is_file()) == ["out.csv"]


def test_a_checkpoint_dirpath_holding_another_run_is_refused(cli, trained):
    line = one_error(cli("fit", *QUICK, "--checkpoint.dirpath", "checkpoints/version_0"))
    assert "--checkpoint.dirpath='checkpoints/version_0' already holds another run's files" in line


# --- inputs that used to end in a traceback -------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "--data.cluster_std", "inf"], "cluster_std must be a finite number > 0, got inf"),
        (["fit", "--data.random_state", "-1"], "--data.random_state='-1' is invalid for blobclf.BlobDataModule: not "
         "NonNegativeInt (does not conform to restriction v>=0) (see --help)"),
        (["fit", "--checkpoint.last_interval", "-1"],
         "--checkpoint.last_interval=-1 is invalid: give a number >= 0 (see --help)"),
        # a ZeroDivisionError traceback at the end of the first epoch
        (["fit", "--trainer.check_val_every_n_epoch", "0"],
         "--trainer.check_val_every_n_epoch=0 is invalid: give a number of epochs >= 1"),
        # make_blobs drew 10**9 centers first: 7 GB and growing after 40 s, then killed
        (["fit", "--data.centers", "1000000000"],
         "centers=1,000,000,000 is more than n_samples=1,000: each center is a class, which needs points; give at "
         "most 1,000 centers, or more n_samples"),
        # a traceback from the allocator: "you tried to allocate 8000000000000 bytes"
        (["fit", "--model.hidden_units", "1000000000000"],
         "BlobClassifier(num_features=2, num_classes=4, hidden_units=1,000,000,000,000) has "
         "1,000,000,000,008,000,000,000,004 weights, which need about 14,901,161,193,966,866.0 GiB of memory to train "
         "(with their gradients and optimizer states) and "),
    ],
    ids=["cluster_std-inf", "random_state-negative", "last_interval-negative", "check_val_every_n_epoch-0",
         "centers-huge", "hidden_units-huge"],
)
def test_out_of_range_values_are_one_line(cli, args, message):
    line, message = one_error(cli(*args)), f"blobclf: error: {message}"
    # the whole line, but for the memory figures of this machine after a message ending in "and "
    assert line.startswith(message) if message.endswith(" and ") else line == message, line
    assert not (cli.cwd / "checkpoints").exists()


def test_a_checkpoint_too_large_to_train_here_is_still_evaluated_and_its_resume_says_what_to_do(cli, monkeypatch):
    # test needs the weights only (4 bytes each), not their gradients and optimizer states (16 in all): it was refused
    # with 'need about ... to train ...; use a smaller --model.hidden_units', which a checkpoint cannot change
    import blobclf.system

    quiet = ("--export.figures", "false", "--export.onnx", "false")
    assert cli("fit", "--trainer.max_epochs", "1", "--model.hidden_units", "64", *quiet).returncode == 0
    weights = 2 * 64 + 64 * 64 + 64 * 4 + 2 * 64 + 4  # 4,612: 73,792 bytes to train, 18,448 to evaluate
    # (printed as '0.0 GiB' each, and the 40,000 and 10,000 bytes available too)
    monkeypatch.setattr(blobclf.system, "available_memory", lambda: 40_000)
    result = cli("test", "--ckpt_path", "last")
    assert result.returncode == 0, result.output
    assert "test/acc" in result.stdout
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "2", *quiet)) == (
        f"blobclf: error: BlobClassifier(num_features=2, num_classes=4, hidden_units=64) has {weights:,} weights, "
        "which need about 72.1 KiB of memory to train (with their gradients and optimizer states) and 39.1 KiB is "
        "available, for the model of the checkpoint 'checkpoints/version_0/last.ckpt'; resume it on a machine with more memory")
    monkeypatch.setattr(blobclf.system, "available_memory", lambda: 10_000)
    assert one_error(cli("test", "--ckpt_path", "last")) == (
        f"blobclf: error: BlobClassifier(num_features=2, num_classes=4, hidden_units=64) has {weights:,} weights, "
        "which need about 18.0 KiB of memory to evaluate and 9.8 KiB is available, for the model of the checkpoint "
        "'checkpoints/version_0/last.ckpt'; test it on a machine with more memory")


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0 bytes"), (1023, "1,023 bytes"), (1024, "1.0 KiB"), (18_448, "18.0 KiB"), (500 * 2**20, "500.0 MiB"),
    (2**30 - 1, "1,024.0 MiB"), (2**30, "1.0 GiB"), (22.6 * 2**30, "22.6 GiB"), (2**50, "1,048,576.0 GiB"),
])
def test_memory_sizes_are_printed_in_a_unit_that_shows_them(size, shown):
    # every memory figure blobclf prints goes through memory_size; below 1 GiB they were '0.0 GiB'
    from blobclf.data import memory_size

    assert memory_size(size) == shown


def test_threads_beyond_the_cpus_run_on_the_cpus_and_say_so(cli):
    # OpenMP tried to allocate 216 GB for 10**9 threads' stacks, and the command ended with exit 1; a refusal
    # would also have stopped a run's config.yaml written on a bigger machine from resuming here
    cpus = os.cpu_count()
    result = cli("fit", "--threads", "1000000000", "--trainer.max_epochs", "1", "--export.onnx", "false",
                 "--export.figures", "false")
    assert result.returncode == 0, result.output
    assert (f"torch threads: {cpus}; --threads 1000000000 is more than this machine's {cpus} CPUs "
            "(--threads to change)") in result.output
    config = yaml.safe_load((cli.cwd / "lightning_logs" / "version_0" / "config.yaml").read_text())
    assert config["threads"] == cpus


@pytest.mark.parametrize("version", ["../../escaped", "ABSOLUTE", "..", ""], ids=["up", "absolute", "dot-dot", "empty"])
def test_a_run_version_that_is_not_a_plain_name_is_refused_and_writes_nothing(cli, tmp_path, version):
    # '../../escaped' put the run's checkpoints, model.pth and logs two folders above checkpoints/
    (cli.cwd / "work").mkdir()
    os.chdir(cli.cwd / "work")
    version = os.fspath(tmp_path / "elsewhere") if version == "ABSOLUTE" else version
    where = {"../../escaped": "../escaped", "..": ".", "": "checkpoints"}.get(version, version)
    assert one_error(cli("fit", *QUICK, "--trainer.logger.init_args.version", version)) == (
        f"blobclf: error: --trainer.logger.init_args.version={version!r} is not a plain folder name: the run's "
        f"checkpoints would go to {where!r} instead of a folder of their own in --checkpoint.root 'checkpoints'; give a "
        "name without '/' (or leave it unset for the next free version_N)")
    assert sorted(os.listdir(tmp_path)) == ["work"] and os.listdir(cli.cwd / "work") == []


@pytest.mark.parametrize(("key", "value", "where"), [
    ("name", "../up", "up"), ("sub_dir", "../../sd", "sd"), ("name", "ABSOLUTE", "ABSOLUTE"),
    ("sub_dir", "x/../..", "lightning_logs"),
], ids=["name-up", "sub_dir-up", "name-absolute", "sub_dir-inner-up"])
def test_a_logger_folder_leading_out_of_its_save_dir_is_refused_and_writes_nothing(cli, tmp_path, key, value, where):
    # sub_dir '../../sd' wrote the run's config.yaml and events into the folder blobclf was run from
    (cli.cwd / "work").mkdir()
    os.chdir(cli.cwd / "work")
    if value == "ABSOLUTE":
        value = where = os.fspath(tmp_path / "elsewhere")
    assert one_error(cli("fit", *QUICK, f"--trainer.logger.init_args.{key}", value)) == (
        f"blobclf: error: --trainer.logger.init_args.{key}={value!r} leads out of the logger's save_dir "
        f"'lightning_logs': its logs would go to {where!r}; give a name without '..' that is not absolute (a '/' makes "
        "sub-folders), or choose the folder with --trainer.logger.init_args.save_dir DIR")
    assert sorted(os.listdir(tmp_path)) == ["work"] and os.listdir(cli.cwd / "work") == []


def test_a_logger_name_with_sub_folders_trains_and_an_evaluation_s_version_may_not_lead_out(cli, tmp_path):
    assert cli("fit", *QUICK, "--trainer.logger.init_args.name", "exp/a").returncode == 0
    assert (cli.cwd / "lightning_logs" / "exp" / "a" / "version_0" / "config.yaml").is_file()
    # an evaluation's logs went to save_dir/name/version: '../../../../vv' wrote beside the folder blobclf ran in
    assert one_error(cli("test", "--ckpt_path", "last", "--trainer.logger.init_args.name", "exp/a",
                         "--trainer.logger.init_args.version", "../../../../vv")) == (
        "blobclf: error: --trainer.logger.init_args.version='../../../../vv' leads out of the logger's save_dir "
        f"'lightning_logs': its logs would go to {os.path.join('..', 'vv')!r}; give a name without '..' that is not "
        "absolute (a '/' makes sub-folders), or choose the folder with --trainer.logger.init_args.save_dir DIR")
    assert not (cli.cwd.parent / "vv").exists()


def test_an_evaluation_of_a_run_with_a_logger_name_logs_in_the_run_s_log_folder(cli):
    # a run trained with --trainer.logger.init_args.name exp/a logs in lightning_logs/exp/a/version_0; its test logged
    # in lightning_logs/version_0/test-last, a folder of no run, which the next extension's renaming did not see
    assert cli("fit", *QUICK, "--trainer.logger.init_args.name", "exp/a").returncode == 0
    run_logs = cli.cwd / "lightning_logs" / "exp" / "a" / "version_0"
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert (run_logs / "test-last").is_dir() and len(list((run_logs / "test-last").glob("events.out.tfevents.*"))) == 1
    assert sorted(p.name for p in (cli.cwd / "lightning_logs").iterdir()) == ["exp"]
    assert cli("fit", *QUICK[2:], "--ckpt_path", "last", "--trainer.max_epochs", "3").returncode == 0
    assert sorted(p.name for p in run_logs.iterdir() if p.is_dir()) == ["test-last-epoch=1"]
    # a name given to the evaluation is its own
    assert cli("test", "--ckpt_path", "last", "--trainer.logger.init_args.name", "other").returncode == 0
    assert (cli.cwd / "lightning_logs" / "other" / "version_0" / "test-last").is_dir()


def test_one_feature_trains_and_says_which_figures_it_skips(cli):
    result = cli("fit", "--data.n_features", "1", "--trainer.max_epochs", "2", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert "note: data.png and decision_boundary.png are not drawn: they plot two features and the data has one" \
        in result.stdout
    run = cli.cwd / "checkpoints" / "version_0"
    assert (run / "loss_curves.png").exists() and not (run / "data.png").exists()


def test_fast_dev_run_saves_nothing_and_says_so(cli):
    result = cli("fit", "--trainer.fast_dev_run", "true")
    assert result.returncode == 0, result.output
    assert "fast_dev_run: a smoke test of the training and validation steps; nothing was saved or exported" \
        in result.stdout
    assert not (cli.cwd / "checkpoints").exists()


@pytest.mark.parametrize("folder", ["checkpoints", "lightning_logs"])
def test_a_file_where_a_run_folder_belongs_is_one_line(cli, folder):
    (cli.cwd / folder).write_text("")
    line = one_error(cli("fit", *QUICK))
    assert f"'{folder}' is a file, but blobclf keeps its runs in a folder of that name" in line


def make_checkpoint(trained: Path, change) -> dict:
    checkpoint = copy.deepcopy(torch.load(trained / "last.ckpt", weights_only=True))
    change(checkpoint)
    return checkpoint


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("other-module", lambda c: c.update(hyper_parameters={"encoder_dim": 3}),
         "was not written by 'blobclf fit' (or was edited): BlobClassifier.__init__() got an unexpected keyword"),
        ("other-weights", lambda c: c.update(state_dict={"encoder.weight": torch.zeros(3)}),
         "'encoder.weight' is missing, extra or of another shape"),
        ("edited-width", lambda c: c["hyper_parameters"].update(hidden_units=16),
         "does not fit BlobClassifier(num_features=2, num_classes=4, hidden_units=16)"),
        ("edited-type", lambda c: c["hyper_parameters"].update(hidden_units="abc"),
         "was not written by 'blobclf fit' (or was edited)"),
        ("edited-huge-width", lambda c: c["hyper_parameters"].update(hidden_units=10**9),  # 4e18 bytes if built
         "does not fit BlobClassifier(num_features=2, num_classes=4, hidden_units=1000000000): "
         "'model.linear_layer_stack.0.bias' is missing, extra or of another shape"),
        ("edited-huge-classes", lambda c: c["hyper_parameters"].update(num_classes=10**9, class_names=None),
         "does not fit BlobClassifier(num_features=2, num_classes=1000000000, hidden_units=8): "
         "'model.linear_layer_stack.4.bias' is missing, extra or of another shape"),
        # its 100,000 names were the line (500 KB), after minutes in a regular expression of one_line
        ("edited-many-names", lambda c: c["hyper_parameters"].update(class_names=["a"] * 100_000),
         "(or was edited): class_names must be 4 distinct names, got 100,000 names, starting ['a', 'a', 'a', 'a', 'a']"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_foreign_or_edited_checkpoints_are_one_line(cli, trained, name, change, message):
    torch.save(make_checkpoint(trained, change), cli.cwd / f"{name}.ckpt")
    assert message in one_error(cli("predict", "--ckpt_path", f"{name}.ckpt"))


@pytest.mark.parametrize(("group", "key", "value", "reason"), [
    ("hyper_parameters", "hidden_units", 8.5, "Not of type PositiveInt: 8.5 not an integer"),
    ("datamodule_hyper_parameters", "centers", 1, "Not of type AtLeastTwoInt: 1 does not conform to restriction v>=2"),
    ("datamodule_hyper_parameters", "random_state", "abc",
     "Not of type NonNegativeInt: invalid literal for int() with base 10: 'abc'"),
], ids=["hidden_units", "centers", "random_state"])
@pytest.mark.parametrize("command", ["test", "fit"])
def test_an_invalid_value_a_checkpoint_records_is_said_of_the_checkpoint(cli, trained, group, key, value, reason,
                                                                          command):
    torch.save(make_checkpoint(trained, lambda c: c[group].update({key: value})), cli.cwd / "edited.ckpt")
    option = f"{'model' if group == 'hyper_parameters' else 'data'}.{key}"
    assert one_error(cli(command, "--ckpt_path", "edited.ckpt")) == (
        f"blobclf: error: checkpoint 'edited.ckpt' records {option}={value!r}, which is invalid ({reason}); it was "
        "edited or written by another program: use another checkpoint"
    )


def _training(checkpoint: dict) -> dict:
    return next(s["training"] for s in checkpoint["callbacks"].values() if isinstance(s, dict) and "training" in s)


@pytest.mark.parametrize(("command", "edit", "option", "text", "fix"), [
    ("test", lambda c, v: c["hyper_parameters"].update(hidden_units=v), "model.hidden_units", "8", " (8, not '8')"),
    ("test", lambda c, v: c["hyper_parameters"].update(hidden_units=v), "model.hidden_units", "abc", ""),
    ("fit", lambda c, v: _training(c)["optimizer"]["init_args"].update(lr=v), "optimizer.lr", "1e-1", " (0.1, not '1e-1')"),
    ("test", lambda c, v: c["datamodule_hyper_parameters"].update(n_samples=v), "data.n_samples", "1000",
     " (1000, not '1000')"),
    ("fit", lambda c, v: _training(c)["settings"].update({"trainer.detect_anomaly": v}), "trainer.detect_anomaly",
     "False", " (False, not 'False')"),
], ids=["hidden_units", "hidden_units-abc", "lr", "n_samples", "detect_anomaly"])
def test_text_edited_into_a_checkpoint_is_said_of_the_checkpoint(cli, trained, command, edit, option, text, fix):
    # was "model.hidden_units=8 (from the command line or a --config file) conflicts with the checkpoint ..., which
    # was trained with model.hidden_units='8'": the parser's reading of the checkpoint's text, blamed on the user
    torch.save(make_checkpoint(trained, lambda c: edit(c, text)), cli.cwd / "edited.ckpt")
    kind = "a boolean" if option == "trainer.detect_anomaly" else "a number"
    how = ("was not written by 'blobclf fit' (or was edited):" if option == "model.hidden_units"
           else "was edited or written by another program:")
    assert one_error(cli(command, "--ckpt_path", "edited.ckpt", *(["--trainer.max_epochs", "3"] if command == "fit"
                                                                   else []))) == (
        f"blobclf: error: checkpoint 'edited.ckpt' {how} it records {option} as the text {text!r}, where blobclf writes {kind}; "
        f"store {kind} there{fix}, or use another checkpoint")


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda s: s["param_groups"][0].update(lr="0.1"), "param_groups[0]['lr'] is '0.1', not a finite float"),
    (lambda s: s["param_groups"][0].update(lr=float("nan")), "param_groups[0]['lr'] is nan, not a finite float"),
    (lambda s: s["param_groups"][0].update(params=[0]),
     "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"),
    (lambda s: s.update(state={0: {"momentum_buffer": torch.zeros(3, 3)}}),
     "its 'momentum_buffer' has the shape (3, 3) for a parameter of the shape (8, 2)"),
], ids=["lr-text", "lr-nan", "params", "momentum-shape"])
def test_an_optimizer_state_edited_away_from_its_optimizer_is_one_line(cli, trained, edit, reason):
    # an lr of '0.1' or a group of other parameters ended the resume in a traceback at its first step; a NaN lr
    # was reported as the run having diverged, with the advice to lower --optimizer.lr
    torch.save(make_checkpoint(trained, lambda c: edit(c["optimizer_states"][0])), cli.cwd / "edited.ckpt")
    assert one_error(cli("fit", "--ckpt_path", "edited.ckpt", "--trainer.max_epochs", "3")) == (
        f"blobclf: error: checkpoint 'edited.ckpt' holds an optimizer state that does not fit its optimizer "
        f"(torch.optim.SGD): {reason}; it was edited or written by another program: use another checkpoint")


@pytest.mark.parametrize(("name", "size"), [("hidden_units", 10**9), ("output_features", 10**9), ("hidden_units", 16)])
def test_an_exported_model_json_edited_away_from_its_weights_is_one_line_and_allocates_nothing(
        trained, name, size):
    from blobclf.errors import UserError
    from blobclf.export import load_model

    described = json.loads((trained / "model.json").read_text())
    described["constructor"][name] = size  # 10**9 units: 4e18 bytes if the model were built
    (trained / "model.json").write_text(json.dumps(described))
    with pytest.raises(UserError) as refused:
        load_model(trained / "model.pth")
    assert str(refused.value).startswith(
        f"weights file {str(trained / 'model.pth')!r} does not fit {described['constructor']} of "
        f"{str(trained / 'model.json')!r}: 'linear_layer_stack."
    )
    assert str(refused.value).endswith("' is missing, extra or of another shape; was either file edited or replaced?")


@pytest.mark.parametrize("command", ["test", "fit"])
@pytest.mark.parametrize(("setting", "value", "key", "trained_with"), [("n_features", 3, "num_features", 2),
                                                                        ("centers", 3, "num_classes", 4)])
def test_a_checkpoint_whose_data_settings_were_edited_away_from_its_model_is_one_line(
        cli, trained, command, setting, value, key, trained_with):
    torch.save(make_checkpoint(trained, lambda c: c["datamodule_hyper_parameters"].update({setting: value})),
               cli.cwd / "edited.ckpt")
    before = sorted(cli.cwd.rglob("*"))
    line = one_error(cli(command, "--ckpt_path", "edited.ckpt"))
    assert line == (f"blobclf: error: checkpoint 'edited.ckpt' does not fit its own data settings: they give "
                    f"{key}={value}, but its model was trained with {key}={trained_with}; it was edited or written by "
                    "another program, use another checkpoint")
    assert sorted(cli.cwd.rglob("*")) == before


def _edit_rng(checkpoint: dict) -> None:
    next(v for k, v in checkpoint["callbacks"].items() if k == "RngState")["torch"] = torch.zeros(3, dtype=torch.uint8)


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.update(epoch="x"), "checkpoint 'edited.ckpt' was not written by 'blobclf fit' (or was edited): its "
     "'epoch' is str, not int; use another checkpoint"),
    (lambda c: c.update(loops="x"), "checkpoint 'edited.ckpt' was not written by 'blobclf fit' (or was edited): its "
     "'loops' is str, not dict; use another checkpoint"),
    (lambda c: c["loops"]["fit_loop"]["epoch_progress"]["current"].update(completed="y"),
     "checkpoint 'edited.ckpt' was not written by 'blobclf fit' (or was edited): its training loop's epoch counts "
     "are not whole numbers; use another checkpoint"),  # was a ValueError traceback from int('y')
    (_edit_rng, "the checkpoint's random number generator state does not load (Expected a CPUGeneratorImplState of "
     "size 5056 but found the input RNG state size to be 3): it was edited or written by another program; use "
     "another checkpoint"),
    # an AttributeError traceback ('list' object has no attribute 'items'), in test and predict too
    (lambda c: c.update(datamodule_hyper_parameters=[1, 2]), "checkpoint 'edited.ckpt' was not written by 'blobclf "
     "fit' (or was edited): its 'datamodule_hyper_parameters' is list, not dict; use another checkpoint"),
], ids=["epoch", "loops", "counts", "rng", "data-settings"])
def test_a_resume_from_a_checkpoint_whose_training_state_was_edited_is_one_line(cli, trained, change, message):
    torch.save(make_checkpoint(trained, change), trained / "edited.ckpt")
    line = one_error(cli("fit", "--ckpt_path", os.fspath(trained / "edited.ckpt"), "--trainer.max_epochs", "3"))
    assert line == "blobclf: error: " + message.replace("'edited.ckpt'", repr(os.fspath(trained / "edited.ckpt")))
    if "datamodule" in message:
        line = one_error(cli("test", "--ckpt_path", os.fspath(trained / "edited.ckpt")))
        assert line == "blobclf: error: " + message.replace("'edited.ckpt'", repr(os.fspath(trained / "edited.ckpt")))


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"trainer: {max_epochs: 1}\n", "config.yaml"), (b"\x89PNG\r\n\x1a\n....", "figure.png"), (b"hello\n", "notes.txt")],
    ids=["yaml", "png", "text"],
)
def test_a_file_that_is_no_checkpoint_is_named_as_such(cli, content, name):
    (cli.cwd / name).write_bytes(content)
    line = one_error(cli("test", "--ckpt_path", name))
    assert f"checkpoint '{name}' is not a PyTorch file: torch.save writes a zip archive, and this is not one" in line
    assert "run code" not in line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("x0,x1,label\n1,2,\u0663\n".encode(), "points.csv:2: label='\u0663' is not one of the model's classes (0, 1, 2, 3)"),
        (b"x0,x1,label\n1,2,99999999999999999999999\n",
         "label='99999999999999999999999' is not one of the model's classes (0, 1, 2, 3)"),
        (b"x0,x1,label\n1,2,7\n", "points.csv:2: label='7' is not one of the model's classes (0, 1, 2, 3)"),
        (b"x0,x1\n1,2\n3,\xff\n", "points.csv:3: not UTF-8 text (byte 0xff, 'ÿ' if the file is Windows-1252 / Latin-1)"),
        (b"x0,x1\n1,2\n3,\x81\n", "points.csv:3: not UTF-8 text (byte 0x81); save the file as UTF-8"),
    ],
    ids=["non-ascii-digit", "huge-label", "label-outside-the-classes", "non-utf8", "non-utf8-no-letter"],
)
def test_bad_prediction_tables_are_one_line(cli, trained, content, message):
    (cli.cwd / "points.csv").write_bytes(content)
    line = one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "points.csv"))
    assert message in line
    assert not list(trained.glob("predictions-*.csv"))


def test_a_full_disk_is_one_line_naming_the_file(cli, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "checkpoints/version_0/model.pth")

    monkeypatch.setattr(blobclf.runexport, "export_weights", full)
    line = one_error(cli("fit", *QUICK))
    assert line == ("blobclf: error: cannot use 'checkpoints/version_0/model.pth': No space left on device; free some "
                    "space, then resume with: python -m blobclf fit --ckpt_path checkpoints/version_0/last.ckpt")


def test_a_new_run_that_could_write_no_checkpoint_leaves_no_folders(cli, monkeypatch):
    real = blobclf.atomic.tempfile.mkstemp

    def too_long(dir, prefix, suffix):  # as in a folder whose path is near the system's limit (PATH_MAX)
        if prefix.endswith(".ckpt."):
            raise OSError(errno.ENAMETOOLONG, "File name too long", os.path.join(dir, prefix[1:-1]))
        return real(dir=dir, prefix=prefix, suffix=suffix)

    monkeypatch.setattr(blobclf.atomic.tempfile, "mkstemp", too_long)
    line = one_error(cli("fit", *QUICK))
    assert line.startswith("blobclf: error: cannot use 'checkpoints/version_0/best-epoch=0-val_acc=")
    # was: an empty checkpoints/version_0 and lightning_logs/version_0 (start files only) left behind
    assert sorted(p.name for p in cli.cwd.iterdir()) == []
    monkeypatch.setattr(blobclf.atomic.tempfile, "mkstemp", real)
    assert cli("fit", *QUICK).returncode == 0
    assert (cli.cwd / "checkpoints" / "version_0" / "last.ckpt").is_file()


def test_a_run_kept_without_checkpoints_keeps_its_curves_when_a_later_write_fails(cli, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "checkpoints/version_0/model.pth")

    monkeypatch.setattr(blobclf.runexport, "export_weights", full)
    result = cli("fit", *QUICK, "--checkpoint.save_top_k", "0", "--checkpoint.save_last", "false")
    assert one_error(result).endswith("No space left on device; free some space (or raise the file size limit, "
                                      "ulimit -f) and run the command again")
    logs = cli.cwd / "lightning_logs" / "version_0"
    assert sorted(p.name for p in logs.iterdir() if not p.name.startswith("events.out.tfevents.")) == [
        "config.yaml", "hparams.yaml"]


def test_a_full_disk_that_names_no_file_is_named_by_the_write_and_keeps_no_temporary(tmp_path):
    def write(handle):
        handle.write(b"half")
        try:  # what torch.save does when the disk fills under it
            raise OSError(errno.EFBIG, "File too large")
        except OSError as error:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 12224 vs 12128") from error

    with pytest.raises(OSError) as raised:
        atomic_write(tmp_path / "last.ckpt", write)
    assert (raised.value.errno, raised.value.filename) == (errno.EFBIG, os.fspath(tmp_path / "last.ckpt"))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_in_a_librarys_writer_is_one_line_naming_the_resume(cli, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # as TensorBoard's writer raises it: no file

    monkeypatch.setattr(blobclf.runexport, "export_weights", full)
    line = one_error(cli("fit", *QUICK))
    assert line == ("blobclf: error: a write failed: No space left on device; free some space, then resume with: "
                    "python -m blobclf fit --ckpt_path checkpoints/version_0/last.ckpt")


@pytest.mark.slow
def test_a_file_size_limit_while_a_checkpoint_is_written_is_one_line_and_leaves_nothing_torn(tmp_path):
    import resource
    import subprocess
    import sys

    from conftest import Result

    def limited():  # ulimit -f 10: every file blobclf writes beyond 10 KiB is refused (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10 * 1024, resource.RLIM_INFINITY))

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "blobclf", "fit", *QUICK], cwd=tmp_path, env=env, text=True,
                          capture_output=True, preexec_fn=limited, timeout=300)
    line = one_error(Result(done.returncode, done.stdout, done.stderr))
    assert line == ("blobclf: error: cannot use 'checkpoints/version_0/best-epoch=0-val_acc=0.5000.ckpt': File too "
                    "large; free some space (or raise the file size limit, ulimit -f) and run the command again")
    # no torn file, no temporary: a new run refused in its first epoch leaves no run folders at all
    assert not (tmp_path / "checkpoints" / "version_0").exists()
    assert not (tmp_path / "lightning_logs" / "version_0").exists()


def test_a_read_only_run_folder_is_one_line_for_test(cli, trained, monkeypatch):
    def read_only(report, path):
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    monkeypatch.setattr(blobclf.testreport, "write_report", read_only)
    line = one_error(cli("test", "--ckpt_path", "last"))
    assert line.endswith("test_report-last.json': Permission denied")


@pytest.mark.parametrize(("value", "debugging"), [("0", False), ("false", False), ("", False), ("1", True), ("yes", True)])
def test_blobclf_debug_means_what_it_says(monkeypatch, value, debugging):
    from blobclf.errors import debugging as is_debugging

    monkeypatch.setenv("BLOBCLF_DEBUG", value)
    assert is_debugging() is debugging


def test_a_log_folder_keeps_no_hparams_temporary_that_a_kill_left(cli):
    # a test killed while its logger wrote test-last/hparams.yaml left .hparams.yaml.PID.tmp there for
    # ever: no later command removed it (the logger named its temporary after its process, unlocked)
    assert cli("fit", *QUICK).returncode == 0
    logs = cli.cwd / "lightning_logs" / "version_0" / "test-last"
    logs.mkdir()
    (logs / f".hparams.yaml.4242{TEMP_SUFFIX}").write_text("model:\n  hidden")  # process 4242 is gone
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert sorted(p.name for p in logs.iterdir() if not p.name.startswith("events.out.tfevents.")) == ["hparams.yaml"]
    assert yaml.safe_load((logs / "hparams.yaml").read_text())["hidden_units"] == 8


@pytest.mark.parametrize("command", ["test", "validate", "predict"])
def test_an_evaluation_removes_what_killed_commands_left_in_its_run_folder(cli, command):
    # a predict killed while it wrote a large CSV left its temporary (megabytes) in the run folder
    # until the next write of that very file; a test, or a predict elsewhere, left it there
    import fcntl

    assert cli("fit", *QUICK).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    killed_while_writing(run / "predictions-last-big.csv")
    [left] = run.glob(f".predictions-last-big.csv.*{TEMP_SUFFIX}")
    live = run / f".test_report-best.json.live{TEMP_SUFFIX}"  # another command writing right now
    live.write_bytes(b"{")
    held = os.open(live, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        extra = ["--prediction.output", "elsewhere.csv"] if command == "predict" else []
        assert cli(command, "--ckpt_path", "last", *extra).returncode == 0
    finally:
        os.close(held)
    assert not left.exists() and live.exists()
    assert [p.name for p in run.iterdir() if p.name.endswith(TEMP_SUFFIX)] == [live.name]


def test_a_name_too_long_for_the_temporary_is_said_of_the_file(tmp_path):
    target = tmp_path / ("p" * 245)  # a name the folder takes, but not ".NAME.XXXXXXXX.tmp" beside it
    with pytest.raises(OSError) as raised:
        atomic_write(target, lambda handle: handle.write(b"x"))
    # was: '.ppp...ppp.k2j4x9aa.tmp', a name the user never gave
    assert (raised.value.errno, raised.value.filename) == (errno.ENAMETOOLONG, os.fspath(target))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["test", "validate"])
def test_an_evaluation_on_a_read_only_file_system_says_to_evaluate_a_copy(trained, cli, monkeypatch, command):
    def read_only(dir, prefix, suffix):  # as mkstemp fails in a read-only folder (root is never refused)
        raise OSError(errno.EROFS, "Read-only file system", os.path.join(dir, f"{prefix}k2j4x9aa{suffix}"))

    monkeypatch.setattr(blobclf.atomic.tempfile, "mkstemp", read_only)
    # was: only "cannot use '...': Read-only file system", naming no way on (neither has an output option)
    assert one_error(cli(command, "--ckpt_path", "last")) == (
        f"blobclf: error: cannot use 'lightning_logs/version_0/{command}-last/hparams.yaml': Read-only file system; "
        f"{command} writes into the run's folders: copy the run (its checkpoints/ and lightning_logs/ folders) "
        f"somewhere writable and {command} the copy")


def test_regenerate_into_a_read_only_run_folder_names_the_file_and_output(trained, monkeypatch, capsys):
    from blobclf.regenerate import main

    def read_only(dir, prefix, suffix):  # as mkstemp fails in a read-only folder (root is never refused)
        raise OSError(errno.EROFS, "Read-only file system", os.path.join(dir, f"{prefix}k2j4x9aa{suffix}"))

    monkeypatch.setattr(blobclf.atomic.tempfile, "mkstemp", read_only)
    with pytest.raises(SystemExit) as stopped:
        main([str(trained)])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (f"blobclf: error: cannot write to {str(trained / 'data.png')!r}: Read-only file "
                                       "system; write the outputs to another folder with --output\n")
