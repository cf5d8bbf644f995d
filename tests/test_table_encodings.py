"""The user's table in the shapes other tools write it: compressed (pandas' ``to_csv("t.csv.gz")``, bzip2, xz) or
UTF-16 (Excel's "Unicode Text"). Each is read as the same table saved as plain UTF-8 (the same weights), decided by
its first bytes; a damaged file or one that expands past the limit is refused in one line."""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from conftest import example_datasets, one_error

import blobclf.table
import blobclf.tablefile
from blobclf.errors import UserError
from blobclf.points import read_points
from blobclf.table import count_lines, read_table

write_dataset = example_datasets().write_dataset

FIT = ("fit", "--data", "TableDataModule", "--data.target", "cultivar", "--export.figures", "false",
       "--export.onnx", "false", "--trainer.max_epochs", "4")
TABLE = "a,b,kind\n" + "".join(f"{i * 0.5},{i % 7},{'xyz'[i % 3]}\n" for i in range(30))


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(UserError) as error:
        call(*args, **kwargs)
    return str(error.value)


def excel_unicode_text(source: Path, target: Path, encoding: str = "utf-16") -> Path:
    """``source`` as Excel's "Unicode Text" saves it: UTF-16 with a byte order mark, tabs, CRLF."""
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    target.write_bytes("".join("\t".join(row) + "\r\n" for row in rows).encode(encoding))
    return target


def weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pth", weights_only=True)


@pytest.mark.parametrize("stored", ["gzip", "utf-16"])
def test_a_gzip_or_utf16_table_trains_tests_resumes_and_predicts_as_the_plain_table(cli, stored):
    """Was refused ("a gzip-compressed file ... decompress it first", "UTF-16 text ... blobclf reads UTF-8")."""
    plain = write_dataset("wine", cli.cwd)
    other = cli.cwd / ("wine.csv.gz" if stored == "gzip" else "wine.txt")
    if stored == "gzip":
        other.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        excel_unicode_text(plain, other)
    assert cli(*FIT, "--data.path", str(plain)).returncode == 0
    assert cli(*FIT, "--data.path", other.name).returncode == 0
    runs = [cli.cwd / "checkpoints" / f"version_{i}" for i in (0, 1)]
    ours, theirs = weights(runs[0]), weights(runs[1])
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)
    # the checkpoint's fingerprint is the compressed (or UTF-16) file's: test and a resume re-read it
    for run in runs:
        assert cli("test", "--ckpt_path", str(run / "last.ckpt")).returncode == 0
    reports = [json.loads((run / "test_report-last.json").read_text()) for run in runs]
    for report in reports:
        report.pop("checkpoint")
    assert reports[0] == reports[1] and reports[0]["n_samples"] == 36
    assert cli("fit", "--ckpt_path", str(runs[1] / "last.ckpt"), "--trainer.max_epochs", "6").returncode == 0
    # predictions of the compressed (UTF-16) file are UTF-8 CSV, the same as those of the plain file
    for run, given in zip(runs, (plain, other), strict=True):
        result = cli("predict", "--ckpt_path", str(run / "last.ckpt"), "--data.predict_file", given.name,
                     "--prediction.output", f"{run.name}.csv")
        assert result.returncode == 0, result.output
    written = [(cli.cwd / f"{run.name}.csv").read_bytes() for run in runs]
    assert written[1].decode("utf-8").startswith("alcohol,") and written[0][:200] == written[1][:200]
    # named after the table, not "wine.csv.csv" (nor the test report)
    assert cli("predict", "--ckpt_path", str(runs[1] / "last.ckpt"), "--data.predict_file", other.name).returncode == 0
    assert (runs[1] / f"predictions-last-{other.name.split('.')[0]}.csv").read_bytes() == written[1]
    # a compressed test table's report is named as its figures are: after the table, without .csv.gz
    if stored == "gzip":
        assert cli("test", "--ckpt_path", str(runs[1] / "last.ckpt"), "--data.test_path", other.name).returncode == 0
        named = sorted(path.name for path in runs[1].iterdir() if path.name.endswith("-last-wine.json")
                       or path.name.endswith("-last-wine.png") or path.name.startswith("test_report-last-wine"))
        assert named == ["confusion_matrix_test-last-wine.png", "reliability_test-last-wine.png",
                         "test_report-last-wine.json"], named
    # the file changed since: refused as a plain table is
    if stored == "gzip":
        other.write_bytes(gzip.compress(plain.read_bytes() + plain.read_bytes().splitlines(True)[1]))
        line = one_error(cli("test", "--ckpt_path", str(runs[1] / "last.ckpt")))
        assert line.startswith(f"{other.name} changed since the checkpoint was trained on it (its SHA-256 differs)")


