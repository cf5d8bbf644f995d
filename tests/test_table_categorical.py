"""Categorical text features (``--data.categorical``): one-hot inputs fitted on the training split, recorded with the
run, encoded alike by test and predict, described in model.json, refused in one line where they cannot be encoded."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import REPO, one_error
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from blobclf.errors import UserError
from blobclf.points import read_points
from blobclf.tabledata import TableDataModule

pytestmark = pytest.mark.usefixtures("cli_messages")  # refusals pin the command line's text

TABLE_CONFIG = str(REPO / "configs" / "table.yaml")
COLUMNS = ["species", "island", "bill_length_mm", "bill_depth_mm", "body_mass_g", "sex"]
FIT = ("fit", "--config", TABLE_CONFIG, "--data.path", "p.csv", "--data.target", "species",
       "--data.categorical", "[island, sex]", "--trainer.max_epochs", "30", "--export.figures", "false")


def penguins(rows: int = 150, seed: int = 0) -> list[list[str]]:
    """A penguins-like table: the species shows in the island (mostly) and the measurements (overlapping)."""
    rng = np.random.default_rng(seed)
    means = {"Adelie": (39.0, 18.0, 3700.0), "Chinstrap": (45.0, 18.0, 3750.0), "Gentoo": (45.0, 15.5, 4500.0)}
    islands = {"Adelie": ["Dream", "Torgersen", "Biscoe"], "Chinstrap": ["Dream", "Dream", "Biscoe"],
               "Gentoo": ["Biscoe", "Biscoe", "Dream"]}
    table = []
    for i in range(rows):
        species = ["Adelie", "Chinstrap", "Gentoo"][i % 3]
        sex = ["female", "male"][int(rng.integers(2))]
        bill, depth, mass = rng.normal(means[species], (4.0, 1.5, 500.0))
        mass += 300 if sex == "male" else -300
        table.append([species, islands[species][int(rng.integers(3))], f"{bill:.1f}", f"{depth:.1f}",
                      f"{mass:.0f}", sex])
    return table


def write(path, rows: list[list[str]], columns: list[str] = COLUMNS) -> None:
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([columns, *rows])


def test_text_columns_given_as_categorical_are_one_hot_inputs_that_test_and_predict_encode_alike(cli):
    rows = penguins()
    write(cli.cwd / "p.csv", rows)
    assert cli(*FIT).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    described = json.loads((run / "model.json").read_text())
    categories = {"island": ["Biscoe", "Dream", "Torgersen"], "sex": ["female", "male"]}
    assert described["features"] == ["island_Biscoe", "island_Dream", "island_Torgersen", "bill_length_mm",
                                     "bill_depth_mm", "body_mass_g", "sex_female", "sex_male"]
    assert described["encoding"]["columns"] == COLUMNS[1:]
    assert described["encoding"]["one_hot"] == categories
    assert described["data"]["categories"] == categories and described["data"]["categorical"] == ["island", "sex"]
    # one-hot inputs are not standardized
    assert described["standardization"]["mean"][:3] == [0.0] * 3 and described["standardization"]["scale"][-2:] == [1.0] * 2
    assert described["standardization"]["mean"][3] == pytest.approx(42.7, abs=1.0)
    assert cli("test", "--ckpt_path", "last").returncode == 0
    report = json.loads((run / "test_report-last.json").read_text())
    assert (report["n_samples"], report["accuracy"]) == (30, pytest.approx(23 / 30, abs=1e-6))
    # the run's own config.yaml (categories: null) is the same settings, not a conflict
    assert cli("test", "--ckpt_path", "last", "--config", "lightning_logs/version_0/config.yaml").returncode == 0

    # the test split, predicted from the checkpoint and from a file of its rows with the columns in another order
    assert cli("predict", "--ckpt_path", "last").returncode == 0
    split = list(csv.DictReader((run / "predictions-last-test-split.csv").open()))
    _, test = train_test_split(np.arange(len(rows)), test_size=0.2, random_state=42,
                               stratify=[row[0] for row in rows])
    order = [5, 4, 0, 3, 2, 1]
    write(cli.cwd / "new.csv", [[rows[i][j] for j in order] for i in test], [COLUMNS[j] for j in order])
    assert cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv").returncode == 0
    new = list(csv.DictReader((run / "predictions-last-new.csv").open()))
    probabilities = [f"prob_{name}" for name in ("Adelie", "Chinstrap", "Gentoo")]
    assert [[row[c] for c in probabilities] for row in new] == [[row[c] for c in probabilities] for row in split]
    assert sum(row["predicted"] == row["species"] for row in new) == 23  # as the test report says
    # the predictions give each row's features as the file wrote them: a categorical column is one column of
    # category names, not its one-hot inputs (they were written as island_Biscoe, ... of 0.0 and 1.0)
    assert list(new[0])[:5] == COLUMNS[1:]  # in the training table's order, as numeric features are
    for written in (new, split):
        assert [[row["island"], row["sex"]] for row in written] == [[rows[i][1], rows[i][5]] for i in test]
        assert [[float(row[c]) for c in COLUMNS[2:5]] for row in written] == [
            [float(v) for v in rows[i][2:5]] for i in test]
    # the inputs are scikit-learn's OneHotEncoder with the recorded categories, in the column's place
    encoder = OneHotEncoder(categories=[categories["island"], categories["sex"]], sparse_output=False)
    expected = encoder.fit_transform([[rows[i][1], rows[i][5]] for i in test])
    inputs = read_points(cli.cwd / "new.csv", COLUMNS[1:], ["Adelie", "Chinstrap", "Gentoo"], "species",
                         categories=categories)
    assert inputs.feature_names == described["features"]
    assert np.array_equal(inputs.features.numpy()[:, [0, 1, 2, 6, 7]], expected)

    # model.json's encoding alone makes the inputs that model.onnx takes, from the table's own cells
    onnxruntime = pytest.importorskip("onnxruntime")
    encoding = described["encoding"]
    inputs = np.array([[value for column in encoding["columns"] for value in (
        [float(rows[i][COLUMNS.index(column)] == c) for c in encoding["one_hot"][column]]
        if column in encoding["one_hot"] else [float(rows[i][COLUMNS.index(column)])])] for i in test], dtype=np.float32)
    session = onnxruntime.InferenceSession(str(run / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx = session.run(None, {"features": inputs})[1]
    assert np.abs(onnx - np.array([[float(row[c]) for c in probabilities] for row in new])).max() < 1e-5

    # a category the model was not trained on, or none, in a file to predict or test: one line
    write(cli.cwd / "odd.csv", [rows[0], [*rows[1][:1], "Anvers", *rows[1][2:]]])
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "odd.csv")) == (
        "odd.csv:3: island='Anvers' is not one of the categories the model was trained on (Biscoe, Dream, Torgersen); "
        "write one of them, or remove the row (the model has no input for it)"
    )
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", "odd.csv")) == (
        "odd.csv:3: island='Anvers' is not one of the categories the model was trained on (Biscoe, Dream, Torgersen); "
        "write one of them, or remove the row (the model has no input for it)"
    )
    write(cli.cwd / "gap.csv", [rows[0], [*rows[1][:5], "NA"]])
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "gap.csv")) == (
        "gap.csv:3: sex='NA' is a missing value; fill it in or remove the row (blobclf drops no row itself)"
    )
    # a text cell in a numeric feature column names its fix
    write(cli.cwd / "text.csv", [rows[0], [*rows[1][:2], "long", *rows[1][3:]]])
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "text.csv")) == (
        "text.csv:3: bill_length_mm='long' is not a number; write a number there: the model was trained on numbers "
        "in this column"
    )


def test_a_text_column_is_refused_naming_the_option_that_encodes_it(cli):
    write(cli.cwd / "p.csv", penguins(30))
    fit = ("fit", "--data", "TableDataModule", "--data.path", "p.csv", "--data.target", "species")
    assert one_error(cli(*fit)) == (
        "p.csv:2: feature column 'island' holds 'Torgersen', not a number; column 'sex' holds text too; to leave "
        "these columns out, give --data.exclude '[island,sex]', or to one-hot encode them as categories, give "
        "--data.categorical '[island,sex]'"
    )
    # one encoded already: the advice keeps it
    assert one_error(cli(*fit, "--data.categorical", "[island]")) == (
        "p.csv:2: feature column 'sex' holds 'male', not a number; to leave the column out, give "
        "--data.exclude '[sex]', or to one-hot encode it as categories, give --data.categorical '[island,sex]'"
    )
    # an id column: the option offered leaves it out and keeps the categorical columns (it left them out as text)
    write(cli.cwd / "id.csv", [[str(i), *row] for i, row in enumerate(penguins(30))], ["id", *COLUMNS])
    assert one_error(cli(*fit[:4], "id.csv", *fit[5:], "--data.categorical", "[island, sex]")) == (
        "id.csv:1: column 1, 'id', is named like a row identifier and would be a feature (every column but the target "
        "is); leave it out with --data.exclude '[id]', or list it in --data.features to keep it"
    )
    assert one_error(cli(*fit, "--data.categorical", "[island, sex, species]")) == (
        "p.csv: --data.categorical names 'species', the target column; the features are: island, bill_length_mm, "
        "bill_depth_mm, body_mass_g, sex"
    )
    assert one_error(cli(*fit, "--data.categorical", "[island, sex]", "--data.exclude", "[sex]")) == (
        "p.csv: --data.categorical names 'sex', not a feature column; the features are: island, bill_length_mm, "
        "bill_depth_mm, body_mass_g"
    )


def test_a_category_only_in_held_out_rows_and_a_missing_category_are_refused(cli):
    rows = penguins(30)
    _, test = train_test_split(np.arange(30), test_size=0.2, random_state=42, stratify=[row[0] for row in rows])
    rows[test[0]][5] = "unknown"
    write(cli.cwd / "p.csv", rows)
    assert one_error(cli(*FIT)) == (
        f"p.csv:{test[0] + 2}: the categorical column 'sex' holds 'unknown' only in rows held out from training (1 row), "
        "so the model would have no input for it; add rows of it, write it as another category, or remove those rows"
    )
    rows[test[0]][5] = ""
    write(cli.cwd / "p.csv", rows)
    assert one_error(cli(*FIT)) == (
        f"p.csv: column 'sex' has 1 missing value (first on line {test[0] + 2}); fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop; in the categorical column 'sex', a word such as 'unknown' in those cells "
        "makes them a category of their own"
    )
    assert not (cli.cwd / "checkpoints").exists()


def test_categories_of_numbers_are_ordered_as_numbers_and_checked_when_given(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("grade,a,kind\n" + "".join(f"{[10, 2, 1][i % 3]},{i},{'xy'[i % 2]}\n" for i in range(20)))
    data = TableDataModule(str(path), "kind", categorical=["grade"])
    assert data.feature_names == ["grade_1", "grade_2", "grade_10", "a"]
    x = data.split("train")[0]
    assert x[:, :3].sum(dim=1).tolist() == [1.0] * len(x)
    with pytest.raises(ValueError) as error:
        TableDataModule(str(path), "kind", categorical=["grade"], categories={"a": ["1"]})
    assert str(error.value) == ("--data.categories must give the categories of each --data.categorical column and no "
                                "other, got {'a': ['1']} for --data.categorical ['grade']")
    given = TableDataModule(str(path), "kind", categorical=["grade"], categories={"grade": ["1", "2"]})
    with pytest.raises(UserError) as refused:
        given.setup("fit")
    assert str(refused.value) == (f"{path}:2: grade='10' is not one of the categories the model was trained on (1, 2); "
                                  "write one of them, or remove the row (the model has no input for it)")


def test_a_second_setup_after_a_failed_one_reads_every_table_again(tmp_path):
    # in Python, setup("fit") refused a test table, and the same call after the file was fixed kept the training
    # split it had made and never read the test table again: no test or validation split
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("a,b,kind\n" + "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(20)))
    test.write_text("a,b,kind\n1,2,x\n3,oops,y\n")
    data = TableDataModule(str(train), "kind", test_path=str(test))
    with pytest.raises(UserError) as error:
        data.setup("fit")
    assert str(error.value) == (f"{test}:3: feature column 'b' holds 'oops', not a number; write a number there: the "
                                "model takes the column as a feature")
    assert data.splits == {} and data.hparams.classes is None
    test.write_text("a,b,kind\n1,2,x\n3,1,y\n5,0,x\n")
    data.setup("fit")
    assert data.splits["test"][0].tolist() == [[1, 2], [3, 1], [5, 0]] and data.splits["val"] is data.splits["test"]
    assert len(data.splits["train"][1]) == 20 and data.hparams.classes == ["x", "y"]


def test_a_single_categorical_column_of_two_categories_is_drawn_with_its_input_names(cli):
    # the two-feature figures took their axis names from the feature columns: one column, two inputs, IndexError
    write(cli.cwd / "p.csv", penguins(30))
    assert cli("fit", "--data", "TableDataModule", "--data.path", "p.csv", "--data.target", "species",
               "--data.features", "[sex]", "--data.categorical", "[sex]", "--trainer.max_epochs", "2",
               "--export.onnx", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    assert json.loads((run / "model.json").read_text())["features"] == ["sex_female", "sex_male"]
    assert (run / "data.png").is_file() and (run / "decision_boundary.png").is_file()
    from blobclf.regenerate import regenerate

    (run / "data.png").unlink()
    written = regenerate(run)
    assert written["data"] == run / "data.png" and (run / "data.png").is_file()
    assert json.loads(written["test_report"].read_text())["n_samples"] == 6


def test_an_unknown_category_written_like_a_known_one_is_named(tmp_path):
    # a file to predict writing 'male' for the trained 'Male', or a zip code '2134' for '02134', was refused with
    # the known categories and "write one of them": the one it is written like was left for the user to find
    path = tmp_path / "t.csv"
    path.write_text("sex,zip,a,kind\n" + "".join(f"{'FM'[i % 2]}ale,0213{i % 3},{i},{'xy'[i % 2]}\n"
                                                  for i in range(20)).replace("Fale", "Female"))
    data = TableDataModule(str(path), "kind", categorical=["sex", "zip"])
    data.setup("fit")
    assert data.hparams.categories == {"sex": ["Female", "Male"], "zip": ["02130", "02131", "02132"]}
    new = tmp_path / "new.csv"
    new.write_text("sex,zip,a\nMale,02130,1\n male ,02131,2\n")
    with pytest.raises(UserError) as refused:
        read_points(new, ["sex", "zip", "a"], categories=data.hparams.categories)
    assert str(refused.value) == (
        f"{new}:3: sex='male' is not one of the categories the model was trained on (Female, Male); it is the "
        "category 'Male' written another way (case, spaces or how a number is written): write it as the training "
        "table does"
    )
    new.write_text("sex,zip,a,kind\nMale,2131,1,x\n")
    given = TableDataModule(str(path), "kind", categorical=["sex", "zip"], categories=data.hparams.categories,
                            test_path=str(new))
    with pytest.raises(UserError) as refused:
        given.setup("test")
    assert str(refused.value).startswith(f"{new}:2: zip='2131' is not one of the categories the model was trained on "
                                         "(02130, 02131, 02132); it is the category '02131' written another way")


def test_one_hot_inputs_and_scaling_are_those_of_the_reference_encoding(tmp_path):
    # the inputs were an identity matrix indexed by the cells joined to the other columns (the table's inputs held
    # twice, seconds for thousands of categories), and every one-hot input's mean and scale was computed to be
    # dropped; now each split is written from its cells' indices and only numeric inputs are scaled: same numbers
    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    zips = [f"{code:05d}" for code in rng.integers(0, 30, 300)]
    cells = [(f"{a:.3f}", zip_code, f"{b:.1f}", "xyz"[i % 3]) for i, (a, zip_code, b)
             in enumerate(zip(rng.normal(size=300), zips, rng.normal(5, 2, 300), strict=True))]
    path.write_text("a,zip,b,kind\n" + "".join(",".join(row) + "\n" for row in cells))
    data = TableDataModule(str(path), "kind", categorical=["zip"], test_size=0.2, val_size=0.2)
    data.setup("fit")
    rows = np.arange(300)
    train, test = train_test_split(rows, test_size=0.2, random_state=42, stratify=rows % 3)
    train, val = train_test_split(train, test_size=0.2, random_state=42, stratify=train % 3)
    encoder = OneHotEncoder(categories=[data.hparams.categories["zip"]], dtype=np.float32)
    for name, part in (("train", train), ("val", val), ("test", test)):
        one_hot = encoder.fit_transform([[cells[i][1]] for i in part]).toarray()
        expected = np.column_stack([[float(np.float32(cells[i][0])) for i in part], one_hot,
                                    [float(np.float32(cells[i][2])) for i in part]]).astype(np.float32)
        assert np.array_equal(data.splits[name][0].numpy(), expected), name
    features = data.splits["train"][0].double()
    mean, scale = data.feature_scaling()
    numeric = [0, features.shape[1] - 1]
    assert mean.tolist() == [*[features[:, 0].mean().float().item()], *[0.0] * 30, features[:, -1].mean().float().item()]
    assert scale[numeric].tolist() == features[:, numeric].std(dim=0, unbiased=False).float().tolist()
    assert scale[1:-1].tolist() == [1.0] * 30


def test_predictions_echo_the_numbers_of_a_file_to_predict_as_it_writes_them(cli):
    # an input's 40 was written 40.0 and 1.50 as 1.5 (the shortest text of the float32 the model read), while its
    # categorical cells were echoed as written: each numeric cell is now written back as the file wrote it
    write(cli.cwd / "p.csv", penguins(60))
    assert cli(*FIT[:-4], "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx",
               "false").returncode == 0
    (cli.cwd / "new.csv").write_text("bill_length_mm,island,bill_depth_mm,body_mass_g,sex,note\n"
                                     "40, Dream ,18.50,4e3,male,a\n"
                                     "-39.0,Biscoe,+17,  3700 ,female,=1\n")
    assert cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    written = list(csv.reader((run / "predictions-last-new.csv").open()))
    assert written[0][:6] == ["note", *COLUMNS[1:]]
    assert [row[:6] for row in written[1:]] == [["a", "Dream", "40", "18.50", "4e3", "male"],
                                                ["'=1", "Biscoe", "-39.0", "+17", "3700", "female"]]


def test_lookalike_categories_are_noted_and_a_missing_or_unseen_cell_is_pointed_to_the_models_unknown(cli):
    # fit said nothing of a column holding 'Male' and 'male' (two inputs), as it does of classes; a '?' or an
    # unseen value in a file to predict was refused without a word of the model's own 'unknown' category
    write(cli.cwd / "t.csv", [[f"{i % 7}", ["Male", "male", "unknown"][i % 3], f"0213{i % 2}", "xy"[i % 2]]
                              for i in range(60)], ["a", "sex", "zip", "kind"])
    result = cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
                 "--data.categorical", "[sex,zip]", "--trainer.max_epochs", "2", "--export.figures", "false",
                 "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert ("note: t.csv: the categorical column 'sex' holds the categories 'Male' and 'male', which differ only in "
            "case, spaces or how a number is written; they are two inputs of the model (make them one in the file if "
            "they are one)") in result.output
    (cli.cwd / "new.csv").write_text("a,sex,zip\n1,Male,02130\n2,?,02131\n")
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv")) == (
        "new.csv:3: sex='?' is a missing value; the model was trained with the category 'unknown' for values not "
        "known: write 'unknown' there if that is what it means, or fill it in or remove the row (blobclf drops no "
        "row itself)"
    )
    (cli.cwd / "new.csv").write_text("a,sex,zip\n1,Male,02130\n2,n.k.,02131\n")
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv")) == (
        "new.csv:3: sex='n.k.' is not one of the categories the model was trained on (Male, male, unknown); write "
        "one of them ('unknown', the model's category for values not known, if that is what it means), or remove "
        "the row (the model has no input for it)"
    )
    (cli.cwd / "new.csv").write_text("a,sex,zip\n1,Male,02130\n2,male,NA\n")
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv")) == (
        "new.csv:3: zip='NA' is a missing value; fill it in or remove the row (blobclf drops no row itself)"
    )
    (cli.cwd / "later.csv").write_text("a,sex,zip,kind\n1,Male,02130,x\n2,,02131,y\n")
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", "later.csv")) == (
        "later.csv:3: sex='' is a missing value; the model was trained with the category 'unknown' for values not "
        "known: write 'unknown' there if that is what it means, or fill it in or remove the row (blobclf drops no "
        "row itself)"
    )


def test_one_hot_inputs_beyond_the_memory_available_are_refused_before_they_are_made(cli, monkeypatch):
    # a column of too many categories for its rows made rows x categories inputs: the run grew until the machine
    # ran out of memory; it is refused once the categories are known, naming the column and the fix
    write(cli.cwd / "t.csv", [[f"{i}", f"id{i % 40:03d}", "xy"[i % 2]] for i in range(200)], ["a", "code", "kind"])
    monkeypatch.setattr("blobclf.tabledata.available_memory", lambda: 30_000)
    assert one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
                         "--data.categorical", "[code]")) == (
        "t.csv: the categorical column 'code' has 40 categories: 200 rows of 41 inputs need about 64.1 KiB of "
        "memory (with the standardized copy of full-batch training) and 29.3 KiB is available; group its rare "
        "categories into one (such as 'other'), or leave the column out of --data.categorical and the features"
    )


def test_the_one_hot_memory_check_counts_the_copy_that_training_makes(cli, monkeypatch):
    # it counted the inputs once; fit of 20,000 rows of 2,001 inputs peaked 1.9 times their size above a small
    # table's, the training batch's standardized copy on top of the inputs: 64.1 KiB here full-batch, and
    # (200 + 20) rows x 41 inputs x 4 bytes = 35.2 KiB in batches of 20, which the memory available holds
    write(cli.cwd / "t.csv", [[f"{i}", f"id{i % 40:03d}", "xy"[i % 2]] for i in range(200)], ["a", "code", "kind"])
    monkeypatch.setattr("blobclf.tabledata.available_memory", lambda: 40_000)
    fit = ("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind", "--data.categorical",
           "[code]", "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false")
    assert one_error(cli(*fit)) == (
        "t.csv: the categorical column 'code' has 40 categories: 200 rows of 41 inputs need about 64.1 KiB of "
        "memory (with the standardized copy of full-batch training) and 39.1 KiB is available; group its rare "
        "categories into one (such as 'other'), or leave the column out of --data.categorical and the features"
    )
    done = cli(*fit, "--data.batch_size", "20")
    assert done.returncode == 0, done.output


def test_one_hot_inputs_of_a_file_to_predict_or_test_beyond_the_memory_are_refused_before_they_are_made(
        cli, monkeypatch):
    # fit's check did not run for a file to predict (or a test table): its rows x categories inputs were made at
    # once, read whole, and a large file of a model of many categories grew until the memory ran out
    write(cli.cwd / "t.csv", [[f"{i}", f"id{i % 40:03d}", "xy"[i % 2]] for i in range(200)], ["a", "code", "kind"])
    assert cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
               "--data.categorical", "[code]", "--trainer.max_epochs", "1", "--export.figures", "false",
               "--export.onnx", "false").returncode == 0
    write(cli.cwd / "new.csv", [[f"{i}", f"id{i % 40:03d}", "xy"[i % 2]] for i in range(300)], ["a", "code", "kind"])
    monkeypatch.setattr("blobclf.data.available_memory", lambda: 30_000)
    # the peak is twice the inputs full-batch (the model's standardization makes one copy of the batch), the
    # inputs and one batch with --data.eval_batch_size
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv")) == (
        "new.csv: 300 rows of the model's 41 inputs (its categories one-hot) need about 96.1 KiB of memory (with "
        "their standardized copy) and 29.3 KiB is available; split the file into files of at most 91 rows"
    )
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv",
                         "--data.eval_batch_size", "50")) == (
        "new.csv: 300 rows of the model's 41 inputs (its categories one-hot) need about 56.1 KiB of memory (with a "
        "standardized batch of 50 rows) and 29.3 KiB is available; split the file into files of at most 132 rows"
    )
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", "new.csv")).startswith(
        "new.csv: 300 rows of the model's 41 inputs (its categories one-hot) need about 96.1 KiB of memory")
    assert not list((cli.cwd / "checkpoints" / "version_0").glob("predictions-*"))
    # the trained run's own splits: its categories cannot be grouped (as fit's refusal advises), other files tested
    assert one_error(cli("test", "--ckpt_path", "last")) == (
        "t.csv: 200 rows of the model's 41 inputs (its categories one-hot) need about 32.0 KiB of memory and "
        "29.3 KiB is available; the splits of the training table are made whole: test or predict files of at most "
        "182 rows instead (--data.test_path, --data.predict_file), or run on a machine with more memory"
    )


def test_a_categorical_column_of_mostly_single_rows_is_named_as_such(cli):
    # a product id given as categorical was refused for its first id held out ("add rows of it"): most of its
    # categories are on one row each, which no split can train on; the refusal now says so
    write(cli.cwd / "t.csv", [[f"{i}", f"p{i % 90:03d}", "xy"[i % 2]] for i in range(100)], ["a", "product", "kind"])
    line = one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
                         "--data.categorical", "[product]"))
    assert line.startswith("t.csv:") and line.endswith(
        "only in rows held out from training (1 row), so the model would have no input for it; 80 of its 90 categories "
        "are on one row each (an id?), which a model cannot learn from: group the rare categories into one (such as "
        "'other'), or leave the column out"), line
