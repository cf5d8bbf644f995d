"""Every figure renders a readable, non-blank PNG, with one colour per class across figures."""

from __future__ import annotations

import matplotlib
import matplotlib.image
import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from blobclf import BlobModel
from blobclf.figures import (
    accuracy_curves,
    class_colors,
    confusion_matrix_figure,
    data_scatter,
    decision_boundary,
    loss_curves,
    png_bytes,
    reliability_diagram,
    save_figure,
)
from blobclf.report import classification_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NUM_CLASSES = 4


def make_splits(n_features: int = 2, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Four small well-separated blobs, 80 train and 20 test points."""
    rng = np.random.default_rng(seed)
    centers = np.array([[-5.0, 5.0], [5.0, 5.0], [-5.0, -5.0], [5.0, -5.0]])
    y = np.repeat(np.arange(NUM_CLASSES), 25)
    x = centers[y] + rng.normal(scale=1.0, size=(len(y), 2))
    if n_features > 2:
        x = np.hstack([x, rng.normal(size=(len(y), n_features - 2))])
    order = rng.permutation(len(y))
    x, y = x[order].astype(np.float32), y[order]
    return {"train": (x[:80], y[:80]), "test": (x[80:], y[80:])}


def quadrant(x: np.ndarray) -> np.ndarray:
    """The blobs' true classes: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right."""
    return (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] < 0).astype(np.int64)


def make_report() -> dict:
    rng = np.random.default_rng(0)
    y = rng.integers(0, NUM_CLASSES, size=200)
    alpha = np.ones((200, NUM_CLASSES))
    alpha[np.arange(200), y] += 4.0
    gamma = rng.gamma(alpha)  # row-wise Dirichlet(alpha)
    return classification_report(y, gamma / gamma.sum(axis=1, keepdims=True))


def build(name: str) -> Figure:
    epochs = np.arange(1, 21)
    if name == "data_scatter":
        return data_scatter(make_splits())
    if name == "loss_curves":
        return loss_curves(epochs, np.exp(-epochs / 5), np.exp(-epochs / 6) + 0.05)
    if name == "accuracy_curves":
        return accuracy_curves(epochs, 1 - np.exp(-epochs / 5), 0.95 - np.exp(-epochs / 6))
    if name == "decision_boundary":
        return decision_boundary(quadrant, make_splits(), NUM_CLASSES, resolution=60)
    report = make_report()
    if name == "confusion_matrix":
        return confusion_matrix_figure(report["confusion_matrix"], class_names=["a", "b", "c", "d"])
    if name == "reliability_diagram":
        return reliability_diagram(report["reliability"], report["expected_calibration_error"])
    raise AssertionError(name)


FIGURES = [
    "data_scatter",
    "loss_curves",
    "accuracy_curves",
    "decision_boundary",
    "confusion_matrix",
    "reliability_diagram",
]


