"""Damaged, hostile or misleading files: each gets one line that says which it is (in-process, fast)."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import run_cli
from test_faults import one_error

from blobclf.configfiles import check_config_text
from blobclf.errors import UserError
from blobclf.export import export_model, load_model
from blobclf.model import BlobModel
from blobclf.safeload import check_archive, load_checkpoint, safe_load


def saved_bytes(obj) -> bytes:
    """``torch.save(obj)`` as bytes (saved through a buffer, so its members are named 'archive/...')."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def small_checkpoint() -> dict:
    return {"state_dict": {"w": torch.arange(64, dtype=torch.float32), "b": torch.ones(4)}, "epoch": 1}


def member_data_offset(data: bytes, name: str) -> int:
    """Where the content of member ``name`` starts in the zip ``data``."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
    return info.header_offset + 30 + name_length + extra_length


def with_pickle(data: bytes, pickled: bytes) -> bytes:
    """The archive ``data`` with its ``data.pkl`` replaced by ``pickled``: whole, CRCs right, as torch lays it out."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, pickled if info.filename.endswith("/data.pkl") else source.read(info))
    return out.getvalue()


# --- a flipped byte: damaged, not hostile ---------------------------------------------------------

def test_torch_save_records_correct_crcs():
    data = saved_bytes(small_checkpoint())
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert archive.testzip() is None


@pytest.mark.parametrize("member", ["archive/data/0", "archive/data.pkl"])
def test_a_flipped_byte_in_any_member_fails_its_crc(tmp_path, member):
    data = bytearray(saved_bytes(small_checkpoint()))
    data[member_data_offset(bytes(data), member) + 5] ^= 0x01
    (tmp_path / "flipped.ckpt").write_bytes(data)
    with pytest.raises(UserError) as refused:
        load_checkpoint(tmp_path / "flipped.ckpt")
    assert str(refused.value) == (f"checkpoint '{tmp_path / 'flipped.ckpt'}' is damaged: member '{member}' fails its "
                                  "CRC check (a bad copy or disk?); use another checkpoint")


def test_a_flipped_weight_byte_is_one_line_in_the_cli(cli):
    data = bytearray(saved_bytes(small_checkpoint()))
    data[member_data_offset(bytes(data), "archive/data/0") + 40] ^= 0x80  # one float of 'w' changes sign
    (cli.cwd / "x.ckpt").write_bytes(data)
    assert one_error(cli("test", "--ckpt_path", "x.ckpt")) == (
        "blobclf: error: checkpoint 'x.ckpt' is damaged: member 'archive/data/0' fails its CRC check "
        "(a bad copy or disk?); use another checkpoint")


def test_a_pickle_that_does_not_decode_is_damaged_without_torchs_advice(cli):
    # EMPTY_LIST, MARK, 1, 2, SETITEMS, STOP: SETITEMS on a list, as a flipped opcode makes it
    (cli.cwd / "x.ckpt").write_bytes(with_pickle(saved_bytes(small_checkpoint()), b"\x80\x02](K\x01K\x02u."))
    line = one_error(cli("test", "--ckpt_path", "x.ckpt"))
    assert line == ("blobclf: error: checkpoint 'x.ckpt' is damaged (its data does not decode: Can only SETITEMS for "
                    "dict, collections.OrderedDict, collections.Counter, but got <class 'list'>); use another "
                    "checkpoint, e.g. the run's best-*.ckpt")
    assert "weights_only" not in line


@pytest.mark.parametrize(
    ("pickled", "detail"),
    [
        (b"\x80\x02](K\x01", "EOFError"),
        (b"\x80\x02h\x07.", "KeyError: 7"),
        (b"\x80\x02\xff.", "Unsupported operand 255"),
        (b"\x80\x02ccollections\nOrderedDicu\n)R.", "it names collections.OrderedDicu, which does not exist"),
    ],
    ids=["cut-short", "unknown-memo", "bad-opcode", "misspelt-global"],
)
def test_every_way_a_pickle_breaks_is_damaged(tmp_path, pickled, detail):
    (tmp_path / "x.pth").write_bytes(with_pickle(saved_bytes({"w": torch.ones(2)}), pickled))
    with pytest.raises(UserError) as refused:
        safe_load(tmp_path / "x.pth", "weights file")
    assert str(refused.value) == (f"weights file '{tmp_path / 'x.pth'}' is damaged (its data does not decode: "
                                  f"{detail}); use another weights file, e.g. export it again")


@pytest.mark.parametrize(
    ("pickled", "needed"),
    [
        (b"\x80\x02cio\nopen\nX\x01\x00\x00\x00xX\x01\x00\x00\x00w\x86R.", "io.open"),
        (b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R.", "os.system"),
        (b"\x80\x02cnot_imported_module\nrun\n)R.", "not_imported_module.run"),
    ],
    ids=["io.open", "blocked-module", "unknown-module"],
)
def test_a_forbidden_global_still_would_run_code(cli, pickled, needed):
    (cli.cwd / "hostile.ckpt").write_bytes(with_pickle(saved_bytes(small_checkpoint()), pickled))
    assert one_error(cli("test", "--ckpt_path", "hostile.ckpt")) == (
        f"blobclf: error: checkpoint 'hostile.ckpt' is refused: loading it would run code (it needs {needed})")
    assert not (cli.cwd / "x").exists()


def test_the_crc_check_reads_a_whole_checkpoint(tmp_path):
    path = tmp_path / "ok.ckpt"
    path.write_bytes(saved_bytes(small_checkpoint()))
    check_archive(path)  # no error
    assert load_checkpoint(path)["epoch"] == 1


# --- small files that expand: refused before anything walks or allocates them ----------------------

def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def shared(levels: int) -> list:
    """A list of 2**levels values held in a few hundred bytes: each level refers twice to the one below."""
    value: list = [0]
    for _ in range(levels):
        value = [value, value]
    return value


def unicode(text: str) -> bytes:
    """The pickle opcode BINUNICODE for ``text``."""
    return b"X" + struct.pack("<I", len(text)) + text.encode()


def test_deep_nesting_is_one_line_not_a_recursion_error(cli):
    # {'state_dict': {}, 'hyper_parameters': {'feature_names': [[[...]]]}}, lists 5000 deep (torch.save
    # cannot write them; a pickle builds them without recursion): building the model repr'd them
    deep = b"]" * 5000 + b"a" * 4999
    pickled = (b"\x80\x02}(" + unicode("state_dict") + b"}" + unicode("hyper_parameters") + b"}"
               + unicode("feature_names") + deep + b"su.")
    (cli.cwd / "deep.ckpt").write_bytes(with_pickle(saved_bytes(small_checkpoint()), pickled))
    assert one_error(cli("test", "--ckpt_path", "deep.ckpt")) == (
        "blobclf: error: checkpoint 'deep.ckpt' is refused: its data nests more than 100 levels deep; it was edited "
        "or written by another program")


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        (shared(40), "expands to more than 4,194,304 values (one part referred to from many places)"),
        (torch.zeros(1).expand(10**10), "holds a tensor of 40,000,000,000 bytes (shape (10000000000,)), more than "
                                        "blobclf loads (1,073,741,824)"),
        ([torch.zeros(1).expand(50_000_000)] * 10, "holds tensors of 2,000,000,000 bytes once expanded, more than "
                                                   "blobclf loads (1,073,741,824)"),
        (nested(101), "nests more than 100 levels deep"),
    ],
    ids=["shared-list", "expanded-tensor", "shared-tensors", "101-levels"],
)
def test_data_that_expands_is_refused_before_anything_walks_it(tmp_path, value, refusal):
    checkpoint = small_checkpoint()
    checkpoint["callbacks"] = {"ModelCheckpoint": {"best_model_score": value}}
    (tmp_path / "x.ckpt").write_bytes(saved_bytes(checkpoint))
    assert (tmp_path / "x.ckpt").stat().st_size < 20_000
    with pytest.raises(UserError) as refused:
        load_checkpoint(tmp_path / "x.ckpt")
    assert str(refused.value) == (f"checkpoint '{tmp_path / 'x.ckpt'}' is refused: its data {refusal}; it was edited "
                                  "or written by another program")


