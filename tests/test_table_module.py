"""The table data module and the command line: bad settings and tables refused in one line, each file read with its own delimiter."""

from __future__ import annotations

import csv

import pytest
from conftest import REPO, example_datasets, one_error
from test_table_inputs import ROWS, refused, write

from blobclf.errors import ArgumentValueError
from blobclf.tabledata import TableDataModule

pytestmark = pytest.mark.usefixtures("cli_messages")  # refusals pin the command line's text

# --- the data module --------------------------------------------------------------------------------

def test_an_empty_feature_list_is_refused_in_one_line():
    with pytest.raises(ArgumentValueError) as error:
        TableDataModule("t.csv", "kind", features=[])
    assert str(error.value) == ("--data.features is an empty list; list at least one feature column, or leave it out "
                                "to use every column but the target")


@pytest.mark.parametrize(("setting", "line"), [
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"eval_batch_size": 2.5}, "eval_batch_size must be an integer >= 1, got 2.5"),
    ({"random_state": -1}, "random_state must be an integer from 0 to 2**32 - 1, got -1"),
], ids=["batch_size", "eval_batch_size", "random_state"])
def test_a_bad_size_or_seed_is_refused_when_the_module_is_built_as_blob_data_refuses_it(setting, line):
    # the batch sizes were refused only when fit asked for a loader, with another text than BlobDataModule's
    with pytest.raises(ArgumentValueError) as error:
        TableDataModule("t.csv", "kind", **setting)
    assert str(error.value) == line


def test_an_unnamed_column_is_refused_before_the_model_is_built(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", ",a,b,kind\n0,1,2,x\n1,3,4,y\n")
    data = TableDataModule("t.csv", "kind")
    assert refused(lambda: data.feature_names) == (
        "t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: --data.features '[a,b]'"
    )
    assert TableDataModule("t.csv", "kind", features=["a", "b"]).feature_names == ["a", "b"]


@pytest.mark.parametrize("name", ["predicted", "prob_y"])
def test_a_feature_named_like_a_prediction_column_is_refused_when_training(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", f"a,{name},kind\n" + "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(10)))
    assert refused(lambda: TableDataModule("t.csv", "kind").setup("fit")) == (
        f"t.csv: feature column {name!r} has the name of a column the predictions add; rename it (predictions "
        "could not hold both)"
    )


def test_each_file_has_its_own_delimiter_unless_one_is_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,kind\n" + "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(10)))
    write(tmp_path / "p.csv", "id;b;a\nr1;1;2\nr2;3;4\n")
    data = TableDataModule("t.csv", "kind", predict_file="p.csv")
    data.setup("fit")
    assert data.hparams.delimiter is None  # what a checkpoint records
    points = data.predict_points()
    assert points.features.tolist() == [[2, 1], [4, 3]] and points.carried == {"id": ["r1", "r2"]}
    given = TableDataModule("t.csv", "kind", predict_file="p.csv", delimiter=",", classes=["x", "y"])
    assert refused(given.predict_points) == (
        "p.csv:1: no column 'a', which the model needs; the columns are: id;b;a (the model's features: a, b); the "
        "header was split at ',' but holds ';': give --data.delimiter ';' (or null to detect it)"
    )


def test_a_file_split_at_another_delimiter_than_its_own_says_which_to_give(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,kind\n" + "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(10)))
    write(tmp_path / "s.csv", "a;b;kind\n1;2;x\n")
    hint = "the header was split at ';' but holds ',': give --data.delimiter ',' (or null to detect it)"
    assert refused(TableDataModule("t.csv", "kind", delimiter=";").setup, "fit") == (
        f"t.csv: no target column 'kind'; the columns are: a,b,kind (choose one with --data.target); {hint}"
    )
    data = TableDataModule("s.csv", "kind", features=["a", "b"], test_path="t.csv", delimiter=";", classes=["x", "y"])
    assert refused(data.split, "test") == (
        f"t.csv: its columns differ from the training table s.csv's: missing 'a', 'b', 'kind'; {hint}"
    )