def assert_readable_png(path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert 300 <= height <= 3000 and 300 <= width <= 3000, image.shape
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05, "image is (nearly) blank"
    assert len(np.unique(rgb, axis=0)) > 20, "too few distinct colours"


@pytest.mark.parametrize("name", FIGURES, ids=FIGURES)
def test_figure_saves_as_a_readable_png(tmp_path, name):
    fig = build(name)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    path = save_figure(fig, tmp_path / "figs" / f"{name}.png")
    assert path == tmp_path / "figs" / f"{name}.png"
    assert_readable_png(path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


@pytest.mark.parametrize("name", ["data_scatter", "loss_curves", "accuracy_curves", "decision_boundary",
                                  "reliability_diagram"])
def test_figure_has_a_legend(name):
    fig = build(name)
    assert fig.axes[0].get_legend() is not None
    texts = [t.get_text() for legend in fig.axes[0].findobj(Legend) for t in legend.get_texts()]
    if name in ("data_scatter", "decision_boundary"):
        assert {f"class {c}" for c in range(NUM_CLASSES)} <= set(texts)
        assert {"train (80)", "test (20)"} <= set(texts)
    if name in ("loss_curves", "accuracy_curves"):
        assert any(t.startswith("train") for t in texts) and any(t.startswith("validation") for t in texts)


def test_titles_carry_the_headline_numbers():
    report = make_report()
    assert f"{report['accuracy']:.3f}" in confusion_matrix_figure(report["confusion_matrix"]).axes[0].get_title()
    ece = report["expected_calibration_error"]
    assert f"ECE {ece:.3f}" in reliability_diagram(report["reliability"], ece).axes[0].get_title()
    title = decision_boundary(quadrant, make_splits(), NUM_CLASSES, resolution=20).axes[0].get_title()
    assert "test accuracy 1.000" in title


def test_confusion_matrix_writes_every_count():
    matrix = [[5, 1], [0, 7]]
    ax = confusion_matrix_figure(matrix).axes[0]
    cell_texts = sorted(t.get_text() for t in ax.texts)
    assert cell_texts == ["0", "1", "5", "7"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"


def test_names_from_a_table_are_drawn_as_written(tmp_path):
    # a column named '$\\foo$' ended fit's figures in a ValueError (matplotlib read it as a formula);
    # a control character drew as a missing glyph, with a warning that wrote it raw to the terminal
    names = ["$\\bar$", "b\x1b[31m"]
    splits = {"train": (np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1]))}
    scatter = data_scatter(splits, 2, names, ("$\\foo$", "$x^{2$"))
    matrix = confusion_matrix_figure([[1, 0], [0, 1]], names)
    for figure in (scatter, matrix):
        save_figure(figure, tmp_path / "x.png")  # draws every text
    ax = scatter.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("\\$\\foo\\$", "\\$x^{2\\$")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train (2)"]
    assert [t.get_text() for t in ax.artists[0].get_texts()] == ["\\$\\bar\\$", "b\\x1b[31m"]
    assert [t.get_text() for t in matrix.axes[0].get_xticklabels()] == ["\\$\\bar\\$", "b\\x1b[31m"]


def test_class_colors_are_fixed_distinct_and_stable():
    colors = class_colors(4)
    assert colors == class_colors(4)
    assert len(set(colors)) == 4
    assert class_colors(10)[:4] == colors  # class c keeps its colour up to 10 classes
    assert len(set(class_colors(25))) == 25
    with pytest.raises(ValueError):
        class_colors(0)


def _class_facecolors(fig: Figure) -> dict[int, tuple]:
    """Face colour of every point collection, by class, from the ``"split/class c"`` gids."""
    found: dict[int, set] = {}
    for collection in fig.axes[0].collections:
        if isinstance(collection, PathCollection) and collection.get_gid():
            c = int(collection.get_gid().rsplit(" ", 1)[1])
            found.setdefault(c, set()).update(tuple(np.round(rgba[:3], 6)) for rgba in collection.get_facecolors())
    return {c: colors.pop() for c, colors in found.items() if len(colors) == 1}


def test_every_figure_draws_class_c_in_the_same_colour():
    expected = {c: tuple(np.round(to_rgba(color)[:3], 6)) for c, color in enumerate(class_colors(NUM_CLASSES))}
    scatter = data_scatter(make_splits())
    boundary = decision_boundary(quadrant, make_splits(), NUM_CLASSES, resolution=20)
    assert _class_facecolors(scatter) == expected
    assert _class_facecolors(boundary) == expected
    regions = boundary.axes[0].collections[0]  # the filled contour, drawn first
    region_colors = [tuple(np.round(to_rgba(c)[:3], 6)) for c in regions.get_cmap().colors]
    assert region_colors == [expected[c] for c in range(NUM_CLASSES)]


def test_legend_patches_use_the_class_colours():
    fig = data_scatter(make_splits())
    (legend,) = [legend for legend in fig.axes[0].findobj(Legend) if legend.get_title().get_text() == "class"]
    patches = {t.get_text(): h for t, h in zip(legend.get_texts(), legend.get_patches(), strict=True)}
    for c, color in enumerate(class_colors(NUM_CLASSES)):
        assert np.allclose(patches[f"class {c}"].get_facecolor(), to_rgba(color))


def test_decision_boundary_calls_predict_fn_on_a_float32_grid_around_the_data():
    splits = make_splits()
    calls: list[np.ndarray] = []

    def predict(x: np.ndarray) -> np.ndarray:
        calls.append(x)
        return quadrant(x)

    decision_boundary(predict, splits, NUM_CLASSES, resolution=30)
    grid = calls[0]
    assert grid.dtype == np.float32 and grid.shape == (30 * 30, 2)
    everything = np.concatenate([splits["train"][0], splits["test"][0]])
    assert np.all(grid.min(axis=0) < everything.min(axis=0))
    assert np.all(grid.max(axis=0) > everything.max(axis=0))


def test_decision_boundary_with_a_random_blob_model(tmp_path):
    torch.manual_seed(0)
    model = BlobModel(input_features=2, output_features=NUM_CLASSES).eval()

    def predict(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).argmax(dim=1).numpy()

    fig = decision_boundary(predict, make_splits(), NUM_CLASSES, resolution=50)
    assert_readable_png(save_figure(fig, tmp_path / "boundary.png"))


def test_decision_boundary_refuses_three_features():
    with pytest.raises(ValueError, match="2 input features.*has 3"):
        decision_boundary(quadrant, make_splits(n_features=3), NUM_CLASSES)


def test_data_scatter_draws_the_first_two_of_three_features():
    fig = data_scatter(make_splits(n_features=3))
    assert "features 0 and 1 of 3" in fig.axes[0].get_title()


@pytest.mark.parametrize(
    ("predict", "message"),
    [
        (lambda x: quadrant(x)[:-1], "one label per point"),
        (lambda x: quadrant(x) + 1, r"outside \[0, 4\)"),
        (lambda x: quadrant(x).astype(float), "integer labels"),
    ],
    ids=["wrong-length", "out-of-range", "float-labels"],
)
def test_decision_boundary_refuses_bad_predictions(predict, message):
    with pytest.raises(ValueError, match=message):
        decision_boundary(predict, make_splits(), NUM_CLASSES, resolution=10)


def test_many_classes_are_drawn_one_collection_per_split_each_point_in_its_class_colour():
    """A table of 1,000 classes spent 100 s of its run's figures on one matplotlib collection per class and split
    (4,000 scatter calls for its two figures): beyond 20 classes a split is one collection of per-point colours."""
    rng = np.random.default_rng(0)
    y = np.arange(600) % 300
    x = rng.normal(size=(600, 2)).astype(np.float32)
    fig = data_scatter({"train": (x[:500], y[:500]), "test": (x[500:], y[500:])}, num_classes=300)
    drawn = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert [c.get_gid() for c in drawn] == ["train/classes", "test/classes"]
    palette = np.array([to_rgba(color)[:3] for color in class_colors(300)])
    assert np.allclose(drawn[0].get_facecolors()[:, :3], palette[y[:500]])
    assert np.allclose(drawn[1].get_facecolors()[:, :3], palette[y[500:]])
    assert np.array_equal(drawn[1].get_offsets(), x[500:])
    boundary = decision_boundary(lambda p: np.zeros(len(p), dtype=np.int64), {"train": (x, y)}, 300, resolution=10)
    assert [c.get_gid() for c in boundary.axes[0].collections if c.get_gid()] == ["train/classes"]


def test_an_aliased_split_is_drawn_once():
    splits = make_splits()
    splits["val"] = splits["test"]  # as BlobDataModule does without val_size
    fig = data_scatter(splits)
    gids = {collection.get_gid().split("/")[0] for collection in fig.axes[0].collections}
    assert gids == {"train", "test"}


def test_curves_refuse_mismatched_lengths():
    with pytest.raises(ValueError, match="equal length"):
        loss_curves([1, 2, 3], [0.5, 0.4, 0.3], [0.6, 0.5])


def test_validation_curves_are_drawn_at_the_epochs_validated():
    # --trainer.check_val_every_n_epoch 2: validation values of epochs 1 and 3 beside training values of 0-3
    for draw in (loss_curves, accuracy_curves):
        axes = draw([0, 1, 2, 3], [0.9, 0.8, 0.7, 0.6], [0.85, 0.65], [1, 3]).axes[0]
        assert [list(line.get_xdata()) for line in axes.get_lines()] == [[0, 1, 2, 3], [1, 3]]
        assert list(axes.get_lines()[1].get_ydata()) == [0.85, 0.65]
    with pytest.raises(ValueError, match="equal length"):
        loss_curves([0, 1, 2, 3], [0.9, 0.8, 0.7, 0.6], [0.85, 0.65], [1, 2, 3])


def test_figures_stay_out_of_pyplot_and_leave_the_backend_alone(tmp_path):
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    before = plt.get_fignums()
    fig = data_scatter(make_splits())
    save_figure(fig, tmp_path / "x.png")
    assert plt.get_fignums() == before
    assert matplotlib.get_backend() == backend
    assert isinstance(fig.canvas, FigureCanvasAgg)


def test_save_figure_replaces_an_existing_file(tmp_path):
    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    save_figure(loss_curves([1, 2], [1.0, 0.5], [1.1, 0.6]), path)
    assert_readable_png(path)


def _assert_every_text_inside(fig):
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    inside = fig.bbox
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer)
        assert box.x0 >= inside.x0 and box.x1 <= inside.x1, (fig.axes[0].get_title(), box, inside)
        assert box.y0 >= inside.y0 and box.y1 <= inside.y1, (fig.axes[0].get_title(), box, inside)


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e4, 1e5, 1e9])
@pytest.mark.parametrize("epochs", [3, 100_000])
def test_curves_and_reliability_keep_every_text_inside(scale, epochs):
    x = np.arange(epochs)
    values = scale * (1 + np.exp(-x / max(epochs / 5, 1)))
    report = classification_report(np.array([0, 1, 1, 0]), np.array([[0.9, 0.1], [0.35, 0.65], [0.2, 0.8], [0.55, 0.45]]))
    _assert_every_text_inside(loss_curves(x, values, values * 0.9))
    _assert_every_text_inside(accuracy_curves(x, np.clip(values / values.max(), 0, 1), values / values.max()))
    _assert_every_text_inside(reliability_diagram(report["reliability"], report["expected_calibration_error"]))


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
@pytest.mark.parametrize("num_classes", [2, 4, 12])
def test_scatter_figures_keep_every_text_and_legend_inside(scale, num_classes):
    rng = np.random.default_rng(0)
    features = (rng.normal(size=(300, 2)) * scale).astype(np.float32)
    labels = np.arange(300) % num_classes
    splits = {"train": (features[:200], labels[:200]), "test": (features[200:], labels[200:])}
    _assert_every_text_inside(data_scatter(splits, num_classes))
    _assert_every_text_inside(
        decision_boundary(lambda points: (np.abs(points[:, 0] * 7 / scale)).astype(np.int64) % num_classes, splits, num_classes)
    )