def test_what_blobclf_writes_is_within_every_bound(tmp_path):
    checkpoint = small_checkpoint()
    checkpoint["hyper_parameters"] = {"class_names": ["a"] * 1000, "nest": nested(98), "pair": shared(20)}
    (tmp_path / "ok.ckpt").write_bytes(saved_bytes(checkpoint))  # 2**21 values once expanded; 100 levels
    pair = load_checkpoint(tmp_path / "ok.ckpt")["hyper_parameters"]["pair"]
    assert pair[0] is pair[1] and len(pair) == 2


def test_a_data_structure_that_contains_itself_is_refused(tmp_path):
    # EMPTY_LIST, MEMOIZE (BINPUT 0), BINGET 0, APPEND, STOP: a list that holds itself
    (tmp_path / "x.pth").write_bytes(with_pickle(saved_bytes({"w": torch.ones(2)}), b"\x80\x02]q\x00h\x00a."))
    with pytest.raises(UserError) as refused:
        safe_load(tmp_path / "x.pth", "weights file")
    assert str(refused.value) == (f"weights file '{tmp_path / 'x.pth'}' is refused: its data contains itself; it was "
                                  "edited or written by another program")


def test_a_large_pickle_is_refused_before_it_is_unpickled(tmp_path):
    # 5 MB of EMPTY_DICT opcodes would build 5 million dicts: some 450 MB and 5 s of unpickling
    (tmp_path / "x.ckpt").write_bytes(with_pickle(saved_bytes(small_checkpoint()), b"\x80\x02](" + b"}" * 5_000_000
                                                   + b"e."))
    with pytest.raises(UserError) as refused:
        load_checkpoint(tmp_path / "x.ckpt")
    assert str(refused.value) == (
        f"checkpoint '{tmp_path / 'x.ckpt'}' holds 5,000,006 bytes of pickled data besides its tensors, more than "
        "blobclf unpickles (4,194,304); if you trust it, raise the limit with BLOBCLF_MAX_LOAD_BYTES (this one is "
        "1/256 of it)")


def test_a_zip_of_many_entries_is_refused_before_its_directory_is_read(tmp_path):
    source = zipfile.ZipFile(io.BytesIO(saved_bytes(small_checkpoint())))
    with zipfile.ZipFile(tmp_path / "x.ckpt", "w") as archive:  # each empty entry costs zipfile some 1.7 KB and 25 us
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        for index in range(18_000):
            archive.writestr(f"archive/x/{index}", b"")
    with pytest.raises(UserError) as refused:
        load_checkpoint(tmp_path / "x.ckpt")
    assert str(refused.value) == (f"checkpoint '{tmp_path / 'x.ckpt'}' is refused: its zip directory is 1,087,413 "
                                  "bytes, more than blobclf reads (1,048,576); torch.save writes a few entries per tensor")


def test_a_directory_entry_needing_an_unknown_zip_feature_is_one_line(cli):
    data = bytearray(saved_bytes(small_checkpoint()))
    entry = data.index(b"PK\x01\x02")  # the first central directory entry
    data[entry + 6] = 119  # 'version needed to extract': 11.9, which zipfile does not implement
    (cli.cwd / "x.ckpt").write_bytes(data)
    assert one_error(cli("test", "--ckpt_path", "x.ckpt")) == (
        "blobclf: error: checkpoint 'x.ckpt' is not a readable PyTorch file (truncated or corrupt?): zip file "
        "version 11.9")


@pytest.mark.parametrize(
    ("edit", "refusal"),
    [
        (lambda described: "[" * 100_000 + "]" * 100_000, "is not a blobclf model.json (nested too deep to read)"),
        (lambda described: {**described, "model_class": ["blobclf.model.BlobModel"]},
         "names model_class ['blobclf.model.BlobModel']; blobclf builds only blobclf.model.BlobModel, "
         "blobclf.model.ScaledBlobModel"),
        # torch's refusal came with its C++ stack: some 40 lines in one message
        (lambda described: {**described, "constructor": {**described["constructor"], "hidden_units": 10**30}},
         "does not describe a BlobModel: a size too large to build in {'input_features': 2, 'output_features': 4, "
         "'hidden_units': 1000000000000000000000000000000}"),
        (lambda described: {**described, "constructor": {**described["constructor"], "hidden_units": float("nan")}},
         "does not describe a BlobModel: BlobModel: hidden_units must be an integer >= 1, got nan"),
    ],
    ids=["nested-deep", "class-as-list", "huge-size", "nan-size"],
)
def test_a_hostile_model_json_is_one_line(tmp_path, edit, refusal):
    export_model(BlobModel(input_features=2, output_features=4, hidden_units=8), tmp_path)
    edited = edit(json.loads((tmp_path / "model.json").read_text()))
    (tmp_path / "model.json").write_text(edited if isinstance(edited, str) else json.dumps(edited))
    with pytest.raises(UserError) as refused:  # RecursionError and TypeError ('unhashable type: list') before
        load_model(tmp_path / "model.pth")
    assert str(refused.value) == f"metadata file '{tmp_path / 'model.json'}' {refusal}"