def test_a_class_the_model_never_saw_is_refused_with_the_fix_in_test_and_prediction_tables(tmp_path, monkeypatch):
    # iris trained without virginica, tested on all three: the refusal named the class but no way out
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,kind\n" + "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(10)))
    write(tmp_path / "u.csv", "a,b,kind\n1,2,x\n3,4,z\n5,6,y\n")
    data = TableDataModule("t.csv", "kind", test_path="u.csv")
    assert refused(data.setup, "fit") == (
        "u.csv:3: kind='z' is not one of the model's classes (x, y); remove its rows (the model never saw the class), "
        "or train on a table that has it"
    )
    # predicting, the class column may go instead
    from blobclf.points import read_points

    assert refused(read_points, "u.csv", ["a", "b"], ["x", "y"], "kind") == (
        "u.csv:3: kind='z' is not one of the model's classes (x, y); remove its rows (the model never saw the class), "
        "or the 'kind' column to predict without known classes"
    )
    assert read_points("t.csv", ["a", "b"], ["x", "y"], "kind").labels.tolist() == [0, 1] * 5
    write(tmp_path / "v.csv", "a,b,kind\n1,2,x\n3,4,X\n5,6,y\n")  # a class written another way: that is the fix
    assert refused(TableDataModule("t.csv", "kind", test_path="v.csv").setup, "fit") == (
        "v.csv:3: kind='X' is not one of the model's classes (x, y); it is the class 'x' written another way: write "
        "the classes as the training table does"
    )


def test_a_column_named_but_for_letter_case_is_named_with_the_fix(tmp_path, monkeypatch):
    # a test or prediction file from another tool with 'Species' for 'species' was refused as "missing 'species'",
    # the column that is there unnamed, and --data.target Species as "no target column"
    from blobclf.points import read_points
    from blobclf.table import read_table

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "Petal Width,b,species\n" + "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(10)))
    write(tmp_path / "u.csv", "petal width,b,Species\n1,2,x\n")
    assert refused(read_table, "t.csv", "Species") == (
        "t.csv: no target column 'Species' (the file has 'species': give --data.target 'species'); the columns are: "
        "Petal Width, b, species (choose one with --data.target)"
    )
    data = TableDataModule("u.csv", "species", features=["Petal Width", "b"], test_path="u.csv", classes=["x", "y"])
    assert refused(data.split, "test") == (
        "u.csv: its columns differ from the training table u.csv's: missing 'Petal Width' (the file has 'petal width': "
        "rename it), 'species' (the file has 'Species': rename it)"
    )
    assert refused(read_points, "u.csv", ["Petal Width", "b"], ["x", "y"], "species") == (
        "u.csv:1: no column 'Petal Width', which the model needs (the file has 'petal width': rename it); the columns "
        "are: petal width, b, Species (the model's features: Petal Width, b)"
    )


@pytest.mark.parametrize(
    ("rows", "settings", "message"),
    [
        (9, {}, ("t.csv: --data.test_size 0.2 holds out 2 of 9 rows, fewer than the 3 classes; a stratified split needs "
                "every class in each part: try --data.test_size 0.34")),
        (9, {"test_size": 0.8}, ("t.csv: --data.test_size 0.8 keeps 1 of 9 rows for training, fewer than the 3 classes; "
                                "a stratified split needs every class in each part: try --data.test_size 0.66")),
        (15, {"val_size": 0.1}, ("t.csv: --data.val_size 0.1 holds out 2 of 12 rows, fewer than the 3 classes; a "
                                "stratified split needs every class in each part: try --data.val_size 0.25")),
        (9, {"test_size": 0.5, "val_size": 0.5}, ("t.csv: 4 rows cannot be split into a validation part and a "
                                                 "training part that each hold all 3 classes; that needs at least 6 rows")),
    ],
    ids=["test-too-small", "train-too-small", "validation-too-small", "too-few-rows"],
)
def test_a_split_too_small_for_the_classes_suggests_a_size(tmp_path, monkeypatch, rows, settings, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,kind\n" + "".join(f"{i},{i % 4},{'xyz'[i % 3]}\n" for i in range(rows)))
    data = TableDataModule("t.csv", "kind", **settings)
    assert refused(data.setup, "fit") == message
    if message.endswith(("0.34", "0.66")):  # the suggested size works
        data = TableDataModule("t.csv", "kind", test_size=float(message.rsplit(" ", 1)[1]))
        data.setup("fit")
        assert min(len(data.splits[name][1]) for name in ("train", "test")) >= 3


# --- on the command line: one line, nothing written ------------------------------------------------------

GOOD = "a,b,kind\n" + "".join(f"{i},{i % 7 * 0.5},{'xyz'[i % 3]}\n" for i in range(30))


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (GOOD, ["--data.features", "[]"], ("--data.features is an empty list; list at least one feature column, or "
                                          "leave it out to use every column but the target")),
        (",a,b,kind\n0,1,2,x\n", [], "t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: "
                                    "--data.features '[a,b]'"),
        ("a,b,kind\n" + ROWS + "1_000,1,x\n", [], ("t.csv:8: feature column 'a' holds '1_000', not a number; write it "
                                                  "as '1000' (ASCII digits 0-9, no '_')")),
        ("01,yes,kind\n1,2,x\n", ["--data.features", "[01,yes]"], (
            "--data.features=[1, True] is invalid for blobclf.TableDataModule: YAML read some names as "
            "numbers, booleans or null; put those names in double quotes: --data.features '[\"01\",\"yes\",b]' (see --help)")),
        ("null,b,kind\n1,2,x\n", ["--data.features", "[null,b]"], (
            "--data.features=[None, 'b'] is invalid for blobclf.TableDataModule: YAML read some names as "
            "numbers, booleans or null; put those names in double quotes: --data.features '[\"null\",b]' (see --help)")),
        # it was "t.csv: cannot split 30 rows into 3 classes: The 'random_state' parameter of train_test_split must be ..."
        (GOOD, ["--data.random_state", "4294967296"], "random_state must be an integer from 0 to 2**32 - 1, got 4294967296"),
    ],
    ids=["empty-features", "index-column", "underscore", "features-read-as-numbers", "feature-read-as-null",
         "seed-too-large"],
)
def test_bad_training_inputs_on_the_command_line_write_nothing(cli, content, extra, message):
    write(cli.cwd / "t.csv", content)
    assert one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind", *extra)) == message
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["t.csv"]