@pytest.mark.parametrize("names", [["Adelie Penguin (Pygoscelis adeliae)", "Chinstrap penguin (Pygoscelis antarctica)",
                                    "Gentoo penguin (Pygoscelis papua)"], ["x" * 200, "y", "z"]])
def test_scatter_legends_of_long_class_names_stay_inside(names):
    # palmerpenguins' penguins-raw.csv: the class legend ran off the figure's right edge, cut mid-name
    # ("Adelie Pengu"), its title 'class' with it
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(90, 2)).astype(np.float32), np.arange(90) % 3
    splits = {"train": (features[:60], labels[:60]), "test": (features[60:], labels[60:])}
    for fig in (data_scatter(splits, 3, names), decision_boundary(lambda p: (p[:, 0] > 0).astype(np.int64), splits, 3,
                                                                  class_names=names)):
        _assert_every_text_inside(fig)
        (legend,) = [legend for legend in fig.axes[0].findobj(Legend) if legend.get_title().get_text() == "class"]
        renderer = fig.canvas.get_renderer()
        assert legend.get_window_extent(renderer).x1 <= fig.bbox.x1
        assert fig.axes[0].get_window_extent(renderer).width > 250  # a plot is left beside the legend
        shown = [text.get_text() for text in legend.get_texts()]
        assert shown == [name if len(name) <= 40 else name[:39] + "\u2026" for name in names]


