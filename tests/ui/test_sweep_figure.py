"""The sweep figure (final loss against η), shared by ``gdsim sweep --export`` and the app's sweep panel."""

import math

import pytest

from gdsim.ui.plotting import sweep_figure
from gdsim.ui.plotting.ticks import log_ticks


def test_diverged_spans_split_half_way_in_log_eta():
    spans = sweep_figure.diverged_spans([0.01, 0.1, 1, 10, 100], [False, False, False, True, True])
    assert spans == [pytest.approx((0.5, 2.5))]
    assert sweep_figure.diverged_spans([1, 10], [True, False]) == [pytest.approx((-0.5, 0.5))]
    assert sweep_figure.diverged_spans([1, 10, 100], [True, False, True]) == [
        pytest.approx((-0.5, 0.5)), pytest.approx((1.5, 2.5))]
    assert sweep_figure.diverged_spans([1, 10], [False, False]) == []


def test_sweep_plot_items(qapp):
    import pyqtgraph as pg

    rows = [{"lr": 0.01, "final_loss": 0.5, "status": "max_epochs", "behaviour": "slow"},
            {"lr": 0.1, "final_loss": 0.02, "status": "converged", "behaviour": "smooth"},
            {"lr": 1.0, "final_loss": 0.03, "status": "converged", "behaviour": "oscillating"},
            {"lr": 10.0, "final_loss": math.inf, "status": "diverged", "behaviour": "diverged"}]
    w = sweep_figure.sweep_plot(rows, limit=2.0)
    try:
        plot = w.getPlotItem()
        assert plot.ctrl.logXCheck.isChecked() and plot.ctrl.logYCheck.isChecked()
        lines = [i for i in plot.items if isinstance(i, pg.InfiniteLine) and not isinstance(i, pg.LinearRegionItem)]
        regions = [i for i in plot.items if isinstance(i, pg.LinearRegionItem)]
        assert [ln.value() for ln in lines if ln.angle == 90] == [pytest.approx(math.log10(2.0))]
        assert len(regions) == 1 and regions[0].getRegion() == pytest.approx((0.5, 1.5))
        stars = [i for i in plot.items if isinstance(i, pg.PlotDataItem) and i.opts.get("symbol") == "star"]
        assert len(stars) == 1 and list(stars[0].xData) == [0.1] and list(stars[0].yData) == [0.02]
        labels = [i.toPlainText() for i in plot.items if isinstance(i, pg.TextItem)]
        assert "best η = 0.1" in labels and "diverged" in labels
    finally:
        w.close()
        w.deleteLater()


def test_log_ticks_label_decades_and_add_2_and_5_on_short_spans():
    major, minor = log_ticks(-2.0, 0.0)
    shown = {round(x, 6): text for x, text in major}
    assert shown[-2.0] == "0.01" and shown[0.0] == "1" and shown[round(math.log10(5), 6)] == "5"
    assert all(text == "" for _, text in minor) and round(math.log10(3), 6) in {round(x, 6) for x, _ in minor}
    wide_major, _ = log_ticks(-5.0, 1.0)
    assert {text for _, text in wide_major} >= {"1e-05", "0.1", "10"}
    assert all(float(x).is_integer() for x, _ in wide_major)  # decades only on a wide span
