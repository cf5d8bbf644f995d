"""Tables: reading CSV by column name, bad tables refused in one line, and a table run end to end."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, example_datasets, one_error

from blobclf.errors import UserError
from blobclf.export import load_model
from blobclf.safeload import load_checkpoint
from blobclf.table import class_order, read_table
from blobclf.tabledata import TableDataModule

pytestmark = pytest.mark.usefixtures("cli_messages")  # refusals pin the command line's text

write_dataset = example_datasets().write_dataset

TABLE_CONFIG = str(REPO / "configs" / "table.yaml")
GOOD = "a,b,kind\n" + "".join(f"{i},{i % 7 * 0.5},{'xyz'[i % 3]}\n" for i in range(30))

# each bad table (file content) and the exact line blobclf answers with; t.csv is the table
BAD_TABLES = [
    ("a,b,color,kind\n1,2,red,x\n3,4,blue,y\n", "t.csv:2: feature column 'color' holds 'red', not a number; "
     "to leave the column out, list the features: --data.features '[a,b]', or to one-hot encode it as categories, "
     "give --data.categorical '[color]'"),
    ("a,b,kind\n1,2,x\n3,,y\n4,NA,x\n5,6,y\n", "t.csv: column 'b' has 2 missing values (first on line 3); "
     "fill them in or remove those rows, or leave those rows out with --data.missing drop"),
    ("a,b,kind\n1,2,x\n3,4,\n5,6,y\n", "t.csv: column 'kind' has 1 missing value (first on line 3); "
     "fill them in or remove those rows, or leave those rows out with --data.missing drop"),
    ("a,b,species\n1,2,x\n", "t.csv: no target column 'kind'; the columns are: a, b, species (choose one with --data.target)"),
    ("a,b,kind\n1,2,x\n3,4,x\n5,6,x\n", "t.csv: the target column 'kind' holds a single class ('x'); a classifier "
     "needs at least 2"),
    ("a,b,kind\n1,2,x\n3,4,x\n5,6,y\n7,8,y\n9,9,z\n", "t.csv: class 'z' has only 1 row(s); a stratified split into "
     "train and test needs at least 2 of every class (add rows of it or remove them)"),
    ("a,b,a,kind\n1,2,3,x\n", "t.csv:1: column name 'a' appears twice in the header (columns 1 and 3); rename one"),
    ("", "t.csv: the file is empty; expected a header row naming the columns, then one row per sample"),
    ("\n\n", "t.csv: the file is empty; expected a header row naming the columns, then one row per sample"),
    ("a,b,kind\n", "t.csv: the file has a header but no rows"),
    ("a,b,kind\n1,2,x\n3,4,5,y\n", "t.csv:3: 4 columns, expected 3 as in the header"),
    ("a,b,kind\n1,2,x\n3,inf,y\n", ("t.csv:3: column 'b' holds 'inf', not a finite float32 number; write a number "
                                    "between -3.4e38 and 3.4e38, or remove the row (blobclf drops no row itself)")),
    ("1,2,3\n4,5,6\n", "t.csv:1: the first row holds numbers ('1', ...), not column names; add a header row naming "
     "the columns"),
    (b"a,b,kind\n1,2,x\n3,4,\xe9\n", ("t.csv:3: not UTF-8 text (byte 0xe9, 'é' if the file is Windows-1252 / Latin-1); "
                                      "save it as UTF-8 (\"CSV UTF-8\" in Excel), or convert it: iconv -f WINDOWS-1252 -t "
                                      "UTF-8 t.csv > t-utf8.csv")),
]
BAD_IDS = ["non-numeric", "missing-values", "missing-target", "no-target-column", "single-class", "rare-class",
           "duplicate-columns", "empty", "blank-lines-only", "header-only", "long-row", "infinite", "no-header",
           "not-utf8"]


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


# --- reading ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "message"), BAD_TABLES, ids=BAD_IDS)
def test_bad_tables_are_refused_with_their_exact_line(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", content)
    with pytest.raises(UserError) as error:
        TableDataModule("t.csv", "kind").setup("fit")
    assert str(error.value) == message


@pytest.mark.parametrize(("content", "message"), BAD_TABLES[:7], ids=BAD_IDS[:7])
def test_bad_tables_on_the_command_line_write_nothing(cli, content, message):
    write(cli.cwd / "t.csv", content)
    line = one_error(cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind"))
    assert line == message
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["t.csv"]


def test_a_test_table_with_other_columns_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "train.csv", GOOD)
    write(tmp_path / "test.csv", "a,c,kind\n1,2,x\n")
    data = TableDataModule("train.csv", "kind", test_path="test.csv")
    with pytest.raises(UserError) as error:
        data.setup("fit")
    assert str(error.value) == "test.csv: its columns differ from the training table train.csv's: missing 'b'; extra 'c'"


def test_a_test_table_of_many_other_columns_names_twenty_of_each(tmp_path, monkeypatch):
    # each list was whole (a line of 100,000 names), found by a list search per column (minutes at 100,000)
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "train.csv", GOOD)
    others = [f"o{index}" for index in range(30)]
    write(tmp_path / "test.csv", ",".join(["a", *others, "kind"]) + "\n" + ",".join(["1"] * 32) + "\n")
    data = TableDataModule("train.csv", "kind", test_path="test.csv")
    with pytest.raises(UserError) as error:
        data.setup("fit")
    shown = ", ".join(repr(name) for name in others[:20])
    assert str(error.value) == (
        f"test.csv: its columns differ from the training table train.csv's: missing 'b'; extra {shown}, ... (10 more)")


def test_features_not_in_the_table_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", GOOD)
    with pytest.raises(UserError) as error:
        TableDataModule("t.csv", "kind", features=["a", "q"]).setup("fit")
    assert str(error.value) == "t.csv: --data.features names 'q', which is not a column; the columns are: a, b, kind"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_the_delimiter_is_detected(tmp_path, delimiter):
    path = write(tmp_path / "t.csv", GOOD.replace(",", delimiter))
    table = read_table(path, "kind")
    assert table.feature_names == ["a", "b"] and table.features.shape == (30, 2)
    assert table.classes == ["x", "y", "z"]
    assert table.labels[:4].tolist() == [0, 1, 2, 0]


def test_every_row_is_kept_with_quotes_blank_lines_and_unused_text_columns(tmp_path):
    path = write(tmp_path / "t.csv", 'id,"a",b,kind\nr1,"1.5",2,x\n\nr2,3,4e1,y\nr3,-5,6,x\n')
    table = read_table(path, "kind", features=["b", "a"])
    assert table.features.tolist() == [[2.0, 1.5], [40.0, 3.0], [6.0, -5.0]]
    assert table.labels.tolist() == [0, 1, 0]


def test_number_classes_are_ordered_by_value_and_text_classes_alphabetically():
    assert class_order(["10", "9", "-1"]) == ["-1", "9", "10"]
    assert class_order(["10.0", "2.0", "1.0"]) == ["1.0", "2.0", "10.0"]  # pandas writes ints as floats beside NaN
    assert class_order(["1.0", "1", "0.5"]) == ["0.5", "1", "1.0"]  # distinct names, equal values: as text
    assert class_order(["2", "nan"]) == ["2", "nan"] and class_order(["inf", "10"]) == ["10", "inf"]
    assert class_order(["b", "a", "10"]) == ["10", "a", "b"]


def test_the_split_is_stratified_seeded_and_drops_no_row(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", GOOD)
    data = TableDataModule("t.csv", "kind", val_size=0.25)
    data.setup("fit")
    sizes = {name: len(split[1]) for name, split in data.splits.items()}
    assert sizes == {"train": 18, "val": 6, "test": 6} and sum(sizes.values()) == 30
    for name in ("train", "val", "test"):
        assert torch.bincount(data.splits[name][1]).tolist() == [sizes[name] // 3] * 3
    again = TableDataModule("t.csv", "kind", val_size=0.25)
    again.setup("fit")
    assert torch.equal(again.splits["train"][0], data.splits["train"][0])
    assert data.hparams.classes == ["x", "y", "z"] and data.hparams.features == ["a", "b"]


def test_standardization_statistics_come_from_the_training_split_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", GOOD)
    data = TableDataModule("t.csv", "kind")
    mean, scale = data.feature_scaling()
    train = data.splits["train"][0].double()
    assert torch.allclose(mean.double(), train.mean(dim=0), atol=1e-6)
    assert torch.allclose(scale.double(), train.std(dim=0, unbiased=False), atol=1e-6)
    everything = torch.cat([train, data.splits["test"][0].double()])
    assert not torch.allclose(mean.double(), everything.mean(dim=0), atol=1e-3)


# --- a short table run, end to end --------------------------------------------------------------------

def test_a_table_run_keeps_names_and_raw_inputs_everywhere(cli):
    write_dataset("iris", cli.cwd)
    result = cli("fit", "--config", TABLE_CONFIG, "--data.path", "iris.csv", "--data.target", "species",
                 "--trainer.max_epochs", "5")
    assert result.returncode == 0, result.output
    run = cli.cwd / "checkpoints" / "version_0"
    checkpoint = load_checkpoint(run / "last.ckpt")
    classes = ["setosa", "versicolor", "virginica"]
    features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert checkpoint["hyper_parameters"]["class_names"] == classes
    assert checkpoint["hyper_parameters"]["feature_names"] == features
    metadata = json.loads((run / "model.json").read_text())
    assert metadata["classes"] == classes and metadata["features"] == features
    assert metadata["model_class"] == "blobclf.model.ScaledBlobModel"
    # the standardization is the training split's, inside the model
    data = TableDataModule("iris.csv", "species")
    mean, scale = data.feature_scaling()
    assert metadata["standardization"]["mean"] == pytest.approx(mean.tolist())
    assert torch.equal(checkpoint["state_dict"]["model.scale"], scale)

    # predict on raw rows, columns in another order, an id carried through
    rows = [["p1", "0.2", "5.1", "3.5", "1.4"], ["p2", "2.0", "6.5", "3.0", "5.5"], ["p3", "1.3", "5.7", "2.8", "4.1"]]
    with (cli.cwd / "new.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["id", "petal_width", "sepal_length", "sepal_width", "petal_length"], *rows])
    result = cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv", "--prediction.output", "out.csv")
    assert result.returncode == 0, result.output
    with (cli.cwd / "out.csv").open() as handle:
        header, *written = list(csv.reader(handle))
    assert header == ["id", *features, *(f"prob_{c}" for c in classes), "predicted"]
    assert [r[0] for r in written] == ["p1", "p2", "p3"]
    probabilities = np.array([[float(v) for v in r[5:8]] for r in written])
    raw = np.array([[float(r[2]), float(r[3]), float(r[4]), float(r[1])] for r in rows], dtype=np.float32)
    model = load_model(run / "model.pth")
    with torch.inference_mode():
        from_weights = torch.softmax(model(torch.from_numpy(raw)), dim=1).numpy()
    assert np.abs(from_weights - probabilities).max() <= 1e-6
    assert [r[8] for r in written] == [classes[i] for i in probabilities.argmax(axis=1)]
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(str(run / "model.onnx"))
    (from_onnx,) = session.run(["probabilities"], {"features": raw})
    assert np.abs(from_onnx - probabilities).max() <= 1e-5

    # a prediction table without a feature is refused, naming file, line and column
    (cli.cwd / "short.csv").write_text("id,sepal_length,sepal_width,petal_length\np1,5.1,3.5,1.4\n")
    line = one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "short.csv"))
    assert line == ("short.csv:1: no column 'petal_width', which the model needs; the columns are: id, sepal_length, "
                    "sepal_width, petal_length (the model's features: sepal_length, sepal_width, petal_length, petal_width)")


# --- names and projections in reports and figures ------------------------------------------------------

def test_reports_and_logged_tags_name_the_classes():
    from blobclf.artifacts import report_scalars
    from blobclf.report import classification_report

    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    report = classification_report(np.array([0, 1, 1]), probabilities, class_names=["cat", "dog"])
    assert report["classes"] == ["cat", "dog"]
    assert [(row["class"], row["name"], row["support"]) for row in report["per_class"]] == [(0, "cat", 1), (1, "dog", 2)]
    assert report_scalars(report, "test")["test/recall_dog"] == 0.5
    blobs = classification_report(np.array([0, 1, 1]), probabilities, class_names=["0", "1"])
    assert "test/recall_class1" in report_scalars(blobs, "test")


@pytest.mark.parametrize("class_names", [["a", "b", "c"], ["Adelie", "Chinstrap", "Gentoo"]])
def test_the_pca_figures_keep_their_titles_inside(class_names):
    # every table of 3+ features had its decision boundary's title cut at the left ("ision boundary on the
    # PCA plane (accuracy ...") in decision_boundary.png: the title is wider than the axes beside the legends
    from blobclf.artifacts import fit_figures
    from blobclf.model import BlobModel

    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(60, 5)).astype(np.float32), rng.normal(size=(20, 5)).astype(np.float32)
    splits = {"train": (torch.from_numpy(train), torch.arange(60) % 3), "test": (torch.from_numpy(test), torch.arange(20) % 3)}
    for fig in fit_figures(BlobModel(5, 3), splits, 3, {}, class_names).values():
        renderer = fig.canvas.get_renderer()
        fig.draw(renderer)
        box = fig.axes[0].get_tightbbox(renderer)
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y0 >= 0 and box.y1 <= fig.bbox.height, (
            fig.axes[0].get_title(), box)
    title = fig.axes[0].get_title()
    assert title.startswith("Decision boundary on the PCA plane\n(accuracy of the test points moved onto it 0.")


def test_more_than_two_features_are_drawn_in_the_pca_plane_of_the_training_split():
    from blobclf.artifacts import fit_figures
    from blobclf.model import BlobModel
    from blobclf.projection import Projection

    rng = np.random.default_rng(0)
    train = rng.normal(size=(60, 4)).astype(np.float32) * [1, 10, 100, 1000]
    test = rng.normal(size=(20, 4)).astype(np.float32)
    splits = {"train": (torch.from_numpy(train), torch.arange(60) % 3), "test": (torch.from_numpy(test), torch.arange(20) % 3)}
    drawn = fit_figures(BlobModel(4, 3), splits, 3, {}, ["a", "b", "c"])
    assert set(drawn) == {"data", "decision_boundary"}
    ax = drawn["decision_boundary"].axes[0]
    assert ax.get_xlabel().startswith("PC1 (") and ax.get_title().startswith("Decision boundary on the PCA plane")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train (60)", "test (20)"]
    (classes,) = [artist for artist in ax.artists if hasattr(artist, "get_texts")]
    assert [t.get_text() for t in classes.get_texts()] == ["a", "b", "c"]
    projection = Projection(train)
    assert sum(projection.explained) <= 1.0
    plane = projection.transform(train[:5])
    # points of the plane map back to features that project onto the same points
    assert np.allclose(projection.transform(projection.inverse(plane)), plane, atol=1e-3)
    # standardized first: the feature in the largest units does not take the first axis alone
    assert projection.explained[0] < 0.9


def test_the_pca_planes_decision_boundary_of_a_wide_table_is_predicted_in_blocks():
    """The 200 x 200 grid was mapped back to every feature at once: a 500 x 10,000 table's fit peaked at 6.9 GB
    (0.57 GB without figures) and took 72 s; in blocks of at most PLANE_VALUES values it peaks at 0.74 GB, 35 s."""
    from blobclf.artifacts import PLANE_VALUES, fit_figures
    from blobclf.model import BlobModel

    features = 300  # the grid is 40,000 x 300 = 12 million values, three times PLANE_VALUES
    rng = np.random.default_rng(0)
    train = torch.from_numpy(rng.normal(size=(60, features)).astype(np.float32))
    test = torch.from_numpy(rng.normal(size=(20, features)).astype(np.float32))
    model = BlobModel(features, 3)
    largest = []
    model.register_forward_pre_hook(lambda module, inputs: largest.append(inputs[0].numel()))
    drawn = fit_figures(model, {"train": (train, torch.arange(60) % 3), "test": (test, torch.arange(20) % 3)}, 3, {})
    assert set(drawn) == {"data", "decision_boundary"}
    assert max(largest) <= PLANE_VALUES
    assert sum(largest) == (200 * 200 + 20) * features  # every grid point and test point, each once


def test_reports_for_an_old_table_run_are_rebuilt_with_names(cli):
    from blobclf.regenerate import regenerate

    write_dataset("wine", cli.cwd)
    result = cli("fit", "--config", TABLE_CONFIG, "--data.path", "wine.csv", "--data.target", "cultivar",
                 "--trainer.max_epochs", "3", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    written = regenerate(cli.cwd / "checkpoints" / "version_0", cli.cwd / "again")
    assert {"data", "decision_boundary", "test_report"} <= set(written)
    assert any(name.startswith("confusion_matrix_test") for name in written)
    report = json.loads(written["test_report"].read_text())
    assert report["classes"] == ["class_0", "class_1", "class_2"] and report["n_samples"] == 36
    # a separate test table, given only now: columns by name (in another order), the checkpoint's classes
    lines = (cli.cwd / "wine.csv").read_text().splitlines()
    header = lines[0].split(",")
    order = [header[-1], *header[:-1]]
    with (cli.cwd / "later.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(order)
        for line in lines[1:11]:
            cells = dict(zip(header, line.split(","), strict=True))
            writer.writerow([cells[c] for c in order])
    result = cli("test", "--ckpt_path", "last", "--data.test_path", "later.csv")
    assert result.returncode == 0, result.output
    (path,) = (cli.cwd / "checkpoints" / "version_0").glob("test_report*.json")
    assert path.name == "test_report-last-later.json"  # named after the checkpoint and the test table
    report = json.loads(path.read_text())
    assert report["n_samples"] == 10 and [row["support"] for row in report["per_class"]] == [10, 0, 0]
    # an edited checkpoint whose class names no longer fit its outputs is refused in one line
    checkpoint = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")
    checkpoint["hyper_parameters"]["class_names"] = ["class_0", "class_1"]
    torch.save(checkpoint, cli.cwd / "edited.ckpt")
    line = one_error(cli("test", "--ckpt_path", "edited.ckpt"))
    assert line == ("checkpoint 'edited.ckpt' was not written by 'blobclf fit' (or was edited): class_names must be 3 "
                    "distinct names, got ['class_0', 'class_1']")


def test_two_table_features_are_drawn_as_they_are_with_their_column_names():
    from blobclf.artifacts import fit_figures
    from blobclf.model import BlobModel

    rng = np.random.default_rng(1)
    splits = {"train": (torch.from_numpy(rng.normal(size=(30, 2)).astype(np.float32)), torch.arange(30) % 2)}
    drawn = fit_figures(BlobModel(2, 2), splits, 2, {}, ["no", "yes"], ["petal_length", "petal_width"])
    for name in ("data", "decision_boundary"):
        ax = drawn[name].axes[0]
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("petal_length", "petal_width")
    assert drawn["data"].axes[0].get_title() == "Data by class and split"


def test_the_base_data_class_is_refused_in_one_line(cli):
    line = one_error(cli("fit", "--data", "SplitDataModule"))
    assert line == ("SplitDataModule is the base of blobclf's data modules, not data; use --data BlobDataModule "
                    "(the default) or --data TableDataModule")


def test_a_training_table_changed_since_the_checkpoint_is_refused_before_anything_is_written(cli):
    write_dataset("wine", cli.cwd)
    result = cli("fit", "--config", TABLE_CONFIG, "--data.path", "wine.csv", "--data.target", "cultivar",
                 "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")["TableDataModule"]["sha256"]
    original = (cli.cwd / "wine.csv").read_bytes()
    # the same bytes elsewhere are the same table
    (cli.cwd / "copy").mkdir()
    (cli.cwd / "copy" / "wine.csv").write_bytes(original)
    assert cli("test", "--ckpt_path", "last").returncode == 0
    # a row appended: every command that would split it again is refused, and writes nothing
    lines = original.decode().splitlines()
    (cli.cwd / "wine.csv").write_text("\n".join([*lines, lines[1]]) + "\n")
    before = sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*"))
    expected = ("wine.csv changed since the checkpoint was trained on it (its SHA-256 differs): its splits would "
                "hold other rows, the test split maybe training rows; restore the table, or test on another table "
                "with --data.test_path")
    for command in (["test"], ["validate"], ["predict"]):
        fix = "or predict another table's rows with --data.predict_file" if command == ["predict"] else None
        wanted = expected.replace("or test on another table with --data.test_path", fix) if fix else expected
        assert one_error(cli(command[0], "--ckpt_path", "last", *command[1:])) == wanted, command
    # a resume is told what a resume can do instead
    resume = expected.replace("restore the table, or test on another table with --data.test_path",
                              "restore the table to resume this run, or train a new run on the changed table "
                              "(no --ckpt_path)")
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")) == resume
    assert sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*")) == before
    from blobclf.regenerate import regenerate

    with pytest.raises(UserError, match="wine.csv changed since the checkpoint was trained on it"):
        regenerate(cli.cwd / "checkpoints" / "version_0", cli.cwd / "again")
    # a separate test table needs no training table
    (cli.cwd / "later.csv").write_text("\n".join(lines[:11]) + "\n")
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "later.csv").returncode == 0
    # the table as it was: accepted again
    (cli.cwd / "wine.csv").write_bytes(original)
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3").returncode == 0


def test_a_table_of_many_columns_is_read_in_linear_time(tmp_path):
    # each column was looked up in the list of all columns: 30,000 columns (a 250 KB header) took 20 s to read,
    # 200,000 (2 MB) more than two minutes before 'fit' said anything
    columns = 30_000
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(columns)) + ",kind\n"
                    + "".join(",".join([str(row)] * columns) + f",{'xy'[row % 2]}\n" for row in range(4)))
    started = time.perf_counter()
    table = read_table(path, "kind")
    assert time.perf_counter() - started < 5  # 0.14 s measured
    assert table.features.shape == (4, columns) and float(table.features[3, -1]) == 3.0


def test_a_wide_tables_pca_plane_is_found_by_a_seeded_randomized_svd_in_float32():
    # a categorical column of 5,000 categories made 5,002 inputs: the full SVD of 24,000 x 5,002 in float64 ran for
    # over 10 minutes at 6 GB (then killed); over EXACT_FEATURES inputs the plane is a seeded randomized SVD's
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from blobclf.projection import EXACT_FEATURES, Projection

    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(300, 2)) * [5, 3]
    mixing = rng.normal(size=(2, EXACT_FEATURES + 1))
    wide = (hidden @ mixing + rng.normal(size=(300, EXACT_FEATURES + 1)) * 0.1).astype(np.float32)
    projection = Projection(wide)
    assert projection.pipeline.named_steps["pca"].svd_solver == "randomized" and projection.dtype is np.float32
    assert projection.transform(wide).dtype == np.float32 and projection.inverse(np.zeros((2, 2))).dtype == np.float32
    exact = Projection(wide[:, :EXACT_FEATURES])
    assert exact.pipeline.named_steps["pca"].svd_solver == "full" and exact.dtype is np.float64
    # the same plane as the exact SVD finds (up to the sign of each axis), and the same each time
    again = Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=2, svd_solver="full"))]).fit(wide)
    cosines = np.abs(np.sum(projection.pipeline.named_steps["pca"].components_ * again.named_steps["pca"].components_,
                            axis=1))
    assert np.all(cosines > 0.9999), cosines
    assert np.allclose(projection.explained, again.named_steps["pca"].explained_variance_ratio_, rtol=1e-4)
    assert np.array_equal(Projection(wide).transform(wide), projection.transform(wide))
