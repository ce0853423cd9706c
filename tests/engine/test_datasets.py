"""Datasets: shapes, determinism, train-only standardisation, realistic package data, and CSV errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdsim.engine.datasets import CLASSIFICATION, NAMES, REGRESSION, make_dataset

SAMPLE = Path(__file__).resolve().parents[2] / "gdsim" / "resources" / "data" / "package_sample.csv"
ARRAYS = ("X_train", "y_train", "X_test", "y_test", "mean", "std")


@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_and_read_only(name):
    d = make_dataset(name, n=200, test_fraction=0.2)
    assert len(d.X_train) == 160 and len(d.X_test) == 40
    assert d.X_train.dtype == np.float64 and d.X_train.shape[1] == d.n_features == len(d.feature_names)
    assert d.mean.shape == d.std.shape == (d.n_features,)
    if name in CLASSIFICATION:
        assert d.task == "classification" and d.n_features == 2
        assert d.y_train.dtype == np.int64 and d.y_train.shape == (160,)
        assert d.n_classes == 2 and d.n_outputs == 1
    else:
        assert d.task == "regression" and d.n_classes == 0
        assert d.y_train.dtype == np.float64 and d.y_train.shape == (160, 1) and d.n_outputs == 1
        assert len(d.target_names) == 1
    for attr in ARRAYS:
        arr = getattr(d, attr)
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_identical_different_seed_differs(name):
    a, b = make_dataset(name, seed=7), make_dataset(name, seed=7)
    c = make_dataset(name, seed=8)
    for attr in ARRAYS:
        assert np.array_equal(getattr(a, attr), getattr(b, attr))
        assert getattr(a, attr).tobytes() == getattr(b, attr).tobytes()
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("name", NAMES)
def test_train_standardised_and_round_trip(name):
    d = make_dataset(name, n=300, noise=0.2, seed=3)
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1.0, atol=1e-12)
    raw = d.unstandardize(d.X_test)
    np.testing.assert_allclose(d.standardize(raw), d.X_test, atol=1e-12)
    np.testing.assert_allclose(raw, d.X_test * d.std + d.mean)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classes_balanced_and_in_range(name):
    d = make_dataset(name, n=1000, seed=1)
    y = np.concatenate([d.y_train, d.y_test])
    assert set(np.unique(y)) == {0, 1}
    assert np.bincount(y).tolist() == [500, 500]
    counts = np.bincount(d.y_train, minlength=2)
    assert counts.min() > 0.4 * counts.sum()


def test_xor_labels_follow_quadrants_without_noise():
    d = make_dataset("xor", n=400, noise=0.0)
    X = d.unstandardize(d.X_train)
    assert np.all(np.abs(X) >= 0.1 - 1e-12) and np.all(np.abs(X) <= 1.0 + 1e-12)
    assert np.array_equal(d.y_train, (X[:, 0] * X[:, 1] > 0).astype(np.int64))


def test_circles_inner_disc_is_class_one_without_noise():
    d = make_dataset("circles", n=400, noise=0.0)
    r = np.hypot(*d.unstandardize(d.X_train).T)
    assert np.all(r[d.y_train == 1] <= 0.5) and np.all(r[d.y_train == 0] >= 0.7)


def test_line_and_sine_follow_their_formulas_without_noise():
    line = make_dataset("line", noise=0.0)
    np.testing.assert_allclose(line.y_train[:, 0], 2 * line.unstandardize(line.X_train)[:, 0] + 1)
    sine = make_dataset("sine", noise=0.0)
    x = sine.unstandardize(sine.X_train)[:, 0]
    assert x.min() >= -3 and x.max() <= 3
    np.testing.assert_allclose(sine.y_train[:, 0], np.sin(x))


def test_noise_scales_the_spread():
    quiet, loud = make_dataset("line", n=2000, noise=0.1), make_dataset("line", n=2000, noise=1.0)
    def resid(d):
        return np.std(d.y_train[:, 0] - 2 * d.unstandardize(d.X_train)[:, 0] - 1)
    assert 0.08 < resid(quiet) < 0.12 and 0.8 < resid(loud) < 1.2


def test_package_is_realistic():
    d = make_dataset("package", n=5000, seed=11)
    assert d.feature_names == ("cgpa", "profile_score") and d.target_names == ("package_lpa",)
    raw = d.unstandardize(d.X_train)
    cgpa, profile = raw[:, 0], raw[:, 1]
    assert cgpa.min() >= 5.0 - 1e-9 and cgpa.max() <= 10.0 + 1e-9
    np.testing.assert_allclose(cgpa, np.round(cgpa, 1), atol=1e-9)
    np.testing.assert_allclose(profile, np.round(profile), atol=1e-9)
    assert profile.min() >= 1 - 1e-9 and profile.max() <= 10 + 1e-9
    assert d.y_train.min() >= 2.0 and d.y_test.min() >= 2.0 and d.y_train.max() < 20
    # the generating plane is recoverable by least squares
    A = np.column_stack([cgpa, profile, np.ones_like(cgpa)])
    coef = np.linalg.lstsq(A, d.y_train[:, 0], rcond=None)[0]
    np.testing.assert_allclose(coef, [1.2, 0.5, -4.0], atol=0.15)


def test_test_fraction_zero_and_rounding():
    d = make_dataset("moons", n=101, test_fraction=0.0)
    assert d.X_test.shape == (0, 2) and d.y_test.shape == (0,) and len(d.X_train) == 101
    assert len(make_dataset("moons", n=101, test_fraction=0.3).X_test) == 30
    assert len(make_dataset("sine", n=10, test_fraction=0.9).X_train) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "nope"}, r"unknown dataset 'nope'; choose one of xor, circles, .*package, or csv:PATH"),
    ({"name": "xor", "n": 3}, "n must be between 4"),
    ({"name": "xor", "n": 1_000_001}, "n must be between 4"),
    ({"name": "xor", "n": 2.5}, "n must be an integer"),
    ({"name": "xor", "noise": -0.1}, "noise must be"),
    ({"name": "xor", "noise": float("nan")}, "noise must be"),
    ({"name": "xor", "noise": float("inf")}, "noise must be"),
    ({"name": "xor", "test_fraction": 0.95}, "test_fraction must be between 0 and 0.9"),
    ({"name": "xor", "test_fraction": -0.1}, "test_fraction"),
    ({"name": "xor", "test_fraction": float("nan")}, "test_fraction"),
    ({"name": "xor", "target": "y"}, "only to csv"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(**kwargs)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(NAMES), n=st.integers(4, 300), seed=st.integers(0, 2**32 - 1),
       tf=st.floats(0.0, 0.9), noise=st.floats(0.0, 2.0))
def test_any_valid_arguments_give_a_consistent_split(name, n, seed, tf, noise):
    d = make_dataset(name, n=n, noise=noise, seed=seed, test_fraction=tf)
    assert len(d.X_train) + len(d.X_test) == n and len(d.X_train) >= 1
    assert len(d.y_train) == len(d.X_train) and len(d.y_test) == len(d.X_test)
    assert np.all(np.isfinite(d.X_train)) and np.all(d.std > 0)
    if name in REGRESSION:
        assert np.all(np.isfinite(d.y_train))
    else:
        assert d.y_train.min() >= 0 and d.y_train.max() < d.n_classes


# --- CSV -------------------------------------------------------------------------------------------

def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_sample_file_loads_as_regression():
    d = make_dataset(f"csv:{SAMPLE}")
    assert d.task == "regression" and d.feature_names == ("cgpa", "profile_score")
    assert d.target_names == ("package_lpa",) and len(d.X_train) + len(d.X_test) == 40
    assert d.y_train.min() >= 2.0


def test_csv_classification_relabels_sorted(tmp_path):
    p = write(tmp_path, "a,b,label\n" + "".join(f"{i},{i * i},{[5, -1, 3][i % 3]}\n" for i in range(30)))
    d = make_dataset(f"csv:{p}", test_fraction=0.0, seed=2)
    assert d.task == "classification" and d.n_classes == 3 and d.n_outputs == 3
    assert d.class_values == (-1.0, 3.0, 5.0)
    raw = d.unstandardize(d.X_train)
    original = np.array([5, -1, 3])[raw[:, 0].round().astype(int) % 3]
    assert np.array_equal(np.array(d.class_values)[d.y_train], original)


def test_csv_many_integer_values_is_regression(tmp_path):
    p = write(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(21)))
    assert make_dataset(f"csv:{p}").task == "regression"
    p20 = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 20}.0\n" for i in range(40)), "c20.csv")
    assert make_dataset(f"csv:{p20}").n_classes == 20
    p2 = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 2 + 0.5}\n" for i in range(25)), "f.csv")
    assert make_dataset(f"csv:{p2}").task == "regression"


def test_csv_target_and_feature_selection(tmp_path):
    rows = "".join(f"{i},{2 * i},{i % 2},{-i}\n" for i in range(25))
    p = write(tmp_path, "x,y,cls,z\n" + rows)
    d = make_dataset(f"csv:{p}")
    assert d.feature_names == ("x", "y", "cls") and d.target_names == ("z",) and d.task == "regression"
    d = make_dataset(f"csv:{p}", target="cls")
    assert d.feature_names == ("x", "y", "z") and d.task == "classification" and d.n_classes == 2
    d = make_dataset(f"csv:{p}", target=2, features=["z", 0])
    assert d.feature_names == ("z", "x") and d.target_names == ("cls",)
    np.testing.assert_allclose(d.unstandardize(d.X_train)[:, 0], -d.unstandardize(d.X_train)[:, 1])
    assert make_dataset(f"csv:{p}", target="1").target_names == ("y",)


def test_csv_same_seed_same_split(tmp_path):
    p = write(tmp_path, "x,y\n" + "".join(f"{i},{i * 0.5}\n" for i in range(50)))
    a, b = make_dataset(f"csv:{p}", seed=4), make_dataset(f"csv:{p}", seed=4)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, make_dataset(f"csv:{p}", seed=5).y_train)


def test_csv_blank_lines_skipped_and_bom_tolerated(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffx,y\n1,2\n\n3,4\n5,6.5\n\n".encode())
    d = make_dataset(f"csv:{p}", test_fraction=0.0)
    assert d.feature_names == ("x",) and len(d.X_train) == 3


@pytest.mark.parametrize("text, match", [
    ("", r"file is empty"),
    ("a,b\n", r"no data rows"),
    ("a,b\n1,2\n", r"need at least 2 data rows, found 1"),
    ("a,b\n1,2\n3\n", r"line 3 has 1 cells, the header has 2"),
    ("a,b\n1,2\n3,4,5\n", r"line 3 has 3 cells"),
    ("a,b\n1,2\n3,4\n5,oops\n", r"line 4, column 'b': 'oops' is not a number"),
    ("a,b\n1,2\n,4\n", r"line 3, column 'a': '' is not a number"),
    ("a,b\n1,2\n3,nan\n", r"line 3, column 'b': 'nan' is not finite"),
    ("a,b\n1,2\ninf,4\n", r"line 3, column 'a': 'inf' is not finite"),
    ("a,b\n1,2\n\n3,-Infinity\n", r"line 4, column 'b': '-Infinity' is not finite"),
    ("only\n1\n2\n", r"no feature columns"),
])
def test_csv_errors_are_one_line_and_name_the_file(tmp_path, text, match):
    p = write(tmp_path, text)
    with pytest.raises(ValueError, match=match) as info:
        make_dataset(f"csv:{p}")
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(p))


@pytest.mark.parametrize("kwargs, match", [
    ({"target": "nope"}, r"unknown target column 'nope'; columns are a, b, c"),
    ({"target": 3}, r"unknown target column 3"),
    ({"target": -1}, r"unknown target column -1"),
    ({"features": ["a", "zzz"]}, r"unknown feature column 'zzz'"),
    ({"features": ["a", "c"]}, r"must not include the target"),
    ({"features": ["a", 0]}, r"must be distinct"),
])
def test_csv_unknown_columns(tmp_path, kwargs, match):
    p = write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(ValueError, match=match) as info:
        make_dataset(f"csv:{p}", **kwargs)
    assert str(p) in str(info.value) and "\n" not in str(info.value)


def test_csv_missing_file_directory_and_non_utf8(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.csv: file not found"):
        make_dataset(f"csv:{tmp_path / 'missing.csv'}")
    with pytest.raises(ValueError, match="not a file"):
        make_dataset(f"csv:{tmp_path}")
    p = tmp_path / "latin.csv"
    p.write_bytes(b"a,b\n1,2\n\xe9\xff,3\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        make_dataset(f"csv:{p}")


def test_csv_over_50_mb_refused(tmp_path):
    p = tmp_path / "huge.csv"
    with open(p, "wb") as f:
        f.truncate(51 * 2**20)  # sparse: no real disk use
    with pytest.raises(ValueError, match=r"huge\.csv: file is 51 MB; files over 50 MB are refused"):
        make_dataset(f"csv:{p}")


def test_csv_constant_feature_gets_unit_std(tmp_path):
    p = write(tmp_path, "a,k,y\n" + "".join(f"{i},7,{i * 0.3}\n" for i in range(10)))
    d = make_dataset(f"csv:{p}", test_fraction=0.0)
    assert d.std[1] == 1.0 and np.all(d.X_train[:, 1] == 0.0)


def test_csv_task_can_be_chosen(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    assert make_dataset(f"csv:{f}").task == "classification"
    reg = make_dataset(f"csv:{f}", task="regression")
    assert reg.task == "regression" and reg.y_train.ndim == 2
    g = tmp_path / "g.csv"
    g.write_text("a,y\n" + "".join(f"{i},{i * 0.37}\n" for i in range(30)))
    with pytest.raises(ValueError, match="distinct values"):
        make_dataset(f"csv:{g}", task="classification")
    with pytest.raises(ValueError, match="task"):
        make_dataset(f"csv:{f}", task="clustering")