def test_bzip2_xz_and_utf16_in_every_byte_order_read_as_the_utf8_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("p.csv").write_text(TABLE)
    stored = {
        "t.csv.bz2": bz2.compress(TABLE.encode()), "t.csv.xz": lzma.compress(TABLE.encode()),
        "gz-named.csv": gzip.compress(TABLE.encode()),  # by its bytes, not its name
        "plain.csv.gz": TABLE.encode(),  # a plain file named .gz is plain (numpy, given the name, would gunzip it)
        "le.txt": TABLE.replace(",", "\t").encode("utf-16-le"), "be.txt": TABLE.encode("utf-16-be"),
        "bom-be.txt": TABLE.encode("utf-16-be").join([b"\xfe\xff", b""]),
        "utf16.csv.gz": gzip.compress(TABLE.replace("\n", "\r\n").encode("utf-16")),
    }
    expected = read_table("p.csv", "kind")
    for name, content in stored.items():
        Path(name).write_bytes(content)
        table = read_table(name, "kind")
        assert table.classes == expected.classes, name
        assert (table.features == expected.features).all() and (table.labels == expected.labels).all(), name
        points = read_points(name, ["a", "b"], expected.classes, "kind")
        assert points.features.tolist() == expected.features.tolist(), name
        assert count_lines(name) == 31, name
        assert count_lines(name, beyond=10) == 31 and count_lines(name, beyond=40) == 31, name  # one chunk


def test_a_missing_value_in_a_compressed_or_utf16_table_is_named_at_its_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = TABLE.replace("\n3.0,6,x\n", "\n3.0,NA,x\n")
    Path("t.csv.gz").write_bytes(gzip.compress(text.encode()))
    Path("u.txt").write_bytes(text.encode("utf-16"))
    for name in ("t.csv.gz", "u.txt"):
        assert refused(read_table, name, "kind") == (
            f"{name}: column 'b' has 1 missing value (first on line 8); fill them in or remove those rows, or leave "
            "those rows out with TableDataModule(missing='drop')"
        )


def test_a_damaged_or_cut_short_compressed_table_is_one_line_naming_it(tmp_path, monkeypatch):
    """Was: "is a gzip-compressed file; decompress it first", whose gzip command then failed."""
    monkeypatch.chdir(tmp_path)
    packed = gzip.compress(TABLE.encode())
    Path("cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    assert refused(read_table, "cut.csv.gz", "kind") == (
        "cut.csv.gz: the gzip-compressed file is damaged or cut short (Compressed file ended before the end-of-stream "
        "marker was reached); copy or download it again (gzip -t cut.csv.gz tests it)"
    )
    crc = bytearray(packed)
    crc[-8] ^= 0xFF
    Path("crc.csv.gz").write_bytes(bytes(crc))
    assert refused(read_points, "crc.csv.gz", ["a", "b"], ["x", "y", "z"], "kind").startswith(
        "crc.csv.gz: the gzip-compressed file is damaged or cut short (CRC check failed 0x"
    )
    packed = bz2.compress(TABLE.encode())
    Path("cut.csv.bz2").write_bytes(packed[:-10])
    assert refused(read_table, "cut.csv.bz2", "kind") == (
        "cut.csv.bz2: the bzip2-compressed file is damaged or cut short (Compressed file ended before the "
        "end-of-stream marker was reached); copy or download it again (bzip2 -t cut.csv.bz2 tests it)"
    )


def test_a_compressed_table_expanding_past_the_limit_is_refused_before_filling_memory(tmp_path, monkeypatch):
    """A small file that expands to gigabytes (a "decompression bomb") was refused unread; now it is read up to
    100 times its size, at least 64 MiB (1 MiB here), and refused in one line; a large real table has no
    ceiling (it was 1 GiB: a 2 GB table gzipped to 500 MB was refused, as its plain file is not)."""
    assert blobclf.tablefile.expansion_limit(1_000) == 64 << 20
    assert blobclf.tablefile.expansion_limit(1 << 20) == 100 << 20
    assert blobclf.tablefile.expansion_limit(100 << 20) == 10_000 << 20
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(blobclf.tablefile, "EXPANDED_FLOOR", 1 << 20)
    Path("bomb.csv.gz").write_bytes(gzip.compress(b"a,b,kind\n" + b"1,2,x\n" * 200_000, mtime=0))
    size = Path("bomb.csv.gz").stat().st_size
    message = (f"bomb.csv.gz: the {size:,}-byte gzip-compressed file expands to more than 1 MiB, the most blobclf "
               "decompresses of a file this size (100 times it, at least 1 MiB); if it is a table that "
               "large, decompress it first (gzip -dc bomb.csv.gz > bomb.csv) and give that file")
    assert refused(read_table, "bomb.csv.gz", "kind") == message
    assert refused(read_points, "bomb.csv.gz", ["a", "b"], ["x"], "kind") == message
    Path("blank.csv.xz").write_bytes(lzma.compress(b"\n" * (2 << 20)))
    size = Path("blank.csv.xz").stat().st_size
    assert refused(read_table, "blank.csv.xz", "kind").startswith(
        f"blank.csv.xz: the {size:,}-byte xz-compressed file expands to more than 1 MiB, the most blobclf decompresses"
    )