def test_a_huge_model_json_or_run_config_is_refused_before_it_is_read(tmp_path, monkeypatch):
    # model.json and a run's config.yaml were read whole (a small file's name on gigabytes: all of them in memory)
    import os
    import threading

    from blobclf.callbacks import exported_step
    from blobclf.runs import recorded_root

    export_model(BlobModel(input_features=2, output_features=4, hidden_units=8), tmp_path)
    metadata = tmp_path / "model.json"
    text = metadata.read_text()
    with metadata.open("w") as handle:  # valid JSON: the object, then 16 MiB of blanks (a sparse file)
        handle.write(text)
        handle.truncate(16 * 2**20 + 1)
    with metadata.open("r+b") as handle:
        handle.seek(len(text))
        handle.write(b" " * (16 * 2**20 + 1 - len(text)))
    with pytest.raises(UserError) as refused:
        load_model(tmp_path / "model.pth")
    assert str(refused.value) == (
        f"metadata file '{metadata}' is 16,777,217 bytes, more than blobclf reads (16,777,216); if you trust it, "
        "raise the limit with BLOBCLF_MAX_LOAD_BYTES (this one is 1/64 of it)")
    assert exported_step(tmp_path) is None  # a resume's end does not read it either: it exports again
    monkeypatch.setenv("BLOBCLF_MAX_LOAD_BYTES", str(2**31))
    assert load_model(tmp_path / "model.pth").linear_layer_stack[0].in_features == 2
    config = tmp_path / "config.yaml"
    config.write_text("checkpoint:\n  root: elsewhere\n" + "#" * 2**20 + "\n")
    assert recorded_root(config) is None  # more than a config file blobclf reads: not taken as the run's
    config.write_text("checkpoint:\n  root: elsewhere\n")
    assert recorded_root(config) == "elsewhere"
    config.write_text('checkpoint:\n  root: "elsewhere\\0x"\n')  # a test from another folder: 'embedded null byte'
    assert recorded_root(config) is None
    config.unlink()
    os.mkfifo(config)  # a resume from another folder waited on it for good
    found = []
    reader = threading.Thread(target=lambda: found.append(recorded_root(config)), daemon=True)
    reader.start()
    reader.join(10)
    assert found == [None]


# --- names that would drive the terminal ----------------------------------------------------------

def test_names_from_files_reach_the_terminal_as_escapes(cli):
    # a table handed over with class names that retitle the terminal, ring it, rewrite or reverse a line
    names = ["\x1b]0;PWNED\x07a", "\x1b[31mred\x1b[0m", "c\rd", "\u202eevil"]
    rows = [f"{index % 7}.{index},{index % 4}.5,\"{names[index % 4]}\"" for index in range(40)]
    (cli.cwd / "t.csv").write_text("x0,x1,kind\n" + "\n".join(rows) + "\n")
    assert cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
               "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    (cli.cwd / "p.csv").write_text("x0,x1,kind\n1,2,zzz\n")
    result = cli("predict", "--ckpt_path", "last", "--data.predict_file", "p.csv")
    assert one_error(result) == (
        "blobclf: error: p.csv:2: kind='zzz' is not one of the model's classes (\\x1b[31mred\\x1b[0m, "
        "\\x1b]0;PWNED\\x07a, c: d, \\u202eevil); remove its rows (the model never saw the class), or the 'kind' column to "
        "predict without known classes")  # a line break in it reads ': ', as in every message
    shutil.copy(cli.cwd / "t.csv", cli.cwd / "t\x1b]0;PWNED\x07.csv")  # the note on a table trained on named it raw
    result = cli("test", "--ckpt_path", "last", "--data.test_path", "t\x1b]0;PWNED\x07.csv")
    assert result.returncode == 0, result.output
    assert "note: t\\x1b]0;PWNED\\x07.csv is the table the model was trained on" in result.stdout
    assert not {"\x1b", "\x07"} & set(result.output)
    # a checkpoint whose file name holds escapes: Lightning's lines and blobclf's name it escaped
    shutil.copy(cli.cwd / "checkpoints" / "version_0" / "last.ckpt", cli.cwd / "a\x1b[2Jb.ckpt")
    result = cli("test", "--ckpt_path", "a\x1b[2Jb.ckpt")
    assert result.returncode == 0, result.output
    assert "Restoring states from the checkpoint path at a\\x1b[2Jb.ckpt" in result.output
    assert "test report: test_report-a\\x1b[2Jb.json (accuracy" in result.stdout
    assert not {"\x1b", "\x07", "\r", "\u202e"} & set(result.output)
    assert (cli.cwd / "test_report-a\x1b[2Jb.json").is_file()  # the file itself keeps its name


def test_invisible_characters_in_names_are_shown_as_escapes(tmp_path):
    # a zero-width space made the column 'g\u200b' read 'g' in "no column 'g'": the name seemed to be there
    from blobclf.errors import printable
    from blobclf.points import read_points

    (tmp_path / "p.csv").write_text("g\u200b,h\ufeff,kind\n1,2,a\n")
    with pytest.raises(UserError) as refused:
        read_points(tmp_path / "p.csv", ["g", "h\u00ad"], ["a", "b"], "kind")
    assert printable(str(refused.value)).endswith(  # as the command line prints it
        "no column 'g', which the model needs; the columns are: g\\u200b, h\\ufeff, kind (the model's features: g, "
        "h\\xad)")
    assert printable("t\U000e0041\u2028\u2060") == "t\\U000e0041\\u2028\\u2060"  # Unicode tags, separators
    assert printable("\u0645\u200c\u0627 \U0001f468\u200d\U0001f469") == "\u0645\u200c\u0627 \U0001f468\u200d\U0001f469"


# --- names a spreadsheet would run -----------------------------------------------------------------