@pytest.mark.parametrize("names", [None, ["a", "b"], ["a rather long class name", "another long one"]])
@pytest.mark.parametrize("count", [3, 10**9])
def test_confusion_matrix_keeps_every_text_inside(names, count):
    _assert_every_text_inside(confusion_matrix_figure(np.array([[count, 1], [2, count]]), names))


@pytest.mark.parametrize("length", [60, 20_000])
def test_long_names_are_cut_short_and_never_end_a_figure(length):
    # class names of 60 letters left the confusion matrix no room ("bottom cannot be >= top"), feature names of
    # 300 the scatter figures: a ValueError ended fit's figures, and fit with them before model.json was written
    names = ["A" * length, "B" * length, "c"]
    matrix = confusion_matrix_figure(np.eye(3, dtype=int), names)
    _assert_every_text_inside(matrix)
    assert [text.get_text() for text in matrix.axes[0].get_xticklabels()] == ["A" * 23 + "\u2026", "B" * 23 + "\u2026", "c"]
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(30, 2)).astype(np.float32), np.arange(30) % 3
    scatter = data_scatter({"train": (features, labels)}, 3, names, axis_labels=("x" * length * 5, "y" * length * 5))
    _assert_every_text_inside(scatter)
    assert (scatter.axes[0].get_xlabel(), scatter.axes[0].get_ylabel()) == ("x" * 29 + "\u2026", "y" * 29 + "\u2026")
    # wider texts than any cut allows for (here 40 wide letters in the legend and on each axis) run off the figure
    # rather than end it
    wide = data_scatter({"train": (features, labels)}, 3, ["W" * 40] * 3, axis_labels=("W" * 40, "W" * 40))
    assert wide.axes[0].get_position().width >= 0.099


