"""Figures of the data, the training curves and the trained classifier, drawn headless.

Every function builds a standalone :class:`matplotlib.figure.Figure` on an Agg canvas and
returns it: nothing touches ``pyplot``'s global state or the configured backend, so importing
this module or drawing a figure has no side effects and works without a display. Save a figure
with :func:`save_figure`. Every class is drawn in the colour :func:`class_colors` gives it, in
every figure.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from blobclf.atomic import atomic_write
from blobclf.errors import printable

FIGSIZE = (7.0, 5.0)
MATRIX_COUNTS = 20
"""Classes up to which a confusion matrix writes each cell's count (hundreds of classes would be tens of thousands of
overlapping texts, slow to draw)."""
MATRIX_TICKS = 20
"""Class names a confusion matrix's axes show at most (every second, third ... one beyond)."""
LEGEND_CLASSES = 12
"""Entries a scatter figure's class legend holds at most (beyond, the last says how many more classes there are)."""
CLASS_COLLECTIONS = 20
"""A scatter figure draws a collection of points per class up to this many classes (the tab10 and tab20
palettes), beyond it one per split."""
LEGEND_NAME_CHARS = 40
"""A class name longer than this is cut short (ending in an ellipsis) in a scatter figure's legend."""
AXIS_NAME_CHARS = 30
"""A feature name longer than this is cut short (ending in an ellipsis) on a scatter figure's axis: 300 characters
left no room for the plot."""
MATRIX_NAME_CHARS = 24
"""A class name longer than this is cut short (ending in an ellipsis) on a confusion matrix's axes: 60 characters
left no room for the matrix, and ended the figure (and ``fit``) in a ValueError."""
DPI = 100
SPLIT_MARKERS = {"train": "o", "val": "s", "test": "^"}
"""Marker of each split; any other split name gets one of ``_EXTRA_MARKERS``."""
_EXTRA_MARKERS = ("D", "P", "v", "*", "X")
_REGION_ALPHA = 0.25
MAX_DRAWN = 10_000
"""Most points of one split drawn in a scatter figure; a larger split is drawn as a fixed random
sample of this size (the legend says so), which keeps a figure of millions of points quick and small."""

Splits = Mapping[str, tuple[Any, Any]]
"""``{split name: (features (N, F), labels (N,))}``; numpy arrays or CPU tensors."""


