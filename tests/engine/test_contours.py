import numpy as np

from gdsim.engine.contours import connect_pairs, segments


def test_circle_contour_lies_on_the_circle():
    xs = ys = np.linspace(-2, 2, 81)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    z = gx**2 + gy**2
    segs = segments(z, xs, ys, 1.1)  # a level no grid node sits on exactly
    r = np.hypot(segs[..., 0], segs[..., 1])
    assert len(segs) > 50 and np.all(np.abs(r - np.sqrt(1.1)) < 0.01)
    # a closed curve: every end point is shared by exactly two segments
    pts = np.round(segs.reshape(-1, 2), 9)
    _, counts = np.unique(pts, axis=0, return_counts=True)
    assert np.all(counts == 2)


def test_linear_function_gives_exact_straight_line():
    xs, ys = np.linspace(0, 1, 11), np.linspace(0, 2, 7)
    z = xs[:, None] + 0 * ys[None, :]
    segs = segments(z, xs, ys, 0.35)
    np.testing.assert_allclose(segs[..., 0], 0.35)
    assert len(segs) == 6


def test_saddle_cells_do_not_cross_and_nan_cells_are_skipped():
    z = np.array([[1.0, 0.0], [0.0, 1.0]])
    segs = segments(z, np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.5)
    assert segs.shape == (2, 2, 2)
    z[0, 0] = np.nan
    assert segments(z, np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.5).shape == (0, 2, 2)
    x, y = connect_pairs(np.zeros((3, 2, 2)))
    assert x.shape == y.shape == (6,)


def test_no_level_crossing_gives_nothing():
    z = np.ones((5, 5))
    assert segments(z, np.arange(5.0), np.arange(5.0), 2.0).shape == (0, 2, 2)
