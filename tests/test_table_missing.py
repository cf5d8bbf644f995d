"""Rows with missing values (``--data.missing drop``): left out of the training and test tables before the split,
with a note naming their lines; recorded with the run; never left out of a file to predict. And the first refusal of
a table with several faults names its missing values too, so that one fix covers all."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from conftest import one_error

from blobclf.errors import UserError
from blobclf.table import read_table
from blobclf.tabledata import TableDataModule

pytestmark = pytest.mark.usefixtures("cli_messages")  # refusals pin the command line's text

GAPS = {3: ("a", ""), 9: ("b", "NA"), 14: ("kind", ""), 20: ("a", "?")}
"""Data rows (0-based) given a missing value, and in which column: lines 5, 11, 16 and 22 of the file."""


def rows(count: int = 40) -> list[list[str]]:
    """Two well-separated classes of two features, with an id and a date a real export would hold."""
    rng = np.random.default_rng(0)
    table = []
    for i in range(count):
        kind = ["no", "yes"][i % 2]
        a, b = rng.normal((4.0 * (i % 2), -4.0 * (i % 2)), 1.0)
        table.append([str(i + 1), f"2024-01-{i % 28 + 1:02d}", f"{a:.3f}", f"{b:.3f}", kind])
    return table


COLUMNS = ["id", "date", "a", "b", "kind"]


def write(path, table: list[list[str]], gaps: dict[int, tuple[str, str]] = GAPS) -> None:
    table = [list(row) for row in table]
    for i, (column, cell) in gaps.items():
        table[i][COLUMNS.index(column)] = cell
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, *table])


def splits(path, **options) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    module = TableDataModule(str(path), "kind", exclude=["id", "date"], val_size=0.25, **options)
    module.setup("fit")
    return {name: (x.numpy(), y.numpy()) for name, (x, y) in module.splits.items()}


def test_dropping_rows_splits_as_if_they_were_deleted_from_the_file(tmp_path):
    table = rows()
    write(tmp_path / "gaps.csv", table)
    write(tmp_path / "clean.csv", [row for i, row in enumerate(table) if i not in GAPS], gaps={})
    read = read_table(tmp_path / "gaps.csv", "kind", ["a", "b"], missing="drop")
    assert read.dropped_lines == [5, 11, 16, 22]
    assert read.classes == ["no", "yes"] and len(read.labels) == 36  # no class '' from the empty target cell
    dropped, deleted = splits(tmp_path / "gaps.csv", missing="drop"), splits(tmp_path / "clean.csv")
    assert [len(dropped[name][1]) for name in ("train", "val", "test")] == [21, 7, 8]
    for name in ("train", "val", "test"):  # the same seed, the same rows: the same splits
        assert np.array_equal(dropped[name][0], deleted[name][0]) and np.array_equal(dropped[name][1], deleted[name][1])


def test_the_float32_check_reads_the_rows_kept(tmp_path, monkeypatch):
    # it read the column again with numpy's reader, which refused the empty cell: a traceback
    monkeypatch.chdir(tmp_path)
    times = [str(1700000000 + 3 * i) if i != 5 else "" for i in range(40)]
    (tmp_path / "u.csv").write_text("t,a,kind\n" + "".join(f"{t},{i % 2},{'xy'[i % 2]}\n" for i, t in enumerate(times)))
    with pytest.raises(UserError) as error:
        TableDataModule("u.csv", "kind", missing="drop").setup("fit")
    assert str(error.value).startswith("u.csv: feature column 't' holds values from 1700000000 to 1700000117 that "
                                       "float32, the type of the model's inputs, cannot tell apart (39 distinct values")


def test_the_default_still_refuses_and_offers_the_option(tmp_path):
    write(tmp_path / "gaps.csv", rows())
    with pytest.raises(UserError) as error:
        splits(tmp_path / "gaps.csv")
    assert str(error.value) == (
        f"{tmp_path / 'gaps.csv'}: column 'a' has 2 missing values (first on line 5); so do 'b' (1) and 'kind' (1) in "
        "other rows; fill them in or remove those rows, or leave those rows out with --data.missing drop"
    )


def test_missing_categories_are_dropped_and_never_become_a_category(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a,island,kind\n1,Dream,x\n2,,y\n3,Biscoe,x\n4,NA,y\n5,Dream,y\n6,Biscoe,x\n")
    table = read_table(path, "kind", ["a", "island"], categorical=["island"], missing="drop")
    assert table.dropped_lines == [3, 5] and table.kept_rows.tolist() == [0, 2, 4, 5]
    assert table.categories == {"island": ["Dream", "Biscoe"]}
    assert table.features.tolist() == [[1, 0], [3, 1], [5, 0], [6, 1]] and table.labels.tolist() == [0, 0, 1, 0]


@pytest.mark.parametrize(("content", "message"), [
    ("a,b,kind\n1,,x\n,2,y\n", "every one of the 2 rows has a missing value in a feature or the target (first on line "
     "2), so --data.missing drop leaves no row; fill them in, or leave out the columns that are mostly empty"),
    ("a,b,kind\n1,,x\n2,,y\n", "feature column 'b' is empty (a missing value on every one of the 2 rows); to leave it "
     "out, give --data.features '[a]'"),
    ("a,b,kind\n1,,x\n2,inf,y\n", "c.csv:3: column 'b' holds 'inf', not a finite float32 number; write a number "
     "between -3.4e38 and 3.4e38, or remove the row (blobclf drops no row itself)"),
    ("a,b,kind\n1,,x\n2,abc,y\n", "c.csv:3: feature column 'b' holds 'abc', not a number; to leave the column out, "
     "list the features: --data.features '[a]', or to one-hot encode it as categories, give --data.categorical '[b]'"),
], ids=["every-row", "empty-column", "infinite", "text"])
def test_only_missing_values_are_dropped(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text(content)
    with pytest.raises(UserError) as error:
        read_table("c.csv", "kind", missing="drop")
    assert str(error.value).removeprefix("c.csv: ") == message


def test_the_first_refusal_names_every_fix_and_following_it_trains(cli):
    write(cli.cwd / "t.csv", rows())
    fit = ("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
           "--trainer.max_epochs", "2", "--export.figures", "false")
    assert one_error(cli(*fit)) == (
        "t.csv:1: column 1, 'id', is named like a row identifier and would be a feature (every column but the target "
        "is); leave it out with --data.features '[a,b]' (which also leaves out 'date', which holds text), or list it "
        "in --data.features to keep it; columns 'a', 'b' and 'kind' also have missing values (first on line 5): fill "
        "them in, or add --data.missing drop to leave those rows out"
    )
    assert one_error(cli(*fit, "--data.exclude", "[id]")) == (
        "t.csv:2: feature column 'date' holds '2024-01-01', not a number; to leave the column out, give "
        "--data.exclude '[id,date]'; columns 'a', 'b' and 'kind' also have missing values (first on line 5): fill them "
        "in, or add --data.missing drop to leave those rows out"
    )
    done = cli(*fit, "--data.features", "[a,b]", "--data.missing", "drop")
    assert done.returncode == 0, done.output
    note = "note: t.csv: left out 4 of 40 rows with missing values (lines 5, 11, 16, 22) (--data.missing drop)"
    assert note in done.output
    assert "    missing: drop\n" in (cli.cwd / "lightning_logs" / "version_0" / "config.yaml").read_text()

    # the checkpoint's test and predict split the table as fit did: the same 8 test rows, the same note
    tested = cli("test", "--ckpt_path", "last")
    assert tested.returncode == 0 and note in tested.output
    assert cli("predict", "--ckpt_path", "last").returncode == 0
    split = list(csv.DictReader((cli.cwd / "checkpoints" / "version_0" / "predictions-last-test-split.csv").open()))
    kept = [row for i, row in enumerate(rows()) if i not in GAPS]
    assert len(split) == 8 and all([row["a"], row["b"], row["kind"]] in [r[2:] for r in kept] for row in split)

    # a file to predict is never cut short: its row with an empty cell is refused, named
    write(cli.cwd / "new.csv", rows(4), gaps={2: ("b", "")})
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv")) == (
        "new.csv:4: b='' is a missing value; fill it in or remove the row (blobclf drops no row itself)"
    )
    # a test table is read as the training table was: its row left out, and the rows predicted echo the others
    tested = cli("test", "--ckpt_path", "last", "--data.test_path", "new.csv")
    assert tested.returncode == 0
    assert "note: new.csv: left out 1 of 4 rows with missing values (line 4) (--data.missing drop)" in tested.output
    assert cli("predict", "--ckpt_path", "last", "--data.test_path", "new.csv", "--prediction.output", "p.csv"
               ).returncode == 0
    split = list(csv.DictReader((cli.cwd / "p.csv").open()))
    assert [[row["a"], row["b"]] for row in split] == [rows(4)[i][2:4] for i in (0, 1, 3)]


CLEAN = [("1", "2", "x"), ("5", "6", "y"), ("9", "1", "x"), ("3", "4", "y")]
"""The rows kept of each table below, whose other rows have a missing value."""


@pytest.mark.parametrize(("text", "lines"), [
    ("a,b,kind\n1,2,x\n,3,y\n5,6,y\n4,,x\n9,1,x\n,,\n3,4,y\n", [3, 5, 7]),
    ("a,b,kind\r\n1,2,x\r\n7,,y\r\n5,6,y\r\n9,1,x\r\n3,4,y\r\n8,,", [3, 7]),  # CRLF, the last line without one
    ("a,b,kind\n\n1,2,x\n\n,3,y\n5,6,y\n  \n9,1,x\n3,4,y\n", [5]),  # blank lines are no rows
    ("a;b;kind\n1;2;x\n NA ;3;y\n5;6;y\n4;?;x\n9;1;x\n\\N;n/a;y\n3;4;y\n", [3, 5, 7]),  # words, spaces around
    ("a\tb\tkind\n1\t2\tx\n\t3\ty\n5\t6\ty\n4\t \tx\n9\t1\tx\n3\t4\ty\n2\t1\t#N/A\n", [3, 5, 8]),  # tabs; the target
    ('a,b,kind\n1,2,"x"\n,3,y\n5,6,y\n9,1,x\n3,4,"y"\n', [3]),  # a quote: read cell by cell, as before
], ids=["empty", "crlf", "blank-lines", "words", "tabs", "quoted"])
def test_dropping_reads_the_rows_kept_whatever_the_gaps_look_like(tmp_path, text, lines):
    (tmp_path / "g.csv").write_bytes(text.encode())
    table = read_table(tmp_path / "g.csv", "kind", missing="drop")
    assert table.dropped_lines == lines
    assert table.features.tolist() == [[float(a), float(b)] for a, b, _ in CLEAN]
    assert [table.classes[i] for i in table.labels] == [kind for _, _, kind in CLEAN]


def test_dropping_reads_a_table_without_quotes_with_numpy_alone(tmp_path, monkeypatch):
    # the Python converter of each numeric cell took 3.4 times as long as numpy's reading (benchmarks/missing.py)
    def converter(decimal):
        raise AssertionError("read cell by cell")

    monkeypatch.setattr("blobclf.table.missing_number", converter)
    (tmp_path / "g.csv").write_text("a,b,kind\n1,2,x\n,3,y\n5,6,y\nnull,NaN,x\n9,1,x\n3,4,y\n")
    assert read_table(tmp_path / "g.csv", "kind", missing="drop").dropped_lines == [3, 5]
    (tmp_path / "q.csv").write_text('a,b,kind\n1,2,x\n,3,"y"\n')
    with pytest.raises(AssertionError, match="read cell by cell"):
        read_table(tmp_path / "q.csv", "kind", missing="drop")


def test_a_refusal_says_how_many_rows_it_looked_at_for_missing_values(cli, monkeypatch):
    # a gap past them was first named by a second refusal, though the first said nothing of where it looked
    from blobclf import tablehints

    monkeypatch.setattr(tablehints, "TEXT_SCAN_ROWS", 6)
    write(cli.cwd / "t.csv", rows(12), gaps={3: ("a", ""), 9: ("b", "")})
    with pytest.raises(UserError) as error:
        read_table(cli.cwd / "t.csv", "kind")
    assert str(error.value).endswith(
        "; column 'a' also has missing values (first on line 5 of the first 6 rows looked at): fill them in, or add "
        "--data.missing drop to leave those rows out"
    )
    monkeypatch.setattr(tablehints, "TEXT_SCAN_ROWS", 12)
    with pytest.raises(UserError) as error:
        read_table(cli.cwd / "t.csv", "kind")
    assert str(error.value).endswith(
        "; columns 'a' and 'b' also have missing values (first on line 5): fill them in, or add --data.missing drop to "
        "leave those rows out"
    )