def class_colors(num_classes: int) -> list[str]:
    """One fixed colour per class, as ``"#rrggbb"`` strings; class ``c`` is ``colors[c]``.

    Up to 10 classes take the ``tab10`` palette, so class ``c`` keeps its colour whatever the
    number of classes; 11 to 20 classes take ``tab20`` and more take evenly spaced ``turbo``.

    Args:
        num_classes: Number of classes, at least 1.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be an integer >= 1, got {num_classes!r}")
    if num_classes <= 10:
        palette = colormaps["tab10"].colors[:num_classes]
    elif num_classes <= 20:
        palette = colormaps["tab20"].colors[:num_classes]
    else:
        palette = colormaps["turbo"](np.linspace(0.0, 1.0, num_classes))
    return [to_hex(color) for color in palette]


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
    """Write ``fig`` as a PNG to ``path`` atomically (temporary file, then rename).

    Args:
        fig: The figure to save.
        path: Destination file, written as PNG whatever its suffix; folders are created.
        dpi: Resolution; the default gives a ``700 x 500`` pixel image for the default size.

    Returns:
        The path written.
    """
    return atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=dpi))


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """Render ``fig`` once and return the PNG file's bytes (what :func:`save_figure` writes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def data_scatter(
    splits: Splits,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    axis_labels: tuple[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Scatter the points of every split, coloured by class, with one marker per split.

    Train points are circles, validation points squares and test points triangles. A split
    that is the very same object as an earlier one (the data module validates on the test
    split when it has no validation split) is drawn once. With more than two features the
    first two are drawn.

    Args:
        splits: ``{name: (features, labels)}``, e.g. ``BlobDataModule.splits``.
        num_classes: Number of classes; ``None`` takes the largest label plus one.
        class_names: Legend name of each class; ``None`` uses ``class 0, class 1, ...``.
        axis_labels: Labels of the x and y axes; ``None`` uses ``feature 0`` and ``feature 1``.
        title: The figure's title; ``None`` uses one for blobs.
    """
    points = _points(splits, min_features=2)
    num_classes = _num_classes(points, num_classes)
    fig, ax = _new_figure(fitted=True)
    _scatter(ax, _sample(points), num_classes)
    n_features = next(iter(points.values()))[0].shape[1]
    if title is None:
        title = "Blobs data by class and split"
        if n_features > 2:
            title += f" (features 0 and 1 of {n_features})"
    _finish_scatter(ax, points, num_classes, title, class_names, axis_labels)
    return _fit_margins(fig)


def loss_curves(epochs: Sequence[int], train_loss: Sequence[float], val_loss: Sequence[float],
                val_epochs: Sequence[int] | None = None) -> Figure:
    """Training and validation loss per epoch.

    Args:
        epochs: Epoch numbers (the x axis).
        train_loss: Mean training loss of each epoch.
        val_loss: Validation loss of each epoch, or of each of ``val_epochs``.
        val_epochs: The epochs that were validated (``--trainer.check_val_every_n_epoch``); ``None``: every one.
    """
    fig = _curves(epochs, train_loss, val_loss, "loss", "Loss per epoch", val_epochs)
    fig.axes[0].set_ylim(bottom=0)
    return _fit_margins(fig)


def accuracy_curves(epochs: Sequence[int], train_acc: Sequence[float], val_acc: Sequence[float],
                    val_epochs: Sequence[int] | None = None) -> Figure:
    """Training and validation accuracy (fractions in ``[0, 1]``) per epoch.

    Args:
        epochs: Epoch numbers (the x axis).
        train_acc: Training accuracy of each epoch.
        val_acc: Validation accuracy of each epoch, or of each of ``val_epochs``.
        val_epochs: The epochs that were validated (``--trainer.check_val_every_n_epoch``); ``None``: every one.
    """
    fig = _curves(epochs, train_acc, val_acc, "accuracy", "Accuracy per epoch", val_epochs)
    fig.axes[0].set_ylim(0, 1.02)
    return _fit_margins(fig)


def decision_boundary(
    predict_fn: Callable[[np.ndarray], Any],
    splits: Splits,
    num_classes: int,
    resolution: int = 200,
    class_names: Sequence[str] | None = None,
    axis_labels: tuple[str, str] | None = None,
    title: str = "Decision boundary",
    score_label: str = "test accuracy",
) -> Figure:
    """Predicted class over the plane, shaded in the class colours, with the points on top.

    The model is evaluated on a ``resolution x resolution`` grid that spans every point of
    every split plus a margin of 10% of the range on each side. The title gives the accuracy of
    ``predict_fn`` on the ``test`` split when there is one.

    Args:
        predict_fn: Maps a ``float32`` array of shape ``(N, 2)`` to integer labels of shape
            ``(N,)``; e.g. ``lambda x: model(torch.from_numpy(x)).argmax(1).numpy()`` under
            ``torch.no_grad()``.
        splits: ``{name: (features, labels)}``, e.g. ``BlobDataModule.splits``.
        num_classes: Number of classes of the model.
        resolution: Grid points per axis, at least 2.
        class_names: Legend name of each class; ``None`` uses ``class 0, class 1, ...``.
        axis_labels: Labels of the x and y axes; ``None`` uses ``feature 0`` and ``feature 1``.
        title: The start of the figure's title (the test accuracy follows).
        score_label: What the accuracy in the title is called.

    Raises:
        ValueError: If the data does not have exactly 2 features, or ``predict_fn`` returns
            something other than one label in ``[0, num_classes)`` per point.
    """
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    points = _points(splits, min_features=2)
    n_features = next(iter(points.values()))[0].shape[1]
    if n_features != 2:
        raise ValueError(
            f"decision_boundary can only draw 2 input features, the data has {n_features}; "
            "use data_scatter for a view of the first two features"
        )
    num_classes = _num_classes(points, num_classes)
    # in float64 and within float32's range: features near float32's largest value (3.4e38) overflowed to inf
    low = np.min([features.min(axis=0) for features, _ in points.values()], axis=0).astype(np.float64)
    high = np.max([features.max(axis=0) for features, _ in points.values()], axis=0).astype(np.float64)
    margin = np.maximum(0.1 * (high - low), 0.5)
    largest = float(np.finfo(np.float32).max)
    start, stop = np.maximum(low - margin, -largest), np.minimum(high + margin, largest)
    xs = np.linspace(start[0], stop[0], resolution)
    ys = np.linspace(start[1], stop[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    regions = _predict(predict_fn, grid, num_classes).reshape(grid_x.shape)

    fig, ax = _new_figure(fitted=True)
    colors = class_colors(num_classes)
    ax.contourf(
        grid_x,
        grid_y,
        regions,
        levels=np.arange(num_classes + 1) - 0.5,
        cmap=ListedColormap(colors),
        alpha=_REGION_ALPHA,
    )
    _scatter(ax, _sample(points), num_classes)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    if "test" in points:
        features, labels = points["test"]
        accuracy = float(np.mean(_predict(predict_fn, features.astype(np.float32), num_classes) == labels))
        title += f" ({score_label} {accuracy:.3f})"
    _finish_scatter(ax, points, num_classes, title, class_names, axis_labels)
    return _fit_margins(fig)


def confusion_matrix_figure(matrix: Any, class_names: Sequence[str] | None = None) -> Figure:
    """Heatmap of a confusion matrix with the count written in each cell.

    Args:
        matrix: Square counts, rows are true classes and columns predicted ones (e.g. the
            report's ``confusion_matrix``).
        class_names: Tick label of each class; ``None`` uses ``0, 1, ...``.
    """
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 1:
        raise ValueError(f"matrix must be square, got shape {counts.shape}")
    k = counts.shape[0]
    names = [str(c) for c in range(k)] if class_names is None else [shortened(shown_text(name), MATRIX_NAME_CHARS)
                                                                     for name in class_names]
    if len(names) != k:
        raise ValueError(f"class_names has {len(names)} names for {k} classes")
    total = counts.sum()
    accuracy = float(np.trace(counts) / total) if total else float("nan")

    fig, ax = _new_figure(fitted=True)
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(counts.max(), 1))
    fig.colorbar(image, ax=ax, label="count", use_gridspec=True)
    threshold = counts.max() / 2 if counts.max() else 1
    if k <= MATRIX_COUNTS:
        for (row, col), value in np.ndenumerate(counts):
            text = f"{value:g}" if counts.dtype.kind == "f" else str(value)
            ax.text(col, row, text, ha="center", va="center", fontsize=min(12.0, 120 / k),
                    color="white" if value > threshold else "black")
    step = math.ceil(k / MATRIX_TICKS)
    shown = names[::step]
    crowded = len(shown) * max(len(name) for name in shown) > 60  # characters side by side under the axes
    ax.set_xticks(range(0, k, step), labels=shown, rotation=90 if crowded else 0)
    ax.set_yticks(range(0, k, step), labels=shown)
    notes = (([] if step == 1 else [f"every {step}th class named"])
             + ([] if k <= MATRIX_COUNTS else ["counts in the report"]))
    ax.set_xlabel("predicted" + (f" ({'; '.join(notes)})" if notes else ""))
    ax.set_ylabel("true")
    ax.set_title(f"Confusion matrix (accuracy {accuracy:.3f}, n={total:g})")
    return _fit_margins(fig)


def reliability_diagram(report_reliability_bins: Sequence[Mapping[str, Any]], ece: float) -> Figure:
    """Accuracy per confidence bin against the diagonal of perfect calibration.

    Each non-empty bin shows its accuracy as a bar, the gap up (or down) to its mean confidence
    as a hatched red bar, and its number of samples above the bar.

    Args:
        report_reliability_bins: The report's ``reliability`` list: per bin ``lower``,
            ``upper``, ``count``, ``confidence`` and ``accuracy`` (``None`` when empty).
        ece: Expected calibration error, shown in the title.
    """
    bins = [b for b in report_reliability_bins if b["count"]]
    fig, ax = _new_figure(fitted=True)
    lower = np.array([b["lower"] for b in bins], dtype=float)
    width = np.array([b["upper"] - b["lower"] for b in bins], dtype=float)
    accuracy = np.array([b["accuracy"] for b in bins], dtype=float)
    confidence = np.array([b["confidence"] for b in bins], dtype=float)
    ax.bar(lower, accuracy, width=width, align="edge", color="tab:blue", edgecolor="black",
           linewidth=0.8, label="accuracy")
    ax.bar(lower, confidence - accuracy, bottom=accuracy, width=width, align="edge", color="tab:red",
           alpha=0.3, edgecolor="tab:red", hatch="//", linewidth=0.8, label="gap to mean confidence")
    for b, left, w, top in zip(bins, lower, width, np.maximum(accuracy, confidence), strict=True):
        ax.text(left + w / 2, top + 0.01, str(b["count"]), ha="center", va="bottom", fontsize=8)
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.1)  # headroom for the counts above full bars
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel("confidence (top-label probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability diagram (ECE {ece:.3f}; count above each bar)")
    ax.legend(loc="upper left")
    return _fit_margins(fig)


_MARGIN_PAD = 6.0
"""Space left between a figure's edge and its outermost text, in pixels."""
_MIN_PLOT = 0.1
"""The smallest share of a figure's width and height its axes keep, however wide its texts."""


def shown_text(name: Any) -> str:
    """A name from the data (a class, a column) as a figure shows it: as written, ``$`` included.

    Matplotlib reads text between two ``$`` as a formula: a column named ``$\\foo$`` ended the
    drawing in a ValueError, and ``$x$`` would be set in italics. Control characters are written
    as escapes (see :func:`blobclf.errors.printable`), which no font has glyphs for.
    """
    return printable(str(name)).replace("$", r"\$")


def shortened(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters, the last an ellipsis, where it is longer."""
    return text if len(text) <= most else text[: most - 1] + "\u2026"


def _new_figure(fitted: bool = False) -> tuple[Figure, Axes]:
    """A figure with one axes.

    ``fitted`` figures are laid out by :func:`_fit_margins` once everything is drawn into them:
    one measuring pass instead of constrained layout's several.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout=None if fitted else "constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def _fit_margins(fig: Figure) -> Figure:
    """Set the subplot margins so that every text (tick labels, titles, legends outside the axes,
    a colourbar's label) lies ``_MARGIN_PAD`` pixels inside the figure's edges, as tight layout
    does, but measuring once.

    An axes with a fixed aspect ratio (a heatmap) is re-centred inside its margins when they
    change, so such a figure is measured and adjusted again until its texts fit.
    """
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    passes = 3 if any(ax.get_aspect() != "auto" for ax in fig.axes) else 1
    for _ in range(passes):
        outer = Bbox.union([ax.get_tightbbox(renderer) for ax in fig.axes])
        if _ and outer.x0 >= 0 and outer.y0 >= 0 and outer.x1 <= width and outer.y1 <= height:
            break
        params = fig.subplotpars
        left = params.left + (_MARGIN_PAD - outer.x0) / width
        right = params.right - (outer.x1 - width + _MARGIN_PAD) / width
        bottom = params.bottom + (_MARGIN_PAD - outer.y0) / height
        top = params.top - (outer.y1 - height + _MARGIN_PAD) / height
        # texts wider than the figure (a name longer than any cut above allows for) leave the plot a tenth of
        # it, running off the edges, rather than margins that cross (matplotlib's ValueError ended fit's figures)
        if right - left < _MIN_PLOT:
            middle = min(max((left + right) / 2, _MIN_PLOT / 2), 1 - _MIN_PLOT / 2)
            left, right = middle - _MIN_PLOT / 2, middle + _MIN_PLOT / 2
        if top - bottom < _MIN_PLOT:
            middle = min(max((bottom + top) / 2, _MIN_PLOT / 2), 1 - _MIN_PLOT / 2)
            bottom, top = middle - _MIN_PLOT / 2, middle + _MIN_PLOT / 2
        fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    # a title is centred over its axes: one wider than them (a PCA plane's, with the legends beside the
    # axes) can run off the figure whatever the margins, so its bracketed part goes on a second line
    long = [ax for ax in fig.axes if " (" in ax.get_title() and "\n" not in ax.get_title()
            and not fig.bbox.x0 <= ax.title.get_window_extent(renderer).x0 <= ax.title.get_window_extent(renderer).x1
            <= fig.bbox.x1]
    for ax in long:
        ax.set_title(ax.get_title().replace(" (", "\n(", 1))
    return _fit_margins(fig) if long else fig


def _points(splits: Splits, min_features: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Splits as numpy arrays, skipping a split that is the same object as an earlier one."""
    if not splits:
        raise ValueError("splits is empty")
    points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    seen: list[Any] = []
    n_features = None
    for name, split in splits.items():
        if any(split is other for other in seen):
            continue
        seen.append(split)
        features, labels = (np.asarray(part) for part in split)
        if features.ndim != 2 or labels.shape != (features.shape[0],):
            raise ValueError(
                f"split {name!r}: features must be (N, F) and labels (N,), got {features.shape} and {labels.shape}"
            )
        if features.shape[1] < min_features:
            raise ValueError(f"split {name!r} has {features.shape[1]} features, at least {min_features} needed")
        if n_features is not None and features.shape[1] != n_features:
            raise ValueError(f"splits disagree on the number of features: {n_features} and {features.shape[1]}")
        n_features = features.shape[1]
        points[name] = (features, labels.astype(np.int64))
    return points


def _sample(points: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """At most ``MAX_DRAWN`` points of each split: a seeded random sample, in the split's order."""
    drawn = {}
    for name, (features, labels) in points.items():
        if len(labels) > MAX_DRAWN:
            keep = np.sort(np.random.default_rng(0).choice(len(labels), MAX_DRAWN, replace=False))
            features, labels = features[keep], labels[keep]
        drawn[name] = (features, labels)
    return drawn


def _split_label(name: str, count: int) -> str:
    """Legend entry of a split: its size, and how many of its points are drawn when not all."""
    if count > MAX_DRAWN:
        return f"{name} ({MAX_DRAWN:,} of {count:,} drawn)"
    return f"{name} ({count})"


def _num_classes(points: Mapping[str, tuple[np.ndarray, np.ndarray]], num_classes: int | None) -> int:
    largest = max((int(labels.max()) for _, labels in points.values() if labels.size), default=0)
    if num_classes is None:
        return largest + 1
    if largest >= num_classes:
        raise ValueError(f"labels go up to {largest} but num_classes is {num_classes}")
    return int(num_classes)


def _marker(name: str, position: int) -> str:
    return SPLIT_MARKERS.get(name, _EXTRA_MARKERS[position % len(_EXTRA_MARKERS)])


def _scatter(ax: Axes, points: Mapping[str, tuple[np.ndarray, np.ndarray]], num_classes: int) -> None:
    """Draw every split's points, one collection per (split, class), ``gid`` ``"split/class c"``; with more than
    :data:`CLASS_COLLECTIONS` classes one per split, ``gid`` ``"split/classes"``, each point in its class's colour
    (matplotlib's cost is per collection: one per class made the figures of a run with many classes slow)."""
    colors = class_colors(num_classes)
    for position, (name, (features, labels)) in enumerate(points.items()):
        is_train = name == "train"
        style = dict(
            marker=_marker(name, position),
            s=18 if is_train else 36,
            alpha=0.6 if is_train else 0.95,
            edgecolors="none" if is_train else "black",
            linewidths=0 if is_train else 0.6,
            zorder=2 if is_train else 3,
        )
        if num_classes > CLASS_COLLECTIONS:
            if len(labels):
                point_colors = np.asarray(colors)[np.asarray(labels, dtype=np.int64)]
                ax.scatter(features[:, 0], features[:, 1], c=point_colors, **style).set_gid(f"{name}/classes")
            continue
        for c in range(num_classes):
            members = labels == c
            if not members.any():
                continue
            collection = ax.scatter(features[members, 0], features[members, 1], c=colors[c], **style)
            collection.set_gid(f"{name}/class {c}")


def _finish_scatter(
    ax: Axes,
    points: Mapping[str, Any],
    num_classes: int,
    title: str,
    class_names: Sequence[str] | None = None,
    axis_labels: tuple[str, str] | None = None,
) -> None:
    colors = class_colors(num_classes)
    names = [f"class {c}" for c in range(num_classes)] if class_names is None else [shown_text(n) for n in class_names]
    # the legend narrows the axes by its width: a name of a hundred letters would leave no plot
    names = [shortened(name, LEGEND_NAME_CHARS) for name in names]
    class_handles = [Patch(facecolor=colors[c], label=names[c]) for c in range(num_classes)]
    if num_classes > LEGEND_CLASSES:  # the rest would run off the figure
        more = num_classes - LEGEND_CLASSES + 1
        class_handles = [*class_handles[: LEGEND_CLASSES - 1],
                         Patch(fill=False, edgecolor="none", label=f"... {more} more")]
    split_handles = [
        Line2D([], [], linestyle="none", marker=_marker(name, position), color="dimgray",
               markeredgecolor="black", label=_split_label(name, len(points[name][1])))
        for position, name in enumerate(points)
    ]
    # Both legends sit outside the axes, right of the plot, so they never hide a point.
    classes = ax.legend(handles=class_handles, title="class", loc="upper left", bbox_to_anchor=(1.02, 1.0),
                        fontsize=9, title_fontsize=9)
    ax.add_artist(classes)
    # add_artist clips an artist to the axes, and layout then measures it clipped: a legend of long class
    # names ran off the figure's right edge, cut mid-name, instead of narrowing the axes
    classes.set_clip_on(False)
    ax.legend(handles=split_handles, title="split", loc="lower left", bbox_to_anchor=(1.02, 0.0),
              fontsize=9, title_fontsize=9)
    x_label, y_label = axis_labels if axis_labels is not None else ("feature 0", "feature 1")
    ax.set_xlabel(shortened(shown_text(x_label), AXIS_NAME_CHARS))
    ax.set_ylabel(shortened(shown_text(y_label), AXIS_NAME_CHARS))
    ax.set_title(title)


def _curves(
    epochs: Sequence[int], train: Sequence[float], val: Sequence[float], ylabel: str, title: str,
    val_epochs: Sequence[int] | None = None,
) -> Figure:
    x = np.asarray(epochs, dtype=float)
    val_x = x if val_epochs is None else np.asarray(val_epochs, dtype=float)
    train_values = np.asarray(train, dtype=float)
    val_values = np.asarray(val, dtype=float)
    if x.ndim != 1 or x.size == 0 or train_values.shape != x.shape or val_values.shape != val_x.shape:
        raise ValueError(
            f"epochs, train and validation {ylabel} must be non-empty and of equal length, got "
            f"{x.shape}, {train_values.shape} and {val_values.shape}"
            + ("" if val_epochs is None else f" (validation epochs {val_x.shape})")
        )
    fig, ax = _new_figure(fitted=True)
    marker = "o" if x.size <= 30 else None
    ax.plot(x, train_values, marker=marker, markersize=3, color="tab:blue", label=f"train {ylabel}")
    ax.plot(val_x, val_values, marker="o" if val_x.size <= 30 else None, markersize=3, color="tab:orange",
            label=f"validation {ylabel}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def _predict(predict_fn: Callable[[np.ndarray], Any], features: np.ndarray, num_classes: int) -> np.ndarray:
    labels = np.asarray(predict_fn(features))
    if labels.shape != (features.shape[0],):
        raise ValueError(f"predict_fn must return one label per point, shape ({features.shape[0]},), "
                         f"got {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"predict_fn must return integer labels, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"predict_fn returned labels outside [0, {num_classes})")
    return labels.astype(np.int64)