def test_predictions_never_hand_a_spreadsheet_a_formula(cli):
    # a table handed over with class and column names that Excel runs when it opens predictions.csv
    import csv

    classes = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "@SUM(1+1)", "-1"]
    with open(cli.cwd / "t.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["=x0", "+x1", "kind"],
                                      *([f"{i % 7}.{i}", f"{i % 4}.5", classes[i % 4]] for i in range(40))])
    assert cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
               "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    (cli.cwd / "p.csv").write_text('=x0,+x1,-id,note,kind\n1,2,-7,"\tx",-1\n3,-4.5,+2.5e3,@me,@SUM(1+1)\n')
    result = cli("predict", "--ckpt_path", "last", "--data.predict_file", "p.csv")
    assert result.returncode == 0, result.output
    with open(cli.cwd / "checkpoints" / "version_0" / "predictions-last-p.csv", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == ["'-id", "note", "'=x0", "'+x1", "prob_-1", 'prob_=HYPERLINK("http://x","y")',
                          "prob_=cmd|' /C calc'!A0", "prob_@SUM(1+1)", "predicted", "kind"]
    assert [row[:4] for row in written[1:]] == [["-7", "'\tx", "1", "2"], ["+2.5e3", "'@me", "3", "-4.5"]]  # as written
    assert [row[-1] for row in written[1:]] == ["-1", "'@SUM(1+1)"]  # a number stays one
    assert {row[-2] for row in written[1:]} <= {"-1", *("'" + name for name in classes[:3])}
    described = json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert described["classes"] == ["-1", *classes[:3]] and described["features"] == ["=x0", "+x1"]  # exact there


# --- links ----------------------------------------------------------------------------------------

def test_a_symbolic_link_loop_is_named_as_such(cli):
    (cli.cwd / "loop.ckpt").symlink_to("loop.ckpt")
    assert one_error(cli("test", "--ckpt_path", "loop.ckpt")) == (
        "blobclf: error: checkpoint 'loop.ckpt' is a symbolic link loop (it never reaches a file); "
        "point it at a checkpoint or pass the checkpoint's own path")


@pytest.mark.parametrize("shortcut", ["last", "best"])
def test_a_symbolic_link_loop_as_the_newest_runs_last_ckpt_is_named_as_such(cli, shortcut):
    # was "has no last.ckpt (it was stopped before writing one); pass the checkpoint it has: --ckpt_path
    # checkpoints/version_1/last.ckpt", the loop itself
    run = cli.cwd / "checkpoints" / "version_1"
    run.mkdir(parents=True)
    (run / "last.ckpt").symlink_to("last.ckpt")
    (cli.cwd / "checkpoints" / "version_0").symlink_to("version_0")  # a folder that is a loop: no run
    assert one_error(cli("test", "--ckpt_path", shortcut)) == (
        "blobclf: error: checkpoint 'checkpoints/version_1/last.ckpt' is a symbolic link loop (it never reaches a "
        "file); point it at a checkpoint or pass the checkpoint's own path")


def test_a_dangling_symbolic_link_names_its_target(cli):
    (cli.cwd / "gone.ckpt").symlink_to("runs/last.ckpt")
    assert one_error(cli("test", "--ckpt_path", "gone.ckpt")) == (
        "blobclf: error: checkpoint 'gone.ckpt' is a symbolic link to 'runs/last.ckpt', which does not exist")


# --- config files ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "x.yaml is empty (it sets nothing); add settings to it, or leave out --config x.yaml"),
        ("# all settings commented out\n# trainer: {max_epochs: 3}\n",
         "x.yaml is empty (it sets nothing); add settings to it, or leave out --config x.yaml"),
        ("- 1\n- 2\n", ("x.yaml: a config file must map option names to values (found a list); "
                        "write 'name: value' lines, e.g. 'trainer: {max_epochs: 10}'")),
        ("max_epochs\n", ("x.yaml: a config file must map option names to values (found a single value); "
                          "write 'name: value' lines, e.g. 'trainer: {max_epochs: 10}'")),
        ("trainer:\n\tmax_epochs: 2\n",
         "x.yaml:2:1: not valid YAML: found a tab character where an indent is expected; indent with spaces"),
        ("trainer: {max_epochs: 2\n",
         "x.yaml:2:1: not valid YAML: did not find expected ',' or '}' (to close the '{' at line 1, column 10)"),
        ("trainer:\n  callbacks: " + "[" * 2000 + "]" * 2000 + "\n",
         "x.yaml:2:514: not valid YAML: exceeded maximum nesting depth; nest fewer levels"),  # the 501st [
        ("trainer: {max_epochs: 2}\n---\ntrainer: {max_epochs: 3}\n",
         "x.yaml:2:1: not valid YAML: expected a single document in the stream, but found another document"),
        ("trainer:\n  max_epochs: 2\nmodel:\n  hidden_units: 8\ntrainer:\n  max_epochs: 3\n",
         "x.yaml:5: key 'trainer' is given twice; keep one (YAML would silently use the last)"),
        ("trainer:\n  max_epochs: 2\n  accelerator: cpu\n  max_epochs: 3\n",
         "x.yaml:4: key 'max_epochs' is given twice; keep one (YAML would silently use the last)"),
        # a value that contains itself: jsonargparse walked it for ever, its memory growing
        ("trainer: &a\n  max_epochs: 1\n  plugins: *a\n",
         "x.yaml:3: the alias *a is inside the value &a names, so that value would contain itself (jsonargparse "
         "reads it for ever); write the values out"),
        ("trainer:\n  callbacks:\n    - &cb\n      class_path: EarlyStopping\n      init_args: {monitor: [*cb]}\n",
         "x.yaml:5: the alias *cb is inside the value &cb names, so that value would contain itself (jsonargparse "
         "reads it for ever); write the values out"),
        # jsonargparse's own refusal named neither the file nor the fix ('in "<unicode string>"')
        ("trainer:\n  max_epochs: !!python/object/apply:os.system [touch PWNED]\n",
         "x.yaml:2:15: the tag !!python/object/apply:os.system asks YAML to build a Python object (to run code), which "
         "blobclf never does; write the value itself"),
        ("model: [1, {a: !!python/name:os.system }]\n",
         "x.yaml:1:16: the tag !!python/name:os.system asks YAML to build a Python object (to run code), which blobclf "
         "never does; write the value itself"),
        # YAML's int() raised a ValueError traceback (Python reads at most 4300 digits)
        ("data:\n  centers: [1, " + "9" * 5000 + "]\n",
         "x.yaml:2:16: a number of 5000 digits, more than Python reads (4300); no setting takes one that large: write "
         "a smaller one"),
        # a group of options given no mapping: an AttributeError or TypeError traceback (model, checkpoint,
        # prediction), or left out without a word (trainer, export)
        ("model: []\n", "x.yaml:1:8: 'model' is a list, but it holds the model options: write them under it "
                        "('model: {hidden_units: 16}'), or leave it out"),
        ("trainer:\n  max_epochs: 1\ncheckpoint: null\n", "x.yaml:3:13: 'checkpoint' is null, but it holds the "
         "checkpoint options: write them under it ('checkpoint: {root: runs}'), or leave it out"),
        ("prediction: 5\n", "x.yaml:1:13: 'prediction' is 5, but it holds the prediction options: write them under it "
                            "('prediction: {top_k: 2}'), or leave it out"),
        ("trainer: 5\n", "x.yaml:1:10: 'trainer' is 5, but it holds the trainer options: write them under it "
                         "('trainer: {max_epochs: 10}'), or leave it out"),
        # jsonargparse's 'Problems parsing config: ... found unhashable key: in "<unicode string>"'
        ("? [a, b]\n: 1\n", "x.yaml:1:3: a key that is a list; a config file's keys are option names: write "
                             "'name: value' lines"),
        ("trainer:\n  ? {a: 1}\n  : 2\n", "x.yaml:2:5: a key that is a mapping; a config file's keys are option "
                                         "names: write 'name: value' lines"),
        # jsonargparse's 'could not determine a constructor for the tag '!custom''
        ("trainer: !custom {max_epochs: 1}\n", "x.yaml:1:10: the tag !custom is not one of YAML's own (blobclf's "
                                               "loader builds plain values only); remove it and write the value itself"),
        # two files joined with cat: YAML's 'did not find expected key' at line 2, column 2
        ("trainer: {max_epochs: 1}\n\ufeffmodel: {hidden_units: 4}\n",
         "x.yaml:2: a byte-order mark (U+FEFF) inside the file (were two files joined?); remove it (a UTF-8 BOM "
         "belongs only at a file's start)"),
    ],
    ids=["empty", "only-comments", "list", "scalar", "tab", "unclosed", "too-deep", "two-documents",
         "duplicate-top", "duplicate-nested", "alias-loop", "alias-loop-deep", "python-object", "python-name",
         "huge-int", "model-list", "checkpoint-null", "prediction-number", "trainer-number", "list-key",
         "mapping-key", "unknown-tag", "bom-inside"],
)
def test_a_bad_config_file_is_one_line_naming_it_and_the_line(cli, text, message):
    (cli.cwd / "x.yaml").write_text(text)
    assert one_error(cli("fit", "--config", "x.yaml")) == f"blobclf: error: {message}"
    assert not (cli.cwd / "checkpoints").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data: 5\n", "data: 5 in --config x.yaml is not a data module; give its name (data: TableDataModule) or its "
                      "settings (data: {class_path: blobclf.TableDataModule, init_args: {path: t.csv, target: y}})"),
        ("trainer: {callbacks: 5}\n", "trainer.callbacks: 5 in --config x.yaml is not a list; give one (callbacks: "
         "[{class_path: lightning.pytorch.callbacks.EarlyStopping, init_args: {monitor: val/loss}}]), or leave it out"),
        ("optimizer: {class_path: 5}\n", "optimizer.class_path: 5 in --config x.yaml is not a class name; give the "
         "import path of an optimizer (optimizer: {class_path: torch.optim.Adam, init_args: {lr: 0.01}})"),
        ("lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: true}}\n",
         "lr_scheduler.init_args.step_size: true in --config x.yaml is invalid for torch.optim.lr_scheduler.StepLR: "
         "give an integer"),
        ("optimizer: {class_path: torch.optim.Adam, init_args: {lr: [1]}}\n",
         "optimizer.init_args.lr: [1] in --config x.yaml is invalid for torch.optim.Adam: give a number"),
        ("trainer: {logger: 5}\n", "trainer.logger: 5 in --config x.yaml is not a logger; give its name (logger: "
         "blobclf.logger.RunLogger, or false for none) or its settings (logger: {class_path: blobclf.logger.RunLogger, "
         "init_args: {save_dir: lightning_logs}})"),
        # these four were the command line's '--model.hidden_units='x' is invalid: not PositiveInt (see --help)' and
        # jsonargparse's 'Parser key "trainer.callbacks": [{'class_path': ...}] is invalid: Problem with given ...'
        ("model: {hidden_units: x}\n", "model.hidden_units: x in --config x.yaml is invalid: give an integer > 0"),
        ("model: {hidden_units: 0}\n", "model.hidden_units: 0 in --config x.yaml is invalid: give an integer > 0"),
        ("trainer: {max_epochs: ten}\n", "trainer.max_epochs: ten in --config x.yaml is invalid: give an integer, or null"),
        ("trainer:\n  callbacks:\n  - class_path: RichModelSummary\n  - class_path: lightning.pytorch.callbacks.EarlyStopping"
         "\n    init_args: {monitor: val/loss, patience: x}\n",
         "trainer.callbacks[1].init_args.patience: x in --config x.yaml is invalid for "
         "lightning.pytorch.callbacks.EarlyStopping: give an integer"),
    ],
    ids=["data-number", "callbacks-number", "class-path-number", "step-size-bool", "lr-list", "logger-number",
         "hidden-units-text", "hidden-units-zero", "max-epochs-text", "callback-option"],
)
def test_a_config_files_value_the_parser_refuses_is_one_line_naming_the_file_the_key_and_the_fix(cli, text, message):
    # each was jsonargparse's line naming neither the file nor a fix ('Parser key "data": 5 is invalid: Not a valid
    # subclass of SplitDataModule: Subclass types expect one of (or null)')
    (cli.cwd / "x.yaml").write_text(text)
    assert one_error(cli("fit", "--config", "x.yaml")) == f"blobclf: error: {message}"
    assert not (cli.cwd / "checkpoints").exists()