def test_a_file_of_blank_lines_is_refused_without_reading_it_to_its_end(tmp_path, monkeypatch):
    """A billion line breaks (what a small compressed file expands to) were read a line at a time, for minutes."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(blobclf.table, "HEADER_BYTES", 1 << 20)
    Path("blank.csv").write_bytes(b"\n" * ((1 << 20) + 1) + b"a,b,kind\n1,2,x\n")
    assert refused(read_table, "blank.csv", "kind") == (
        "blank.csv: more than 1 MiB of blank lines and no header row; is this a CSV file?"
    )


def test_utf16_that_is_not_valid_and_utf32_and_zstd_are_refused_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("odd.txt").write_bytes(TABLE.encode("utf-16") + b"\x00")
    assert refused(read_table, "odd.txt", "kind") == (
        "odd.txt:32: not valid UTF-16 text (truncated data); save the file again, as \"CSV UTF-8\" if you can"
    )
    Path("u32.txt").write_bytes(TABLE.encode("utf-32"))
    assert refused(read_table, "u32.txt", "kind") == (
        "u32.txt is UTF-32 text; blobclf reads UTF-8 and UTF-16: save it as \"CSV UTF-8\", or convert it: "
        "iconv -f UTF-32 -t UTF-8 u32.txt > u32-utf8.txt"
    )
    Path("t.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd\x00\x00")
    assert refused(read_table, "t.csv.zst", "kind") == (
        "t.csv.zst is a zstd-compressed file; blobclf reads CSV text only: decompress it first: zstd -dc t.csv.zst > "
        "t.csv"
    )


def test_a_compressed_table_not_in_utf8_is_refused_with_a_command_that_converts_it(tmp_path, monkeypatch):
    """Was "convert it: iconv -f WINDOWS-1252 -t UTF-8 w.csv.gz > w.csv-utf8.gz": iconv, given the gzip file itself,
    failed ("illegal input sequence") leaving a file of neither, which blobclf then refused as CR-only lines."""
    monkeypatch.chdir(tmp_path)
    text = TABLE.replace("\n1.5,3,x\n", "\n1.5,3,\xe9\n")  # line 5
    Path("w.csv.gz").write_bytes(gzip.compress(text.encode("cp1252")))
    Path("w.csv.xz").write_bytes(lzma.compress(text.encode("cp1252")))
    for name, kind in (("w.csv.gz", "gzip"), ("w.csv.xz", "xz")):
        message = (f"{name}:5: not UTF-8 text (byte 0xe9, 'é' if the file is Windows-1252 / Latin-1); save it as UTF-8 "
                   f"(\"CSV UTF-8\" in Excel), or convert it: {kind} -dc {name} | iconv -f WINDOWS-1252 -t UTF-8 > "
                   "w-utf8.csv")
        assert refused(read_table, name, "kind") == message
        assert refused(read_points, name, ["a", "b"], ["x", "y", "z"], "kind") == message
    Path("u32.csv.bz2").write_bytes(bz2.compress(TABLE.encode("utf-32")))
    assert refused(read_table, "u32.csv.bz2", "kind") == (
        "u32.csv.bz2 is UTF-32 text; blobclf reads UTF-8 and UTF-16: save it as \"CSV UTF-8\", or convert it: "
        "bzip2 -dc u32.csv.bz2 | iconv -f UTF-32 -t UTF-8 > u32-utf8.csv"
    )
    if shutil.which("gzip") and shutil.which("iconv"):
        command = refused(read_table, "w.csv.gz", "kind").split("convert it: ")[1]
        subprocess.run(command, shell=True, check=True)
        converted = read_table("w-utf8.csv", "kind")
        assert converted.classes == ["x", "y", "z", "é"] and converted.features.shape == (30, 2)


def test_a_column_name_past_the_csv_field_limit_is_one_line_plain_or_compressed(tmp_path, monkeypatch):
    """A header cell over 128 KiB (the csv module's field limit) ended in a traceback, '_csv.Error: field larger than
    field limit (131072)', in fit, test and predict alike."""
    monkeypatch.chdir(tmp_path)
    text = "a," + "b" * 200_000 + ",kind\n1,2,x\n"
    Path("wide.csv").write_text(text)
    Path("wide.csv.gz").write_bytes(gzip.compress(text.encode()))
    for name in ("wide.csv", "wide.csv.gz"):
        message = (f"{name}:1: not a readable header row (field larger than field limit (131072)); is this a CSV "
                   "file?")
        assert refused(read_table, name, "kind") == message
        assert refused(read_points, name, ["a", "b"], ["x"], "kind") == message



def test_a_compressed_test_table_names_the_report_figures_and_logs_as_the_plain_table_would(cli):
    """The report was test_report-last-later.csv.json (and its figures ...-later.csv.png), its logs test-last-later."""
    (cli.cwd / "t.csv").write_text(TABLE)
    (cli.cwd / "later.csv.gz").write_bytes(gzip.compress(TABLE.encode()))
    assert cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind", "--export.figures",
               "false", "--export.onnx", "false", "--trainer.max_epochs", "2").returncode == 0
    result = cli("test", "--ckpt_path", "last", "--data.test_path", "later.csv.gz")
    assert result.returncode == 0, result.output
    run = cli.cwd / "checkpoints" / "version_0"
    assert sorted(p.name for p in run.iterdir() if "-later" in p.name) == [
        "confusion_matrix_test-last-later.png", "reliability_test-last-later.png", "test_report-last-later.json"]
    assert json.loads((run / "test_report-last-later.json").read_text())["n_samples"] == 30
    assert (cli.cwd / "lightning_logs" / "version_0" / "test-last-later").is_dir()


