"""Regenerate docs/errors.md: every bad input we try, and the one line blobclf answers with.

    python docs/error_table.py            # run from the repository root

It trains one small model in a scratch folder, then runs each bad command there.
"""

from __future__ import annotations

import gzip
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "configs" / "sgd.yaml")


class BlobModel(torch.nn.Module):
    """A script's own model class: ``torch.save(model)`` pickles it as ``__main__.BlobModel``."""


class Payload:
    def __reduce__(self):
        return (open, ("MARKER", "w"))


def run(cwd: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "blobclf", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}, stdin=subprocess.DEVNULL)
    lines = [line for line in done.stderr.splitlines() if line.startswith("blobclf: error:")]
    return done.returncode, lines[-1] if lines else done.stderr.strip().splitlines()[-1]


def main() -> None:
    cwd = Path(tempfile.mkdtemp(prefix="blobclf-errors-"))
    fit = run(cwd, ["fit", "--config", CONFIG, "--trainer.max_epochs", "3", "--export.figures", "false"])
    assert fit[0] == 0, fit
    last = "checkpoints/version_0/last.ckpt"
    checkpoint = torch.load(cwd / last, weights_only=True)
    checkpoint["payload"] = Payload()
    torch.save(checkpoint, cwd / "hostile.ckpt")
    checkpoint = torch.load(cwd / last, weights_only=True)
    checkpoint["datamodule_hyper_parameters"]["_class_path"] = "this.DataModule"  # importing 'this' prints
    torch.save(checkpoint, cwd / "importing.ckpt")
    checkpoint = torch.load(cwd / last, weights_only=True)
    checkpoint["callbacks"]["RunExport"]["training"]["lr_scheduler"] = {  # resolving 'this.s' would import 'this'
        "class_path": "torch.optim.lr_scheduler.LambdaLR", "init_args": {"lr_lambda": "this.s"}}
    torch.save(checkpoint, cwd / "lambda.ckpt")
    (cwd / "truncated.ckpt").write_bytes((cwd / last).read_bytes()[:2000])
    (cwd / "bad.csv").write_text("x0,x1\n1.0,2.0\n3.0,abc\n")
    (cwd / "short.csv").write_text("x0,x1\n1.0,2.0\n3.0\n")
    (cwd / "nan.csv").write_text("x0,x1\n1.0,nan\n")
    (cwd / "noheader.csv").write_text("1,2\n3,4\n")
    (cwd / "model_class.yaml").write_text("model:\n  class_path: blobclf.BlobClassifier\n  init_args:\n    hidden_units: 16\n")
    (cwd / "huge.yaml").write_text("data:\n  n_samples: 1e400\n")
    (cwd / "old_config.yaml").write_text(  # as blobclf of 2026-11-28 or earlier wrote a run's config.yaml
        "trainer:\n  logger:\n    class_path: blobclf.logger.RunLogger\n    init_args:\n      comment: ''\n")
    (cwd / "empty.csv").write_text("")
    (cwd / "arabic.csv").write_text("x0,x1,label\n1,2,\u0663\n")
    (cwd / "huge_label.csv").write_text("x0,x1,label\n1,2,99999999999999999999999\n")
    (cwd / "label7.csv").write_text("x0,x1,label\n1,2,7\n")
    (cwd / "latin1.csv").write_bytes(b"x0,x1\n1,2\n3,\xff\n")
    (cwd / "latin1.csv.gz").write_bytes(gzip.compress(b"x0,x1\n1,2\n3,\xff\n", mtime=0))
    (cwd / "wide_header.csv").write_text("x0," + "b" * 200_000 + ",kind\n1,2,x\n")  # a name past csv's limit
    (cwd / "cut.csv.gz").write_bytes(gzip.compress(b"x0,x1\n1,2\n3,4\n", mtime=0)[:20])  # a download cut short
    (cwd / "zeros.csv.gz").write_bytes(gzip.compress(b"0" * (65 << 20), mtime=0))  # 65 MiB from a small file
    (cwd / "latin1.yaml").write_bytes(b"trainer:\n  max_epochs: 2  # caf\xe9\n")
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    rows += [f"{n}: &{n} [{','.join(['*' + p] * 9)}]" for n, p in zip("bcdefg", "abcdef", strict=True)]
    (cwd / "bomb.yaml").write_text("\n".join([*rows, "trainer: {max_epochs: 1, callbacks: *g}"]) + "\n")
    (cwd / "loop.yaml").write_text("trainer: &a\n  max_epochs: 1\n  plugins: *a\n")  # a value holding itself
    (cwd / "nul.yaml").write_text('data: {predict_file: "points\\0.csv"}\n')  # only a config can hold a NUL
    (cwd / "config.yaml").write_text("trainer: {max_epochs: 1}\n")
    (cwd / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n....")
    (cwd / "points.csv").write_text("x0,x1\n1,2\n")
    (cwd / "checkpoints" / "version_0" / "predictions-last-test-split.csv").write_text("written by an earlier predict\n")
    sys.path.insert(0, str(REPO / "examples"))
    from write_datasets import write_dataset

    write_dataset("iris", cwd)
    table_fit = run(cwd, ["fit", "--data", "TableDataModule", "--data.path", "iris.csv", "--data.target", "species",
                          "--trainer.max_epochs", "2", "--export.figures", "false", "--checkpoint.root", "table_runs"])
    assert table_fit[0] == 0, table_fit
    table_last = os.fspath(next((cwd / "table_runs").glob("version_*/last.ckpt")).relative_to(cwd))
    (cwd / "t_text.csv").write_text("a,b,color,kind\n1,2,red,x\n3,4,blue,y\n")
    (cwd / "t_missing.csv").write_text("a,b,kind\n1,2,x\n3,,y\n4,NA,x\n5,6,y\n")
    (cwd / "t_target.csv").write_text("a,b,species\n1,2,x\n")
    (cwd / "t_single.csv").write_text("a,b,kind\n1,2,x\n3,4,x\n5,6,x\n")
    (cwd / "t_rare.csv").write_text("a,b,kind\n1,2,x\n3,4,x\n5,6,y\n7,8,y\n9,9,z\n")
    (cwd / "t_twice.csv").write_text("a,b,a,kind\n1,2,3,x\n")
    (cwd / "t_header.csv").write_text("a,b,kind\n")
    (cwd / "t_quote.csv").write_text('"a,b,kind\n1,2,x\n')
    (cwd / "t_comment.csv").write_text("a,b,kind\n1,2,x\n3,4,y\n# exported by tool X\n")
    (cwd / "t_good.csv").write_text("a,b,kind\n" + "".join(f"{i},{i % 7},{'xy'[i % 2]}\n" for i in range(20)))
    (cwd / "t_other.csv").write_text("a,c,kind\n1,2,x\n")
    (cwd / "t_newclass.csv").write_text("a,b,kind\n1,2,x\n3,4,z\n5,6,y\n")
    shutil.copy(cwd / "t_good.csv", cwd / "t_same.csv")
    (cwd / "flowers.csv").write_text("id,sepal_length,sepal_width,petal_length\nf1,5.1,3.5,1.4\n")
    (cwd / "t_unnamed.csv").write_text(",a,b,kind\n" + "".join(f"{i},{i},{i % 7},{'xy'[i % 2]}\n" for i in range(20)))
    (cwd / "t_underscore.csv").write_text("a,b,kind\n1,2,x\n1_000,4,y\n")
    (cwd / "t_extra.csv").write_text("a,b,kind\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]},{i * 10}\n" for i in range(20)))
    (cwd / "t.parquet").write_bytes(b"PAR1" + bytes(60))
    (cwd / "t_comma.csv").write_text("a;b;kind\n5,1;2;x\n")
    (cwd / "t_grouped.csv").write_text("a;b;kind\n5,1;2;x\n1.234,5;3;y\n")
    (cwd / "t_texts.csv").write_text("a,island,b,sex,kind\n1,Biscoe,2,male,x\n3,Dream,4,female,y\n")
    (cwd / "t_texts_gap.csv").write_text("a,island,b,sex,kind\n1,Biscoe,2,male,x\n3,,4,female,y\n")
    (cwd / "t_island.csv").write_text("a,island,kind\n" + "".join(f"{i},{['Biscoe', 'Dream'][i % 2]},{'xy'[i % 2]}\n"
                                                         for i in range(20)))
    (cwd / "t_island_new.csv").write_text("a,island,kind\n1,Biscoe,x\n2,Anvers,y\n")
    (cwd / "t_islands.csv").write_text("a,island,kind\n" + "".join(
        f"{i},{['Biscoe', 'Dream', 'unknown'][i % 3]},{'xy'[i % 2]}\n" for i in range(30)))
    (cwd / "t_islands_new.csv").write_text("a,island,kind\n1,Biscoe,x\n2,?,y\n")
    (cwd / "t_percent.csv").write_text("a,b,kind\n12%,2,x\n")
    (cwd / "t_gaps.csv").write_text("a,b,kind\n1,,x\n3,4,y\nNA,5,x\n")
    (cwd / "t_none.csv").write_text("a,b,severity\n1,2,None\n3,4,mild\n5,6,None\n")
    (cwd / "t_empty.csv").write_text("sepal,notes,petal,kind\n1,,2,x\n3,,4,y\n5,,6,x\n")
    (cwd / "t_id_gaps.csv").write_text("id,a,b,kind\n1,1,,x\n2,3,4,y\n3,,5,x\n4,6,7,y\n")
    (cwd / "t_all_gaps.csv").write_text("a,b,kind\n1,,x\n,2,y\n")
    (cwd / "t_divzero.csv").write_text("a,b,kind\n1,2,x\n#DIV/0!,4,y\n")
    (cwd / "t_imbalanced.csv").write_text(
        "a,b,kind\n" + "".join(f"{i % 9},{i % 4},common\n" for i in range(100)) + "1,2,rare\n3,1,rare\n")
    (cwd / "t_stamp.csv").write_text("a,t,kind\n" + "".join(f"{i % 7},{1700000000 + i},{'xy'[i % 2]}\n" for i in range(20)))
    (cwd / "t_trailing.csv").write_text("a;b;kind;\n1.5;2;x;\n")
    (cwd / "t_blank.csv").write_text("a,b,kind,,\n1.5,2,x,,\n")
    (cwd / "t_wide.csv").write_text(",".join(["id", *(f"f{i}" for i in range(30)), "kind"]) + "\n"
                                    + ",".join(["1", *(str(i) for i in range(30)), "x"]) + "\n")
    (cwd / "t_small.csv").write_text("a,b,kind\n" + "".join(f"{i},{i % 4},{'xyz'[i % 3]}\n" for i in range(9)))
    (cwd / "predicted.csv").write_text(
        "sepal_length,sepal_width,petal_length,petal_width,prob_setosa,predicted\n5.1,3.5,1.4,0.2,0.9,setosa\n")
    good = torch.load(cwd / last, weights_only=True)
    other = {**good, "hyper_parameters": {"encoder_dim": 3}}
    torch.save(other, cwd / "other_module.ckpt")
    edited = {**good, "hyper_parameters": {**good["hyper_parameters"], "hidden_units": 16}}
    torch.save(edited, cwd / "edited.ckpt")
    wide = {**good, "hyper_parameters": {**good["hyper_parameters"], "hidden_units": 10**9}}
    torch.save(wide, cwd / "huge_width.ckpt")
    other_data = {**good, "datamodule_hyper_parameters": {**good["datamodule_hyper_parameters"], "n_features": 3}}
    torch.save(other_data, cwd / "edited_data.ckpt")
    shape = good["hyper_parameters"]  # as blobclf's first versions (before 2026-11-28) wrote it
    first = {**good, "hyper_parameters": {k: shape[k] for k in ("hidden_units", "num_classes", "num_features",
                                                                "_instantiator")},
             "callbacks": {k: v for k, v in good["callbacks"].items() if not (isinstance(v, dict) and "training" in v)}}
    first["hyper_parameters"].update(lr=0.1, momentum=0.0, weight_decay=0.0)
    torch.save(first, cwd / "first_version.ckpt")
    # as a script's own Trainer writes it: LightningCLI's _instantiator and blobclf's callbacks' states absent
    own = {**first, "hyper_parameters": {k: v for k, v in shape.items() if k != "_instantiator"}}
    torch.save(own, cwd / "own_trainer.ckpt")
    torch.save(BlobModel(), cwd / "whole_model.pth")
    nan = {**good, "state_dict": {k: v.clone() for k, v in good["state_dict"].items()}}
    nan["state_dict"]["model.linear_layer_stack.0.weight"][0, 0] = float("nan")
    torch.save(nan, cwd / "diverged.ckpt")
    whole = {**good, "state_dict": {k: v.round().long() for k, v in good["state_dict"].items()}}
    torch.save(whole, cwd / "integers.ckpt")  # another program's integers: taken as weights rounded without a word
    huge = {**good, "datamodule_hyper_parameters": {**good["datamodule_hyper_parameters"], "n_samples": 3_000_000_000}}
    torch.save(huge, cwd / "huge_data.ckpt")
    names: list = ["x0", "x1"]
    for _ in range(40):  # 2**41 names in a 19 KB file: each level refers twice to the one below
        names = [names, names]
    torch.save({**good, "hyper_parameters": {**good["hyper_parameters"], "feature_names": names}}, cwd / "shared.ckpt")
    torch.save({"a": 1}, cwd / "other.ckpt")  # another program's dict, saved as .ckpt
    (cwd / "anchor.yaml").write_text("base: &b {max_epochs: 3}\ntrainer: *b\n")  # an anchor under a key of its own
    (cwd / "steplr.yaml").write_text("lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: "
                                     "{step_size: 5}}\n")
    import zipfile
    with zipfile.ZipFile(cwd / last) as source, zipfile.ZipFile(cwd / "deflated.ckpt", "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info.filename))
    damaged = bytearray((cwd / last).read_bytes())
    with zipfile.ZipFile(cwd / last) as archive:
        member = max(archive.infolist(), key=lambda info: info.file_size)
        at = member.header_offset
        name_length, extra_length = (int.from_bytes(damaged[at + i : at + i + 2], "little") for i in (26, 28))
        damaged[at + 30 + name_length + extra_length + 4] ^= 0xFF  # a byte of the member's data
    (cwd / "damaged.ckpt").write_bytes(bytes(damaged))
    os.symlink("loop.ckpt", cwd / "loop.ckpt")
    os.mkfifo(cwd / "out.fifo")
    os.mkfifo(cwd / "t_pipe.csv")
    os.mkfifo(cwd / "pipe.yaml")
    (cwd / "tabs.yaml").write_text("trainer:\n\tmax_epochs: 2\n")
    (cwd / "python.yaml").write_text("trainer:\n  max_epochs: !!python/object/apply:os.system [touch PWNED]\n")
    (cwd / "twice.yaml").write_text("trainer:\n  max_epochs: 2\ntrainer:\n  max_epochs: 3\n")
    (cwd / "list.yaml").write_text("- 1\n- 2\n")
    (cwd / "typo.yaml").write_text("trainer:\n  max_epoch: 3\n")
    (cwd / "mode.yaml").write_text("checkpoint:\n  mode: mni\n")
    (cwd / "empty.yaml").write_text("# nothing yet\n")
    (cwd / "data5.yaml").write_text("data: 5\n")
    (cwd / "steplr.yaml").write_text("lr_scheduler:\n  class_path: torch.optim.lr_scheduler.StepLR\n"
                                     "  init_args: {step_size: true}\n")
    (cwd / "key.yaml").write_text("? [a, b]\n: 1\n")
    (cwd / "hidden.yaml").write_text("model:\n  hidden_units: x\n")
    (cwd / "patience.yaml").write_text("trainer:\n  callbacks:\n  - class_path: lightning.pytorch.callbacks.EarlyStopping\n"
                                       "    init_args: {monitor: val/loss, patience: soon}\n")
    (cwd / "joined.csv").write_text("\ufeffx0,x1\n1.0,2.0\n\ufeffx0,x1\n3.0,4.0\n", encoding="utf-8")
    cases = [
        ["fit", "--no_such_option", "1"],
        ["fit", "--trainer.max_epoch", "3"],
        ["fit", "--data.batch_size", "64", "--trainer.accumulate_grad_batches", "2"],
        ["fit", "--data.batch_size", "64", "--trainer.gradient_clip_val", "1.0"],
        ["fit", "--ckpt_path", "last", "--trainer.max_epochs", "1"],
        ["fit", "--ckpt_path", "last", "--data.batch_size", "32"],
        ["predict", "--ckpt_path", "last"],
        ["fit", "--config", "missing.yaml"],
        ["fti"],
        ["fit", "--data.n_sample", "10"],
        ["fit", "--config", "typo.yaml"],
        ["fit", "--config", "mode.yaml"],
        ["fit", "--data", "TableDatamodule"],
        ["fit", "--optimizer.momentun", "0.9"],
        ["fit", "--model.help", "BlobClassifier"],
        ["fit", "--config", "model_class.yaml"],
        ["fit", "--config", "old_config.yaml"],
        ["fit", "--config", "huge.yaml"],
        ["fit", "--optimizer.lr", "-0.1"],
        ["fit", "--optimizer.lr", "fast"],
        ["fit", "--optimizer", "Adam", "--optimizer.betas", "[0.9,inf]"],
        ["fit", "--optimizer", "Adam", "--optimizer.betas", "0.9"],
        ["fit", "--model.lr", "0.1"],
        ["fit", "--model.class_weight", "[1,20]"],
        ["fit", "--model.class_weight", "[1,-2,1,1]"],
        ["fit", "--model.class_weight", "[0,1,1,1]"],
        ["fit", "--model.class_weight", "[1e39,1,1,1]"],
        ["fit", "--optimizer", "NoSuchOptimizer"],
        ["fit", "--lr_scheduler", "StepLR"],
        ["fit", "--lr_scheduler", "LambdaLR", "--lr_scheduler.lr_lambda", "lambda e: 0.5"],
        ["fit", "--model.hidden_units", "0"],
        ["fit", "--data.centers", "1"],
        ["fit", "--data.test_size", "1.2"],
        ["fit", "--data.batch_size", "0"],
        ["fit", "--data.n_samples", "1"],
        ["fit", "--trainer.max_epochs", "-2"],
        ["fit", "--trainer.accelerator", "gpu"],
        ["fit", "--ckpt_path", "last", "--checkpoint.root", "nowhere"],
        ["test"],
        ["validate"],
        ["predict"],
        ["test", "--ckpt_path", "missing.ckpt"],
        ["test", "--ckpt_path", "lats"],
        ["test", "--ckpt_path", "http://127.0.0.1:8000/model.ckpt"],
        ["test", "--ckpt_path", "truncated.ckpt"],
        ["test", "--ckpt_path", "checkpoints/version_0/model.pth"],
        ["test", "--ckpt_path", "checkpoints/version_0"],
        ["test", "--ckpt_path", "checkpoints"],
        ["test", "--ckpt_path", "hostile.ckpt"],
        ["test", "--ckpt_path", "hostile.ckpt", "--weights_only", "false"],
        ["test", "--ckpt_path", "importing.ckpt"],
        ["fit", "--ckpt_path", "lambda.ckpt", "--trainer.max_epochs", "4"],
        ["test", "--ckpt_path", last, "--model.hidden_units", "16"],
        ["test", "--ckpt_path", last, "--data.random_state", "7"],
        ["fit", "--ckpt_path", last, "--optimizer", "Adam"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "bad.csv"],
        ["predict", "--ckpt_path", last, "--config", "nul.yaml"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "short.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "nan.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "empty.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "missing.csv"],
        ["fit", "--config", CONFIG, "--trainer.logger.init_args.version", "0"],
        ["fit", "--trainer.logger.init_args.version", "../../escaped"],
        ["fit", "--trainer.logger.init_args.sub_dir", "../../escaped"],
        ["fit", "--config", "latin1.yaml"],
        ["fit", "--config", "bomb.yaml"],
        ["fit", "--config", "loop.yaml"],
        ["fit", "--data.cluster_std", "inf"],
        ["fit", "--data.random_state", "-1"],
        ["fit", "--data.n_samples", "3000000000"],
        ["fit", "--data.centers", "1000000000"],
        ["fit", "--model.hidden_units", "100000"],
        ["fit", "--trainer.check_val_every_n_epoch", "0"],
        ["fit", "--checkpoint.last_interval", "-1"],
        ["fit", "--checkpoint.dirpath", "checkpoints/version_0"],
        ["fit", "--optimizer.lr", "1e9", "--trainer.max_epochs", "20"],
        ["test", "--ckpt_path", "config.yaml"],
        ["test", "--ckpt_path", "figure.png"],
        ["test", "--ckpt_path", "deflated.ckpt"],
        ["test", "--ckpt_path", "other_module.ckpt"],
        ["fit", "--ckpt_path", "first_version.ckpt"],
        ["fit", "--ckpt_path", "own_trainer.ckpt"],
        ["test", "--ckpt_path", "whole_model.pth"],
        ["test", "--ckpt_path", "edited.ckpt"],
        ["test", "--ckpt_path", "diverged.ckpt"],
        ["test", "--ckpt_path", "integers.ckpt"],
        ["test", "--ckpt_path", "huge_data.ckpt"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "arabic.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "huge_label.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "label7.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "latin1.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "latin1.csv.gz"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "cut.csv.gz"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "wide_header.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "zeros.csv.gz", "--data.target", "kind"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "points.csv", "--prediction.output", last],
        ["predict", "--ckpt_path", last, "--data.predict_file", "points.csv", "--prediction.output", "points.csv"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "noheader.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_text.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_missing.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_target.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_single.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_rare.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_twice.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "empty.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_header.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_quote.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_comment.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.test_path", "t_other.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "Kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.test_path", "t_newclass.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.features", "[a,q]"],
        ["predict", "--ckpt_path", table_last, "--data.predict_file", "flowers.csv"],
        ["fit", "--seed_everything", "-5"],
        ["fit", "--trainer.max_epochs", "0"],
        ["fit", "--ckpt_path", last, "--checkpoint.dirpath", "elsewhere"],
        ["predict", "--ckpt_path", last, "--prediction.output", "out.fifo", "--prediction.overwrite", "true"],
        ["predict", "--ckpt_path", last, "--prediction.output", "top.csv", "--prediction.top_k", "5"],
        ["predict", "--ckpt_path", last, "--prediction.output", "top.csv", "--prediction.top_k", "-1"],
        ["test", "--ckpt_path", "damaged.ckpt"],
        ["test", "--ckpt_path", "loop.ckpt"],
        ["fit", "--config", "tabs.yaml"],
        ["fit", "--config", "python.yaml"],
        ["fit", "--config", "twice.yaml"],
        ["fit", "--config", "list.yaml"],
        ["fit", "--config", "empty.yaml"],
        ["fit", "--config", "data5.yaml"],
        ["fit", "--config", "steplr.yaml"],
        ["fit", "--config", "key.yaml"],
        ["fit", "--config", "hidden.yaml"],
        ["fit", "--config", "patience.yaml"],
        ["predict", "--ckpt_path", last, "--data.predict_file", "joined.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_unnamed.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_underscore.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_extra.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t.parquet", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.features", "[]"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_small.csv", "--data.target", "kind"],
        ["predict", "--ckpt_path", table_last, "--data.predict_file", "predicted.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_comma.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_grouped.csv", "--data.target", "kind",
         "--data.decimal", ","],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.decimal", ","],
        ["fit", "--data", "TableDataModule", "--data.path", "t_comma.csv", "--data.target", "kind",
         "--data.decimal", ",", "--data.delimiter", ","],
        ["fit", "--data", "TableDataModule", "--data.path", "t_comma.csv", "--data.target", "kind",
         "--data.decimal", ";"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_texts.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_texts_gap.csv", "--data.target", "kind",
         "--data.categorical", "[island,sex]"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_island.csv", "--data.target", "kind",
         "--data.categorical", "[island]", "--data.test_path", "t_island_new.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_islands.csv", "--data.target", "kind",
         "--data.categorical", "[island]", "--data.test_path", "t_islands_new.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_percent.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_gaps.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_none.csv", "--data.target", "severity"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_empty.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_id_gaps.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_all_gaps.csv", "--data.target", "kind",
         "--data.missing", "drop"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_trailing.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.features", "[01,yes]"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "null"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.delimiter", ";"],
        ["test", "--ckpt_path", "huge_width.ckpt"],
        ["test", "--ckpt_path", "edited_data.ckpt"],
        ["fit", "--trainer.accelerator", "tpu"],
        ["fit", "--trainer.strategy", "dpp"],
        ["fit", "--trainer.strategy", "fsdp"],
        ["fit", "--trainer.num_nodes", "2"],
        ["fit", "--data.path", "iris.csv", "--data.target", "species"],
        ["fit", "--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val_loss"],
        ["fit", "--trainer.enable_checkpointing", "false"],
        ["fit", "--trainer.barebones", "true"],
        ["fit", "--trainer.logger", "false", "--trainer.callbacks+=LearningRateMonitor"],
        ["fit", "--trainer.callbacks+=blobclf.callbacks.RunCheckpoint"],
        ["fit", "--ckpt_path", "last", "--trainer.logger", "false"],
        ["fit", "--trainer.default_root_dir", "runs"],
        ["fit", "--trainer.model_registry", "my-model"],
        ["fit", "--trainer.max_epochs", "5", "--lr_scheduler", "OneCycleLR", "--lr_scheduler.max_lr", "0.2",
         "--lr_scheduler.total_steps", "3"],
        ["test", "--ckpt_path", "shared.ckpt"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_pipe.csv", "--data.target", "kind"],
        ["fit", "--config", "pipe.yaml"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_divzero.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_stamp.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_imbalanced.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.test_path", "t_same.csv"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_blank.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_wide.csv", "--data.target", "kind"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.exclude", "[q]"],
        ["fit", "--data", "TableDataModule", "--data.path", "t_good.csv", "--data.target", "kind",
         "--data.exclude", "[b]", "--data.features", "[a]"],
        ["fit", "--trainer.max_epochs", "ten"],
        ["fit", "--seed_everything", "abc"],
        ["fit", "--seed_everything", "null"],
        ["fit", "--trainer.gpus", "1"],
        ["fit", "--threads", "0"],
        ["fit", "--prediction.top_k", "2"],
        ["test", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--optimizer", "Adam"],
        ["test", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--trainer.max_epochs", "5"],
        ["test", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--trainer.limit_val_batches", "2"],
        ["fit", "--model.cuda_graphs", "maybe"],
        ["fit", "--data.batch_size", "abc"],
        ["fit", "--trainer.overfit_batches", "0.1", "--data.batch_size", "32", "--model.steps_per_execution", "1"],
        ["fit", "--trainer.callbacks", "5"],
        ["fit", "--trainer.callbacks+=EarlyStoping"],
        ["fit", "--trainer.logger", "TensorBoardLoger"],
        ["fit", "--config", "anchor.yaml"],
        ["test", "--ckpt_path", "other.ckpt"],
        ["fit", "--lr_scheduler.step_size", "3", "--config", "steplr.yaml"],
    ]
    rows = ["| command | exit | what blobclf prints |", "| --- | ---: | --- |"]

    def row(args: list[str], when: str = "", env: dict[str, str] | None = None) -> None:
        code, line = run(cwd, args, env)
        shown = " ".join(shlex.quote(a) for a in args).replace(CONFIG, "configs/sgd.yaml")
        line = line.replace("|", "\\|").replace(str(cwd) + "/", "")  # a pipe in a table cell is written \\|
        line = line.replace(str(REPO), "/path/to/blobclf")
        rows.append(f"| `blobclf {shown}`{when} | {code} | `{line}` |")

    for args in cases:
        row(args)
        if args == ["fit", "--config", "missing.yaml"]:
            # the README's command in another folder: run from the source (pip install -e .), then as installed
            # without it (the package alone on the path, no pyproject.toml nor configs/ beside it)
            row(["fit", "--config", "configs/sgd.yaml"], " (in another folder; `pip install -e .`)")
            shutil.copytree(REPO / "blobclf", cwd / "site" / "blobclf")
            row(["fit", "--config", "configs/sgd.yaml"], " (installed without its source)",
                {"PYTHONPATH": str(cwd / "site")})
            shutil.rmtree(cwd / "site")
            # a checkpoint copied into the folder fit runs in: a resume would write the run's files there
            shutil.copy(cwd / last, cwd / "x.ckpt")
            row(["fit", "--ckpt_path", "x.ckpt"], " (a checkpoint copied into the folder)")
            (cwd / "x.ckpt").unlink()
    # a test table of the same name as an earlier one's, in another folder and with other rows
    iris_rows = (cwd / "iris.csv").read_text().splitlines(keepends=True)
    for folder, rows in (("a", iris_rows[1:21]), ("b", iris_rows[-20:])):
        (cwd / folder).mkdir()
        (cwd / folder / "x.csv").write_text("".join(iris_rows[:1] + rows))
    assert run(cwd, ["test", "--ckpt_path", table_last, "--data.test_path", "a/x.csv"])[0] == 0
    row(["test", "--ckpt_path", table_last, "--data.test_path", "b/x.csv"], " (after `--data.test_path a/x.csv`)")
    # last: the table run's training table edited, then moved away
    with open(cwd / "iris.csv", "a") as table:
        table.write("5.0,3.0,1.5,0.2,setosa\n")
    row(["test", "--ckpt_path", table_last], " (after `iris.csv` was edited)")
    row(["test", "--ckpt_path", table_last, "--data.path", "t_good.csv"], " (another table)")
    (cwd / "iris.csv").unlink()
    row(["test", "--ckpt_path", table_last], " (after `iris.csv` was moved away)")
    assert not (cwd / "MARKER").exists(), "a hostile checkpoint ran code"
    text = (
        "# Bad input and what blobclf answers\n\n"
        "Generated by `python docs/error_table.py` (each command run in a folder holding one short run,\n"
        "`checkpoints/version_0`). Every line is the whole of what the user sees on stderr besides\n"
        "Lightning's start-up notices; none prints a traceback (`BLOBCLF_DEBUG=1` shows one).\n"
        "The memory rows' \"GiB is available\" is the memory this machine had free at that moment (other\n"
        "programs ran beside it): yours will differ.\n\n"
        + "\n".join(rows) + "\n"
    )
    (REPO / "docs" / "errors.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