def test_a_config_value_is_named_with_its_file_given_before_the_subcommand_or_to_its_group(cli):
    (cli.cwd / "root.yaml").write_text("fit:\n  data: 5\n")
    assert one_error(cli("--config", "root.yaml", "fit")).startswith(
        "blobclf: error: data: 5 in --config root.yaml is not a data module; give its name")
    (cli.cwd / "trainer.yaml").write_text("callbacks: 5\n")
    assert one_error(cli("fit", "--trainer", "trainer.yaml")).startswith(
        "blobclf: error: trainer.callbacks: 5 in --trainer trainer.yaml is not a list; give one")
    # jsonargparse reads the file before the options after it: its value is the one refused
    (cli.cwd / "x.yaml").write_text("data: 5\n")
    assert one_error(cli("fit", "--config", "x.yaml", "--data", "7")).startswith(
        "blobclf: error: data: 5 in --config x.yaml is not a data module")
    (cli.cwd / "model.yaml").write_text("hidden_units: x\n")
    assert one_error(cli("fit", "--model", "model.yaml")) == (
        "blobclf: error: model.hidden_units: x in --model model.yaml is invalid: give an integer > 0")
    (cli.cwd / "x.yaml").write_text("model: {hidden_units: x}\n")
    assert one_error(cli("fit", "--config", "x.yaml", "--model.hidden_units", "5")) == (
        "blobclf: error: model.hidden_units: x in --config x.yaml is invalid: give an integer > 0")
    # the command line's own value stays the command line's
    (cli.cwd / "x.yaml").write_text("model: {hidden_units: 4}\n")
    assert one_error(cli("fit", "--config", "x.yaml", "--model.hidden_units", "x")) == (
        "blobclf: error: --model.hidden_units='x' is invalid: give an integer > 0 (see --help)")
    (cli.cwd / "x.yaml").write_text("trainer: {max_epochs: 1}\n")
    assert one_error(cli("fit", "--config", "x.yaml", "--data", "7")) == (
        "blobclf: error: --data 7: no such data module; use BlobDataModule (blobs, the default) or TableDataModule "
        "(a CSV table) (see --help)")