def test_counting_a_compressed_tables_lines_for_the_thread_choice_stops_once_it_is_large(tmp_path):
    """The thread choice needs only to know whether a table holds more than 4,096 rows; a compressed table was
    decompressed whole once more to count every line."""
    rows = b"a,b,kind\n" + b"1,2,x\n" * 1_000_000  # 6 MiB of text: six chunks
    (tmp_path / "big.csv.gz").write_bytes(gzip.compress(rows, mtime=0))
    assert count_lines(tmp_path / "big.csv.gz") == 1_000_001
    first_chunk = rows[: 1 << 20].count(b"\n")
    assert count_lines(tmp_path / "big.csv.gz", beyond=4096) == first_chunk < 1_000_001


def test_a_header_longer_than_4_mib_is_refused_naming_the_bound_and_a_table_of_200000_columns_is_read(tmp_path,
                                                                                                      monkeypatch):
    """A 16 MB header of 2 million columns and no rows took 12 s and 1.1 GB to be refused (the bound was 64 MiB)."""
    monkeypatch.chdir(tmp_path)
    Path("wide.csv").write_bytes(b"c," * (2 << 20) + b"kind\n")
    assert refused(read_table, "wide.csv", "kind") == (
        "wide.csv:1: the header line is longer than 4 MiB, the most blobclf reads; is this a CSV file? A table that "
        "wide: keep only the columns to train on (200,000 columns of 10-letter names take 2.2 MB)"
    )
    Path("oneline.csv").write_bytes(b"x" * (5 << 20))
    assert refused(read_table, "oneline.csv", "kind").startswith("oneline.csv:1: the header line is longer than 4 MiB")
    names = [f"f{i:09d}" for i in range(200_000)]
    Path("ok.csv").write_text(",".join(names) + ",kind\n" + ",".join(["1"] * 200_000) + ",x\n", encoding="utf-8")
    table = read_table("ok.csv", "kind")
    assert table.features.shape == (1, 200_000) and table.feature_names[-1] == "f000199999"


def test_a_row_longer_than_its_cells_can_hold_is_refused_before_numpy_reads_it(tmp_path, monkeypatch):
    """A 200 MB row of two columns (no line break) was read whole by numpy: 1.4 GB and 9 s before its refusal."""
    monkeypatch.chdir(tmp_path)
    Path("row.csv").write_bytes(b"a,kind\n1,x\n" + b"x" * (5 << 20))
    assert refused(read_table, "row.csv", "kind") == (
        "row.csv:3: a row is longer than 4,194,304 bytes, more than its 2 cells can hold (128 KiB each); is this a CSV "
        "file of the header's columns?"
    )
    Path("mid.csv").write_bytes(b"a,kind\n" + b"1," + b"x" * (5 << 20) + b"\n1,y\n")
    assert refused(read_table, "mid.csv", "kind").startswith("mid.csv:2: a row is longer than 4,194,304 bytes")