def test_a_target_column_named_null_is_told_how_to_quote_and_the_quoted_name_trains(cli):
    write(cli.cwd / "t.csv", GOOD.replace("kind", "null", 1))
    for target in (["--data.target", "null"], ["--data.target=null"]):
        assert one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", *target)) == (
            "--data.target null is YAML's no value, not a column name; for a column named null, quote it: "
            "--data.target '\"null\"'")
        assert sorted(p.name for p in cli.cwd.iterdir()) == ["t.csv"]
    # left out, the target is only missing: the table's columns are named, the last one quoted to be a name
    assert one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv")) == (
        "--data blobclf.TableDataModule needs --data.target, the column of classes: give --data.target '\"null\"' "
        "(the last column) or another of t.csv's columns: a, b, null")
    assert TableDataModule("t.csv", '"null"').hparams.target == "null"
    fit = cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", '"null"',
              "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false")
    assert fit.returncode == 0, fit.output
    assert (cli.cwd / "checkpoints" / "version_0" / "last.ckpt").is_file()


def test_a_missing_target_names_the_tables_columns_and_the_likeliest(cli):
    # the line said only "needs --data.target (see --help)": the user had to open the file for the column's name
    fit = ("fit", "--data", "TableDataModule", "--data.path")
    write(cli.cwd / "t.csv", "customer_id,Signup Date,age,Churn Status\n1,2024-01-01,30,yes\n")
    assert one_error(cli(*fit, "t.csv")) == (
        "--data blobclf.TableDataModule needs --data.target, the column of classes: give --data.target 'Churn Status' "
        "(the last column) or another of t.csv's columns: customer_id, Signup Date, age, Churn Status")
    write(cli.cwd / "c.csv", "a;Class;b\n1;x;2\n")
    write(cli.cwd / "c.yaml", "data:\n  class_path: TableDataModule\n  init_args:\n    path: c.csv\n")
    assert one_error(cli("fit", "--config", "c.yaml")) == (  # the path from a config file; a column named class
        "--data blobclf.TableDataModule needs --data.target, the column of classes: give --data.target Class "
        "(named like one) or another of c.csv's columns: a, Class, b")
    # no table to read: the line as it was (the path's own refusal comes once a target is given)
    assert one_error(cli(*fit, "missing.csv")) == "--data blobclf.TableDataModule needs --data.target (see --help)"
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["c.csv", "c.yaml", "t.csv"]


def test_a_run_predicts_a_file_of_another_delimiter_and_refuses_its_own_predictions(cli):
    write(cli.cwd / "t.csv", GOOD)
    fit = cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
              "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false")
    assert fit.returncode == 0, fit.output
    write(cli.cwd / "new.csv", "id;b;a\nr1;1;2\nr2;3;4\n")
    result = cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv", "--prediction.output", "out.csv")
    assert result.returncode == 0, result.output
    with (cli.cwd / "out.csv").open() as handle:
        header, *rows = list(csv.reader(handle))
    assert header == ["id", "a", "b", "prob_x", "prob_y", "prob_z", "predicted"] and [r[0] for r in rows] == ["r1", "r2"]
    before = sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*"))
    line = one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "out.csv", "--prediction.output", "again.csv"))
    assert line == ("out.csv:1: column 4 is named 'prob_x', a column the predictions add (is this an earlier predictions "
                    "file?); rename it or drop it")
    assert sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*")) == before