ANCHOR_KEY = ("'{key}' in --config {path} is not an option of fit (it holds '{held}'): it is there only to carry "
              "the YAML anchor &b, and every key of a config is read as an option; put the anchor on the first value "
              "that uses it, inside a key blobclf knows (as in trainer: &b {{max_epochs: 3}}), and use *b after it, "
              "or remove '{key}'")


@pytest.mark.parametrize(("text", "args", "key", "held"), [
    ("base: &b {max_epochs: 3}\ntrainer: *b\n", ["fit", "--config", "x.yaml"], "base", "base.max_epochs"),
    ("x-common: &b {max_epochs: 3}\ntrainer: *b\n", ["fit", "--config", "x.yaml"], "x-common", "x-common.max_epochs"),
    ("base: &b 3\ntrainer: {max_epochs: *b}\n", ["fit", "--config", "x.yaml"], "base", "base"),
    # a top-level config with the subcommand's section, given before the subcommand
    ("fit:\n  base: &b {max_epochs: 3}\n  trainer: *b\n", ["--config", "x.yaml", "fit"], "base", "base.max_epochs"),
], ids=["mapping", "dashed-key", "scalar", "subcommand-section"])
def test_a_key_there_only_to_carry_a_yaml_anchor_is_named_with_its_file_and_where_anchors_go(cli, text, args, key,
                                                                                              held):
    # was "Subcommand 'fit' does not accept option 'base.max_epochs' (see --help)", naming no file and no reason
    (cli.cwd / "x.yaml").write_text(text)
    assert one_error(cli(*args)) == "blobclf: error: " + ANCHOR_KEY.format(key=key, path="x.yaml", held=held)
    assert not (cli.cwd / "checkpoints").exists()


def test_a_config_key_that_is_no_option_and_close_to_none_is_named_with_its_file(cli):
    # was "Subcommand 'fit' does not accept option 'trainer.foo' (see --help)"
    (cli.cwd / "x.yaml").write_text("trainer: {foo: 1}\n")
    assert one_error(cli("fit", "--config", "x.yaml")) == (
        "blobclf: error: 'trainer.foo' in --config x.yaml is not an option of fit; correct its name or remove it there "
        "(--help lists the options)")


def test_a_group_given_no_mapping_in_settings_written_out_on_the_command_line_is_one_line(cli):
    # was "AttributeError: 'list' object has no attribute 'steps_per_execution'", as in a file
    assert one_error(cli("fit", "--config", "{model: [], trainer: {max_epochs: 1}}")) == (
        "blobclf: error: --config '{model: [], trainer: {max_epochs: 1}}': 'model' is a list, but it holds the model "
        "options: write them under it ('model: {hidden_units: 16}'), or leave it out")
    assert one_error(cli("fit", "--config={checkpoint: null}")).startswith(
        "blobclf: error: --config '{checkpoint: null}': 'checkpoint' is null, but it holds the checkpoint options")
    assert not (cli.cwd / "checkpoints").exists()


@pytest.mark.parametrize(("text", "args"), [
    ("model: []\n", ["fit", "-c", "x.yaml"]),
    ("trainer: 5\n", ["fit", "-c", "x.yaml"]),
    ("fit:\n  model: []\n", ["--config", "x.yaml", "fit"]),
    ("fit:\n  trainer: 5\n", ["-c", "x.yaml", "fit"]),
], ids=["c-model", "c-trainer", "root-model", "root-trainer"])
def test_a_group_given_no_mapping_in_a_file_given_as_c_or_before_the_subcommand_is_one_line(cli, text, args):
    # -c x.yaml and a config before the subcommand (its fit: section) were not checked as --config x.yaml is: model: []
    # ended in "AttributeError: 'list' object has no attribute 'steps_per_execution'", trainer: 5 trained 100 epochs
    (cli.cwd / "x.yaml").write_text(text)
    group = text.split(":")[-2].split()[-1]
    line, column = (1, len(group) + 3) if text.startswith(group) else (2, len(group) + 5)
    shown, example = {"model": ("a list", "hidden_units: 16"), "trainer": ("5", "max_epochs: 10")}[group]
    assert one_error(cli(*args)) == (
        f"blobclf: error: x.yaml:{line}:{column}: '{group}' is {shown}, but it holds the {group} options: write them "
        f"under it ('{group}: {{{example}}}'), or leave it out")
    assert not (cli.cwd / "checkpoints").exists()


def test_a_folder_given_as_config_is_one_line_naming_the_config_in_it(cli):
    # was jsonargparse's 'Parser key "config": Path is not a file: '/tmp/.../run'', which named no fix
    (cli.cwd / "empty").mkdir()
    (cli.cwd / "run").mkdir()
    (cli.cwd / "run" / "config.yaml").write_text("trainer:\n  max_epochs: 1\n")
    assert one_error(cli("fit", "--config", "empty")) == (
        "blobclf: error: --config 'empty' is a folder, not a config file; pass a config file")
    assert one_error(cli("fit", "-c", "run")) == (
        "blobclf: error: -c 'run' is a folder, not a config file; pass a config file (such as 'run/config.yaml')")
    assert one_error(cli("--config=run", "fit")) == (
        "blobclf: error: --config 'run' is a folder, not a config file; pass a config file (such as 'run/config.yaml')")
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["empty", "run"]


