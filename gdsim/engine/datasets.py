"""Toy datasets and CSV loading, split and standardised the same way every time.

Every draw comes from ``np.random.default_rng(seed)``, so the same name, n, noise and seed give the same
arrays bit for bit. Features are standardised with the *training* mean and std only (using test statistics
would leak the test set into training); targets stay in raw units so losses and plots read naturally.
All arrays are read-only because one Dataset is shared by the trainer, the panels and the exporters.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np

from gdsim.engine import csv_table

CLASSIFICATION = ("xor", "circles", "gaussians", "spiral", "moons")
REGRESSION = ("line", "sine", "package")
NAMES = CLASSIFICATION + REGRESSION

MAX_ROWS = 1_000_000
MAX_CSV_BYTES = 50 * 2**20
MAX_CLASSES = 20  # an all-integer target with more distinct values than this is treated as regression
PACKAGE_NOISE_LPA = 5.0  # package noise std in LPA per unit of `noise` (0.1 -> 0.5 LPA)


@dataclass(frozen=True, eq=False)
class Dataset:
    """One train/test split. ``X_*`` are standardised; ``mean``/``std`` map raw points onto them."""

    name: str
    task: str  # "classification" | "regression"
    X_train: np.ndarray
    y_train: np.ndarray  # classification: (n,) int64 in 0..k-1; regression: (n, m) float64, raw units
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    n_classes: int  # 0 for regression
    mean: np.ndarray
    std: np.ndarray  # 1.0 where a training column is constant, so standardising never divides by zero
    class_values: tuple[float, ...] = ()  # original target value of each class label (CSV relabelling)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """Network outputs needed: one sigmoid unit for two classes, one per class otherwise."""
        if self.task == "classification":
            return 1 if self.n_classes <= 2 else self.n_classes
        return self.y_train.shape[1]

    def standardize(self, X_raw) -> np.ndarray:
        """Map raw points (e.g. a grid over the original axes) into the space the network sees."""
        return (np.asarray(X_raw, dtype=np.float64) - self.mean) / self.std

    def unstandardize(self, X) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) * self.std + self.mean


def make_dataset(name: str, n: int = 200, noise: float = 0.1, seed: int = 0, test_fraction: float = 0.2,
                 target: str | int | None = None, features: list[str | int] | None = None,
                 standardize: bool = True, task: str | None = None, progress=None, cancel=None) -> Dataset:
    """Build a named toy dataset (n rows in total) or load ``csv:PATH`` (every row; n and noise unused).

    ``noise`` is the std of Gaussian noise in each generator's natural units: point jitter for the 2-D
    classifiers (whose points span about [-1, 1]), target noise for line and sine, and
    ``PACKAGE_NOISE_LPA * noise`` LPA for package. ``standardize=False`` keeps the raw features (mean 0, std 1
    recorded), for hand-worked examples whose numbers must stay as written. ``task`` ("classification" or
    "regression") overrides the CSV rule that guesses it from the target column. ``progress(read, size)`` and
    ``cancel()`` are passed to ``csv_table.read_table`` (the import dialog reads a big file in a thread).
    """
    n = _check_n(n)
    if not _is_real(noise) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if not _is_real(test_fraction) or not 0.0 <= test_fraction <= 0.9:
        raise ValueError(f"test_fraction must be between 0 and 0.9, got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    class_values: tuple[float, ...] = ()
    if isinstance(name, str) and name.startswith("csv:"):
        X, y, feature_names, target_names, class_values = _load_csv(name[4:], target, features, task, progress,
                                                                    cancel)
    elif name in NAMES:
        if target is not None or features is not None or task is not None:
            raise ValueError("target, features and task apply only to csv:PATH datasets")
        X, y = _GENERATORS[name](rng, n, float(noise))
        feature_names, target_names = _NAMES_OF.get(name, (("x1", "x2"), ("class",)))
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}, or csv:PATH")
    if y.ndim == 1:
        task, n_classes = "classification", int(y.max()) + 1
    else:
        task, n_classes = "regression", 0
    return _split(name, task, X, y, feature_names, target_names, n_classes, class_values, rng, test_fraction,
                  standardize)


def _is_real(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _check_n(n) -> int:
    try:
        if isinstance(n, bool):
            raise TypeError
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"n must be an integer, got {n!r}") from None
    if not 4 <= n <= MAX_ROWS:
        raise ValueError(f"n must be between 4 and {MAX_ROWS:,}, got {n}")
    return n


def _split(name, task, X, y, feature_names, target_names, n_classes, class_values, rng, test_fraction,
           standardize=True):
    """Shuffle, hold out round(n * test_fraction) rows (always keeping one for training), standardise."""
    n = len(X)
    n_test = min(int(round(n * test_fraction)), n - 1)
    order = rng.permutation(n)
    test, train = order[:n_test], order[n_test:]
    x_train, x_test = X[train], X[test]
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[~(std > 1e-12)] = 1.0
    if not standardize:
        mean, std = np.zeros_like(mean), np.ones_like(std)
    for part in (x_train, x_test):  # in place: a big CSV's features are copied once, not three times
        part -= mean
        part /= std
    arrays = [x_train, y[train], x_test, y[test], mean, std]
    for a in arrays:
        a.setflags(write=False)
    xtr, ytr, xte, yte, mean, std = arrays
    return Dataset(name, task, xtr, ytr, xte, yte, tuple(feature_names), tuple(target_names),
                   n_classes, mean, std, tuple(class_values))


# --- generators: each returns X (n, d) float64 and y ((n,) int64 labels or (n, 1) float64) --------------

def _halves(n: int) -> np.ndarray:
    """Exactly balanced labels (n // 2 zeros first); the split shuffles them."""
    return (np.arange(n) >= n // 2).astype(np.int64)


def _jitter(rng, X, noise):
    return X + rng.normal(0.0, noise, size=X.shape) if noise > 0 else X


def _xor(rng, n, noise):
    """TensorFlow Playground's XOR: label 1 where x1*x2 > 0; a 0.1 margin keeps clean points off the axes."""
    y = _halves(n)
    mag = rng.uniform(0.1, 1.0, size=(n, 2))
    s1 = rng.choice([-1.0, 1.0], size=n)
    s2 = np.where(y == 1, s1, -s1)
    return _jitter(rng, mag * np.column_stack([s1, s2]), noise), y


def _circles(rng, n, noise):
    """Inner disc (radius < 0.5) is class 1, the ring 0.7..1.0 around it class 0; a gap separates them."""
    y = _halves(n)
    r = np.where(y == 1, 0.5 * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0.7, 1.0, n))
    t = rng.uniform(0, 2 * np.pi, n)
    return _jitter(rng, np.column_stack([r * np.cos(t), r * np.sin(t)]), noise), y


def _gaussians(rng, n, noise):
    """Blobs of std 0.35 at (-0.5, -0.5) and (0.5, 0.5); noise widens them further."""
    y = _halves(n)
    centres = np.where(y[:, None] == 1, 0.5, -0.5)
    return _jitter(rng, centres + rng.normal(0, 0.35, size=(n, 2)), noise), y


def _spiral(rng, n, noise):
    """Two arms a half-turn apart, radius growing from 0.1 to 1 over 1.5 turns."""
    y = _halves(n)
    r = rng.uniform(0.1, 1.0, n)
    t = 3 * np.pi * r + np.pi * y
    return _jitter(rng, np.column_stack([r * np.cos(t), r * np.sin(t)]), noise), y


def _moons(rng, n, noise):
    """sklearn's make_moons: upper half circle is class 0, the shifted lower one class 1."""
    y = _halves(n)
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0, np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    return _jitter(rng, X, noise), y


def _line(rng, n, noise):
    x = rng.uniform(-2, 2, n)
    return x[:, None], _jitter(rng, (2 * x + 1)[:, None], noise)


def _sine(rng, n, noise):
    x = rng.uniform(-3, 3, n)
    return x[:, None], _jitter(rng, np.sin(x)[:, None], noise)


def _package(rng, n, noise):
    """The course notes' placement example: package ≈ 1.2·cgpa + 0.5·profile − 4 LPA, never below 2 LPA."""
    cgpa = np.round(np.clip(rng.normal(7.5, 1.0, n), 5.0, 10.0), 1)
    profile = rng.integers(1, 11, n).astype(np.float64)
    pkg = _jitter(rng, 1.2 * cgpa + 0.5 * profile - 4.0, PACKAGE_NOISE_LPA * noise)
    return np.column_stack([cgpa, profile]), np.round(np.maximum(pkg, 2.0), 2)[:, None]


_GENERATORS = {"xor": _xor, "circles": _circles, "gaussians": _gaussians, "spiral": _spiral,
               "moons": _moons, "line": _line, "sine": _sine, "package": _package}
_NAMES_OF = {"line": (("x",), ("y",)), "sine": (("x",), ("y",)),
             "package": (("cgpa", "profile_score"), ("package_lpa",))}


# --- CSV ---------------------------------------------------------------------------------------------

def _load_csv(path: str, target, features, task: str | None = None, progress=None, cancel=None):
    """Columns of a numeric CSV (``csv_table.read_table``: every problem is one ValueError naming the file)."""
    table = csv_table.read_table(path, MAX_CSV_BYTES, progress, cancel)
    header, data = list(table.header), table.values
    if len(data) < 2:
        raise ValueError(f"{path}: need at least 2 data rows, found {len(data)}")
    t = _column(path, header, target, "target") if target is not None else len(header) - 1
    if features is None:
        cols = [c for c in range(len(header)) if c != t]
    else:
        cols = [_column(path, header, c, "feature") for c in features]
        if t in cols or len(set(cols)) != len(cols):
            raise ValueError(f"{path}: feature columns must be distinct and must not include the target")
    if not cols:
        raise ValueError(f"{path}: no feature columns (the file needs a column besides the target)")
    X, col = data[:, cols], data[:, t]
    values = np.unique(col)
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be classification or regression, got {task!r}")
    if task == "classification" and not (2 <= len(values) <= MAX_CLASSES):
        raise ValueError(f"{path}: a classification target needs 2 to {MAX_CLASSES} distinct values, "
                         f"column {header[t]!r} has {len(values)}")
    guess = 2 <= len(values) <= MAX_CLASSES and np.all(values == np.round(values))
    if task == "classification" or (task is None and guess):
        y = np.searchsorted(values, col).astype(np.int64)
        class_values = tuple(float(v) for v in values)
    else:
        y, class_values = col[:, None].copy(), ()
    return X, y, [header[c] for c in cols], [header[t]], class_values


def _column(path, header, key, role) -> int:
    """Resolve a column by header name or 0-based index ("2" works too, for command lines)."""
    if isinstance(key, str) and key.strip() in header:
        return header.index(key.strip())
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key.strip())
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(header):
        return int(key)
    raise ValueError(f"{path}: unknown {role} column {key!r}; columns are {', '.join(header)} "
                     f"(or 0..{len(header) - 1})")