def test_a_checkpoints_thousands_of_feature_and_class_names_are_parsed_in_linear_time():
    """Names typed list[str] were checked by jsonargparse in quadratic time (it deep-copies the whole list for each
    name): testing a 2,000-feature run took 188 s (an iris run 18 s), 10,000 features hours. The options parse 4,000
    names of each as fast as a few."""
    import time

    from jsonargparse import ArgumentParser

    from blobclf.system import BlobClassifier

    names = [f"pixel{i}" for i in range(4000)]
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(TableDataModule, "data")
    parser.add_class_arguments(BlobClassifier, "model")
    parser.set_defaults({"data.path": "t.csv", "data.target": "label", "data.features": names, "data.classes": names,
                         "model.feature_names": names, "model.class_names": names})
    start = time.perf_counter()
    config = parser.parse_args([])
    assert time.perf_counter() - start < 2  # 0.1 s here; 60 s typed list[str]
    assert list(config.data.features) == list(config.model.class_names) == names
    data = TableDataModule(**config.data)
    assert data.hparams.features == data.hparams.classes == names and type(data.hparams.features) is list
    model = BlobClassifier(num_features=4000, num_classes=4000, **{k: config.model[k] for k in ("class_names", "feature_names")})
    assert model.hparams.feature_names == names and type(model.hparams.class_names) is list  # plain lists in checkpoints


def test_a_feature_that_float32_cannot_tell_apart_is_refused_with_an_offset(tmp_path, monkeypatch):
    """Unix times differing by seconds (1700000000 + class * 10) are one float32 value: the model trained on a constant
    column and reached 0.39 accuracy where scikit-learn, in float64, reaches 1.0; nothing said so."""
    monkeypatch.chdir(tmp_path)
    rows = [(1700000000 + k * 10 + i % 5, "xyz"[k]) for i in range(30) for k in range(3)]
    write(tmp_path / "t.csv", "a,t,kind\n" + "".join(f"{i % 7},{t},{k}\n" for i, (t, k) in enumerate(rows)))
    assert refused(TableDataModule("t.csv", "kind").setup, "fit") == (
        "t.csv: feature column 't' holds values from 1700000000 to 1700000024 that float32, the type of the model's "
        "inputs, cannot tell apart (15 distinct values in the file, 1 as float32); subtract an offset (such as "
        "1700000000) from the column so that its values are small, and the same from the rows you predict"
    )
    shifted = "a,t,kind\n" + "".join(f"{i % 7},{t - 1700000000},{k}\n" for i, (t, k) in enumerate(rows))
    write(tmp_path / "s.csv", shifted)
    data = TableDataModule("s.csv", "kind")
    data.setup("fit")
    assert sorted(set(data.splits["train"][0][:, 1].tolist())) == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]
    # a checkpoint's own table is evaluated as it was trained (classes recorded): not refused afterwards
    TableDataModule("t.csv", "kind", classes=["x", "y", "z"]).setup("fit")
    # a day of Unix times keeps 675 float32 steps, and float64 noise (0.1 written as 0.10000000000000003) is no value
    day = "".join(f"{i % 7},{1700000000 + i * 997 % 86400},{'xyz'[i % 3]},{[0.1, 0.30000000000000004 - 0.2][i % 2]!r}\n"
                  for i in range(90))
    write(tmp_path / "d.csv", "a,t,kind,c\n" + day)
    TableDataModule("d.csv", "kind").setup("fit")
    # whole numbers of 18 digits (nanosecond times, ids under another name) differing in their last digits: one float32
    # value, and within 1e-10 of each other, as float64 noise is, so they were trained on as a constant column
    write(tmp_path / "n.csv", "a,t,kind\n" + "".join(f"{i % 7},{123456789012345678 + i * 1000},{'xyz'[i % 3]}\n"
                                                     for i in range(90)))
    assert refused(TableDataModule("n.csv", "kind").setup, "fit") == (
        "n.csv: feature column 't' holds values from 123456789012345680 to 123456789012434672 that float32, the type "
        "of the model's inputs, cannot tell apart (90 distinct values in the file, 1 as float32); subtract an offset "
        "(such as 123456789012345680) from the column so that its values are small, and the same from the rows you "
        "predict"
    )