@pytest.mark.parametrize("args", [["--data.n_samples", "9" * 5000], ["--data.n_samples=" + "9" * 5000],
                                  ["--trainer", "{max_epochs: " + "9" * 5000 + "}"]], ids=["value", "equals", "inline"])
def test_a_number_longer_than_python_reads_on_the_command_line_is_one_line(cli, args):
    # was jsonargparse's line advising sys.set_int_max_str_digits(), or (inline YAML) a ValueError traceback
    option = args[0].partition("=")[0]
    assert one_error(cli("fit", *args)) == (
        f"blobclf: error: {option}: a number of 5000 digits, more than Python reads (4300); no setting takes one "
        "that large: give a smaller one")


def test_every_config_file_jsonargparse_reads_is_checked(cli):
    (cli.cwd / "sub").mkdir()
    (cli.cwd / "good.yaml").write_text("trainer:\n  max_epochs: 1\n")
    (cli.cwd / "sub" / "dup.yaml").write_text("max_epochs: 1\nmax_epochs: 2\n")
    duplicate = "sub/dup.yaml:2: key 'max_epochs' is given twice; keep one (YAML would silently use the last)"
    for args in (["fit", "--config=sub/dup.yaml"], ["fit", "--config", "good.yaml", "-c", "sub/dup.yaml"],
                 ["--config", "sub/dup.yaml", "fit"], ["fit", "--trainer", "sub/dup.yaml"],
                 ["fit", "--trainer=sub/dup.yaml"]):
        assert one_error(cli(*args)) == f"blobclf: error: {duplicate}", args
    assert one_error(cli("fit", "--config", "{trainer: &a {max_epochs: 1, plugins: *a}}")) == (  # read by the loader
        'blobclf: error: Parser key "config": line 1: the alias *a is inside the value &a names, so that value would '
        "contain itself (jsonargparse reads it for ever); write the values out (see --help)")


@pytest.mark.parametrize(
    ("command", "setting", "option"),
    [
        ("predict", 'data: {predict_file: "p\\0.csv"}', "--data.predict_file='p\\x00.csv'"),
        ("predict", 'prediction: {output: "o\\0.csv"}', "--prediction.output='o\\x00.csv'"),
        ("test", 'data: {class_path: TableDataModule, init_args: {path: t.csv, target: k, test_path: "t\\0.csv"}}',
         "--data.test_path='t\\x00.csv'"),
        ("test", 'ckpt_path: "x\\0.ckpt"', "--ckpt_path='x\\x00.ckpt'"),
    ],
    ids=["predict_file", "output", "test_path", "ckpt_path"],
)
def test_a_nul_character_in_a_config_is_one_line(cli, command, setting, option):
    # a config file can hold "\0", a command line cannot; each was a traceback: ValueError: embedded null byte
    (cli.cwd / "x.yaml").write_text(setting + "\n")
    args = [command, "--config", "x.yaml"] + ([] if "ckpt_path" in setting else ["--ckpt_path", "c.ckpt"])
    assert one_error(cli(*args)) == (
        f"blobclf: error: {option} holds a NUL character (\\x00), which no file name or setting can hold; remove it "
        "(was its config file written by another program?)")


def test_what_yaml_allows_is_not_mistaken_for_a_duplicate():
    check_config_text("base: &base {max_epochs: 2, accelerator: cpu}\ntrainer:\n  <<: *base\n  max_epochs: 3\n"
                      "model: {max_epochs: 1}\n", "x.yaml")
    check_config_text("torch.optim.Adam\n", "opt.yaml", "--optimizer")  # a class name given in a file
    check_config_text("a: &x [1, {b: 2}]\nc: [*x, *x]\nd: *x\n", "x.yaml")  # an alias after its value: no loop
    for config in sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")):
        check_config_text(config.read_text(), config.name)


def test_a_config_file_imports_what_it_names_as_safety_md_says(cli, monkeypatch):
    # docs/safety.md: a config from others is trusted as a script; this pins what it says it can do
    (cli.cwd / "blobclf_marker_module.py").write_text("open('imported', 'w').close()\nclass NotACallback: ...\n")
    monkeypatch.syspath_prepend(str(cli.cwd))  # as `python -m blobclf` puts the current folder first
    (cli.cwd / "x.yaml").write_text("trainer:\n  callbacks:\n    - class_path: blobclf_marker_module.NotACallback\n")
    assert one_error(cli("fit", "--config", "x.yaml", "--print_config")) == (
        "blobclf: error: trainer.callbacks: [{class_path: blobclf_marker_module.NotACallback}] in --config x.yaml is "
        "invalid (Import path blobclf_marker_module.NotACallback does not correspond to a subclass of Callback); "
        "correct it there (--help lists what trainer.callbacks takes)")
    assert (cli.cwd / "imported").exists()  # refused, and its module's code ran all the same
    sys.modules.pop("blobclf_marker_module")


def test_a_name_too_long_for_the_outputs_is_refused_before_anything_runs(cli):
    # a table named at 226 characters: test ran whole, then failed writing its figures (its report already removed),
    # predict predicted every row, then could not write them; both named only a temporary file's name
    rows = "".join(f"{i % 5}.{i},{i % 2}.5,{'ab'[i % 2]}\n" for i in range(40))
    (cli.cwd / "t.csv").write_text("x0,x1,kind\n" + rows)
    assert cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
               "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    long = "u" * 226
    (cli.cwd / f"{long}.csv").write_text("x0,x1,kind\n" + "".join(rows.splitlines(keepends=True)[::-4]))
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", f"{long}.csv")) == (
        f"blobclf: error: the test's outputs would be named after the checkpoint 'checkpoints/version_0/last.ckpt' and "
        f"the test table '{long}.csv', and 'confusion_matrix_test-last-{long}.png' is longer than a file name may be; "
        "give the table a shorter name")
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", f"{long}.csv")) == (
        f"blobclf: error: the predictions file 'predictions-last-{long}.csv' would have a longer name than a file "
        "may have; give --prediction.output PATH (or the input a shorter name)")
    assert sorted(path.name for path in (cli.cwd / "checkpoints" / "version_0").iterdir()) == [
        "best-epoch=0-val_acc=0.5000.ckpt", "last.ckpt", "model.json", "model.pth"]
    assert cli("predict", "--ckpt_path", "last", "--data.predict_file", f"{long}.csv",
               "--prediction.output", "p.csv").returncode == 0