def test_figures_go_to_tensorboard_as_the_very_png_bytes(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    from blobclf.artifacts import log_figures, png_size

    rendered = {"data": png_bytes(confusion_matrix_figure(np.eye(3))), "loss_curves": png_bytes(loss_curves([0, 1], [1, 0.5], [1, 0.6]))}
    writer = SummaryWriter(str(tmp_path))
    log_figures(writer, rendered, step=7)
    writer.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"images": 0})
    events.Reload()
    assert events.Tags()["images"] == ["figures/data"]  # curves are TensorBoard's own Scalars
    (image,) = events.Images("figures/data")
    assert (image.step, image.encoded_image_string) == (7, rendered["data"])
    assert (image.width, image.height) == png_size(rendered["data"]) == (700, 500)
    with pytest.raises(ValueError, match="not a PNG file"):
        png_size(b"GIF89a" + bytes(30))


def test_large_splits_are_drawn_as_a_sample_and_the_legend_says_so():
    from blobclf.figures import MAX_DRAWN

    rng = np.random.default_rng(1)
    n = 3 * MAX_DRAWN
    features, labels = rng.normal(size=(n, 2)).astype(np.float32), np.arange(n) % 4
    splits = {"train": (features, labels), "test": (features[:500], labels[:500])}
    for fig in (data_scatter(splits, 4),
                decision_boundary(lambda p: (p[:, 0] > 0).astype(np.int64), splits, 4)):
        ax = fig.axes[0]
        drawn = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
        assert drawn == MAX_DRAWN + 500
        texts = [t.get_text() for legend in fig.legends + [ax.get_legend(), *[a for a in ax.artists if isinstance(a, Legend)]]
                 if legend is not None for t in legend.get_texts()]
        assert f"train ({MAX_DRAWN:,} of {n:,} drawn)" in texts and "test (500)" in texts
    # the accuracy in the title is over every test point, not the sample
    title = decision_boundary(lambda p: (p[:, 0] > 0).astype(np.int64), splits, 4).axes[0].get_title()
    expected = np.mean((features[:500, 0] > 0).astype(np.int64) == labels[:500])
    assert title.endswith(f"(test accuracy {expected:.3f})")