def test_a_prediction_rows_length_is_bounded_as_a_training_tables_is(tmp_path, monkeypatch):
    """A 200 MB row of `1,1,1,...` in --data.predict_file was split by the csv module into 100 million cells (12.5 s,
    1.6 GB) before "100000001 columns, expected 2"; it is refused as a training table's row is, before any row is read
    (a header error still comes first)."""
    monkeypatch.chdir(tmp_path)
    Path("wide.csv").write_bytes(b"a,kind\n1,x\n" + b"1," * (3 << 20) + b"x\n1,x\n")
    assert refused(read_points, "wide.csv", ["a"], ["x"], "kind") == (
        "wide.csv:3: a row is longer than 4,194,304 bytes, more than its 2 cells can hold (128 KiB each); is this a CSV "
        "file of the header's columns?"
    )
    assert refused(read_points, "wide.csv", ["b"], ["x"], "kind").startswith(
        "wide.csv:1: no column 'b', which the model needs")
    Path("gz.csv.gz").write_bytes(gzip.compress(b"a,kind\n1,x\n" + b"y" * (5 << 20)))
    assert refused(read_points, "gz.csv.gz", ["a"], ["x"], "kind").startswith(
        "gz.csv.gz:3: a row is longer than 4,194,304 bytes")
    Path("ok.csv").write_bytes(b"a,kind\n1,x\n2,x\n")
    assert read_points("ok.csv", ["a"], ["x"], "kind").features.tolist() == [[1.0], [2.0]]


def test_a_table_starting_with_two_byte_order_marks_is_read_as_with_one(tmp_path, monkeypatch):
    """A UTF-8 file with a BOM saved again by a tool that adds one: the first column was named '\\ufeffa' (training
    took that name; predict said "no column 'a', which the model needs; the columns are: \\ufeffa, b, kind")."""
    monkeypatch.chdir(tmp_path)
    Path("p.csv").write_text(TABLE)
    Path("two.csv").write_bytes(b"\xef\xbb\xbf" * 2 + TABLE.encode())
    expected, table = read_table("p.csv", "kind"), read_table("two.csv", "kind")
    assert table.feature_names == ["a", "b"] and table.classes == expected.classes
    assert (table.features == expected.features).all() and (table.labels == expected.labels).all()
    points = read_points("two.csv", ["a", "b"], expected.classes, "kind")
    assert points.features.tolist() == expected.features.tolist() and points.labels.tolist() == expected.labels.tolist()


@pytest.mark.parametrize(("second", "line"), [
    ("\ufeffa,b,kind\n5,6,y\n", "joined.csv:4: the header row again after a byte-order mark (U+FEFF), read as data (were "
                                "two tables joined, as by cat a.csv b.csv?); delete line 4"),
    ("a,b,kind\n5,6,y\n", "joined.csv:4: the header row again, read as data (were two tables joined, as by cat a.csv "
                          "b.csv?); delete line 4"),
    ("\ufeff5,6,y\n", "joined.csv:4: a byte-order mark (U+FEFF) inside the table, in the cell '\\ufeff5' (were two "
                      "files joined, as by cat?); remove it: a UTF-8 BOM belongs only at a file's start"),
], ids=["header-with-bom", "header", "bom-in-a-cell"])
def test_two_tables_joined_with_cat_name_the_line_where_the_second_starts(tmp_path, monkeypatch, second, line):
    """``cat a.csv b.csv`` of two files saved with a BOM: the second's header was 'x0 holds '\\ufeffx0', not a number',
    and a BOM before a row of data a cell that is no number."""
    monkeypatch.chdir(tmp_path)
    Path("joined.csv").write_text("\ufeffa,b,kind\n1,2,x\n3,4,y\n" + second, encoding="utf-8")
    assert refused(read_table, "joined.csv", "kind") == line
    assert refused(read_points, "joined.csv", ["a", "b"], ["x", "y"], "kind") == line


def test_a_byte_order_mark_before_a_class_is_not_read_as_another_class(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the target first: '\ufeffy' would have been a third class
    Path("joined.csv").write_text("kind,a\nx,1\ny,2\nx,3\n\ufeffy,4\n", encoding="utf-8")
    assert refused(read_table, "joined.csv", "kind") == (
        "joined.csv:5: a byte-order mark (U+FEFF) inside the table, in the cell '\\ufeffy' (were two files joined, as "
        "by cat?); remove it: a UTF-8 BOM belongs only at a file's start")