def test_a_file_system_refusing_a_long_name_says_what_to_shorten():
    import errno
    import os

    from blobclf.messages import refused_write

    error = OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), "runs/test-last-" + "t" * 250)
    assert refused_write(error) == (
        f"cannot use 'runs/test-last-{'t' * 250}': File name too long (a name of 260 bytes); blobclf names its outputs "
        "after the checkpoint and the table: give them shorter names")


def test_a_path_over_the_systems_limit_says_to_use_a_shorter_folder():
    import errno
    import os

    from blobclf.messages import refused_write

    # every name fits (200 bytes); the path does not: was "(a name of 200 bytes) ... give them shorter names"
    path = "/" + "/".join(["d" * 200] * 20) + "/checkpoints/version_0/last.ckpt"
    error = OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), path)
    assert refused_write(error).endswith(
        ": File name too long (its full path is 4052 bytes; the system's limit is 4096, with the temporary name "
        "blobclf writes first); run blobclf in a folder with a shorter path")


def test_a_named_pipe_or_a_device_given_as_a_config_file_is_refused_at_once(tmp_path):
    # --config FIFO (no writer) waited for ever inside jsonargparse; so did a group option's file (--trainer FIFO)
    os.mkfifo(tmp_path / "pipe.yaml")
    result = run_cli(tmp_path, "fit", "--config", "pipe.yaml", timeout=60)
    assert one_error(result) == (
        "blobclf: error: --config 'pipe.yaml' is a named pipe (FIFO), not a regular file: reading it waits for a writer, for ever if "
        "none comes; pass the config file itself, or '-' to read it from standard input")
    from blobclf.configfiles import check_config_files

    with pytest.raises(UserError) as refused:
        check_config_files(["fit", f"--trainer={tmp_path / 'pipe.yaml'}"])
    assert str(refused.value).endswith("is a named pipe (FIFO), not a regular file: reading it waits for a writer, "
                                       "for ever if none comes; pass the config file itself")
    with pytest.raises(UserError, match=r"^--config '/dev/null' is a device, not a regular file; pass the config file "
                                        r"itself, or '-' to read it from standard input$"):
        check_config_files(["fit", "--config", "/dev/null"])
    assert sorted(os.listdir(tmp_path)) == ["pipe.yaml"]


def test_regenerate_s_error_line_is_cut_and_escaped_as_the_command_s(tmp_path, monkeypatch, capsys):
    # blobclf.regenerate wrote its UserError as it was: a run path of one long word whole, control characters raw
    from blobclf.regenerate import main
    monkeypatch.chdir(tmp_path)
    given = "r/" * 600 + "\x1b[2Jv"
    with pytest.raises(SystemExit) as exited:
        main([given])
    assert exited.value.code == 2
    line = capsys.readouterr().err
    assert line.startswith("blobclf: error: 'r/r/") and line.count("\n") == 1
    assert f"…[{len(repr(given)):,} characters]…" in line, line[:300]
    assert "\x1b" not in line


def test_a_config_read_from_standard_input_as_dash_is_taken(cli, monkeypatch):
    # '--config -' (jsonargparse reads standard input) was refused: "--config '-': no such file"
    monkeypatch.setattr("sys.stdin", io.StringIO("trainer:\n  max_epochs: 1\nexport:\n  figures: false\n  onnx: false\n"))
    result = cli("fit", "--config", "-")
    assert result.returncode == 0, result.output
    assert json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())["epochs"] == 1


def test_a_huge_name_in_an_error_is_cut_to_its_ends(cli):
    # a table whose one long line made a class of 200 MB printed that class whole, 200 MB on one stderr line
    name = "x" * 4990 + "0123456789"
    (cli.cwd / "t.csv").write_text("a,b,kind\n" + "".join(f"{i},{i % 3},y\n" for i in range(9)) + f"1,2,{name}\n")
    line = one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind"))
    assert line == (f"blobclf: error: t.csv: class '{'x' * 199}…[5,002 characters]…{'x' * 29}0123456789' has only 1 "
                    "row(s); a stratified split into train and test needs at least 2 of every class (add rows of it or "
                    "remove them)")


def test_an_integer_option_of_1e400_in_a_config_file_is_one_line_naming_the_option_and_the_fix(cli):
    """YAML reads 1e400 as inf: jsonargparse's line was 'Parser key "data": {'n_samples': inf} is invalid: ...'."""
    (cli.cwd / "c.yaml").write_text("data:\n  n_samples: 1e400\n", encoding="utf-8")
    assert one_error(cli("fit", "--config", "c.yaml")) == (
        "blobclf: error: --data.n_samples=inf is invalid for blobclf.BlobDataModule: not PositiveInt (YAML reads a number past 1.8e308 "
        "as inf); give an integer > 0 (see --help)"
    )


def test_the_digit_limit_named_is_the_one_python_is_set_to(cli):
    """The message names sys.get_int_max_str_digits(), not Python's default 4300, where a program changed it."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        (cli.cwd / "x.yaml").write_text("data:\n  centers: " + "9" * 2000 + "\n")
        assert one_error(cli("fit", "--config", "x.yaml")) == (
            "blobclf: error: x.yaml:2:12: a number of 2000 digits, more than Python reads (1000); no setting takes one "
            "that large: write a smaller one")
    finally:
        sys.set_int_max_str_digits(before)


@pytest.mark.parametrize("reader", ["read_points", "read_table"])
def test_a_class_the_model_of_many_classes_does_not_know_names_twenty_of_them(tmp_path, monkeypatch, reader):
    # the line listed every class: 789 KB for 100,000 classes, printed as its first 5,000 characters
    from blobclf.points import read_points
    from blobclf.table import read_table

    monkeypatch.chdir(tmp_path)
    classes = [f"c{index}" for index in range(1000)]
    Path("p.csv").write_text("x0,x1,label\n1,2,zz\n")
    with pytest.raises(UserError) as refused:
        if reader == "read_points":
            read_points("p.csv", ["x0", "x1"], classes, "label")
        else:
            read_table("p.csv", "label", classes=classes)
    fix = ("or the 'label' column to predict without known classes" if reader == "read_points" else
           "or train on a table that has it")
    assert str(refused.value) == (
        f"p.csv:2: label='zz' is not one of the model's classes ({', '.join(classes[:20])}, ... (980 more)); remove "
        f"its rows (the model never saw the class), {fix}")