def test_decision_boundary_of_features_near_float32s_largest_value(tmp_path):
    """Two features spanning -3e38 to 3.4e38 (valid float32 values, as a table may hold) overflowed the grid's
    bounds to inf: 'Axis limits cannot be NaN or Inf' after training, and the run's model.json never written."""
    rng = np.random.default_rng(0)
    x = np.clip(rng.normal(size=(40, 2)) * 2e38, -3.0e38, 3.4e38).astype(np.float32)
    x[0] = [3.4e38, -3.0e38]
    splits = {"train": (x, (x[:, 0] > 0).astype(np.int64))}
    calls: list[np.ndarray] = []

    def predict(points: np.ndarray) -> np.ndarray:
        calls.append(points)
        return (points[:, 0] > 0).astype(np.int64)

    fig = decision_boundary(predict, splits, 2, resolution=20)
    grid = calls[0]
    assert grid.dtype == np.float32 and np.isfinite(grid).all()
    assert grid[:, 0].max() == np.float32(3.4028235e38) and grid[:, 0].min() < -3.0e38
    assert_readable_png(save_figure(fig, tmp_path / "boundary.png"))


def test_a_confusion_matrix_of_hundreds_of_classes_is_drawn_without_a_text_per_cell(tmp_path):
    """300 classes wrote 90,000 counts in overlapping 12-point text and 300 names per axis: 90 s per figure, in every
    fit and test of such a table, for a picture no one could read. Up to 20 classes every count is written."""
    import time

    k = 300
    matrix = np.diag(np.arange(1, k + 1))
    start = time.perf_counter()
    fig = confusion_matrix_figure(matrix, [f"class {c}" for c in range(k)])
    assert_readable_png(save_figure(fig, tmp_path / "matrix.png"))
    assert time.perf_counter() - start < 15  # about 1 s
    ax = fig.axes[0]
    assert len(ax.texts) == 0 and ax.get_title() == "Confusion matrix (accuracy 1.000, n=45150)"
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["class 0", "class 15", "class 30"]
    assert ax.get_xlabel() == "predicted (every 15th class named; counts in the report)"
    _assert_every_text_inside(fig)
    small = confusion_matrix_figure(np.diag(np.arange(1, 21)), [str(c) for c in range(20)]).axes[0]
    assert len(small.texts) == 400 and small.get_xlabel() == "predicted" and len(small.get_xticklabels()) == 20
    _assert_every_text_inside(small.figure)


def test_a_scatter_legend_of_hundreds_of_classes_names_a_few_and_counts_the_rest():
    """A legend of 300 classes ran off the figure (cut after the 22nd, under the split legend)."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(600, 2)).astype(np.float32)
    labels = np.arange(600) % 300
    fig = data_scatter({"train": (features[:400], labels[:400]), "test": (features[400:], labels[400:])}, 300,
                       [f"species {c}" for c in range(300)])
    _assert_every_text_inside(fig)
    classes = next(artist for artist in fig.axes[0].artists if isinstance(artist, Legend))
    assert [t.get_text() for t in classes.get_texts()] == [f"species {c}" for c in range(11)] + ["... 289 more"]