@pytest.mark.parametrize(
    ("counts", "settings", "message"),
    [
        ({"common": 100, "rare": 2}, {},
         "the stratified split leaves class 'rare' (2 rows) out of the test split (--data.test_size 0.2 gives each class "
         "its share of 21 held-out rows, rounded), which would then say nothing of it; try --data.test_size 0.25, or "
         "add rows of it"),
        ({"common": 200, "mid": 40, "rare": 3}, {"val_size": 0.2},
         "the stratified split leaves class 'rare' (2 rows in the training split) out of the validation split "
         "(--data.val_size 0.2 gives each class its share of 39 held-out rows, rounded), which would then say nothing "
         "of it; try --data.val_size 0.23, or add rows of it"),
    ],
    ids=["test", "validation"],
)
def test_a_class_the_stratified_split_leaves_out_of_a_part_is_refused_with_a_size_that_keeps_it(
    tmp_path, monkeypatch, counts, settings, message
):
    """A class of 2 rows in 102 got none of the 21 test rows: validation and the test report said nothing of it
    (support 0), though the docs said each part holds every class."""
    monkeypatch.chdir(tmp_path)
    rows = [f"{i % 9},{i % 4},{name}\n" for name, count in counts.items() for i in range(count)]
    write(tmp_path / "t.csv", "a,b,kind\n" + "".join(rows))
    assert refused(TableDataModule("t.csv", "kind", **settings).setup, "fit") == f"t.csv: {message}"
    option, size = message.split("try --data.")[1].split(",")[0].split()
    data = TableDataModule("t.csv", "kind", **{**settings, option: float(size)})
    data.setup("fit")
    for split in ("train", "val", "test"):
        assert data.splits[split][1].unique().tolist() == list(range(len(counts))), split
    # a checkpoint's run is evaluated on the splits it was trained with (classes recorded), as before
    old = TableDataModule("t.csv", "kind", classes=sorted(counts), **settings)
    old.setup("fit")
    parts = ["train", "test", "val"] if "val_size" in settings else ["train", "test"]
    assert sum(len(old.splits[part][1]) for part in parts) == sum(counts.values())


def test_predictions_of_the_test_split_echo_its_numbers_as_the_table_writes_them(tmp_path, monkeypatch):
    # a file to predict had its 40 echoed as 40, the test split (no --data.predict_file) as 40.0, the float32 read
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,land,b,kind\n" + "".join(
        f" {i} ,{'PQ'[i % 2]},{i}.50,{'xy'[i % 2]}\n\n" for i in range(20)))  # blank lines are no rows
    data = TableDataModule(path="t.csv", target="kind", categorical=["land"])
    points = data.predict_points()
    assert len(points.texts) == len(points.labels) == 4
    assert list(points.texts) == [(f"{int(a)}", f"{int(a)}.50") for a in points.features[:, 0].tolist()]
    write(tmp_path / "later.csv", "kind,b,land,a\nx,1.50,P,40\ny,-2e1,Q,+7\n")  # a test table of its own
    separate = TableDataModule(path="t.csv", target="kind", categorical=["land"], test_path="later.csv")
    assert list(separate.predict_points().texts) == [("40", "1.50"), ("+7", "-2e1")]


TUTORIAL_SETTINGS_NOTE = (
    "note: this table trains with the tutorial's settings for its two-feature blobs (SGD, lr 0.1, 8 hidden units); "
    "configs/table.yaml's (--optimizer Adam --optimizer.lr 0.01 --model.hidden_units 16) train most tables far "
    "better (docs/tables.md)"
)


@pytest.mark.parametrize("settings, noted", [
    ([], True),  # measured: iris 0.77, digits 0.59 where configs/table.yaml reaches 0.97, 0.95
    (["--config", str(REPO / "configs" / "table.yaml")], False),
    (["--model.hidden_units", "16"], False),
], ids=["tutorial-settings", "table-config", "own-settings"])
def test_a_table_left_at_the_tutorials_settings_is_noted_once(cli, settings, noted):
    example_datasets().write_dataset("iris", cli.cwd)
    result = cli("fit", *settings, "--data", "TableDataModule", "--data.path", "iris.csv", "--data.target", "species",
                 "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert result.output.count(TUTORIAL_SETTINGS_NOTE) == (1 if noted else 0)


def test_a_table_its_data_refuses_prints_only_the_refusal_not_the_tutorial_settings_note(cli):
    """The note came before the refusal of the same command, as if the run had started."""
    write(cli.cwd / "bad.csv", "a,b,y\n1,2,x\n3,abc,y\n4,5,x\n")
    result = cli("fit", "--data", "TableDataModule", "--data.path", "bad.csv", "--data.target", "y")
    assert one_error(result) == (
        "bad.csv:3: feature column 'b' holds 'abc', not a number; correct the cell if it is a typo (the column's "
        "earlier rows hold numbers); to leave the column out, list the features: --data.features '[a]'")
    assert "note:" not in result.output
