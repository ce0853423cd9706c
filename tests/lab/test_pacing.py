"""The pace of a run and the spacing of its snapshots (gdsim.lab.pacing), with a clock we move by hand."""

from __future__ import annotations

import pytest

from gdsim.lab import pacing


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(pacing.time, "perf_counter", lambda: now[0])
    return now


def test_flat_out_allows_every_step_and_never_waits(clock):
    p = pacing.Pacer()
    assert p.allowed(0) >= 1 << 20 and p.delay_ms(allowed=1 << 30, done=500) == 0


def test_a_pace_allows_the_steps_that_are_due(clock):
    p = pacing.Pacer()
    p.set_rate(60, step=10)
    assert p.allowed(10) == 0 and p.delay_ms(0, 0) == 16  # one step's time, 1000/60 ms
    clock[0] += 0.5
    assert p.allowed(10) == 30 and p.allowed(25) == 15  # 30 due after half a second, 15 of them taken
    clock[0] += 10
    assert p.allowed(10 + 630) == 0  # never negative when ahead


def test_snapshots_are_spaced_by_the_frame_rate_and_wait_for_the_last_to_be_drawn(clock):
    p = pacing.Pacer()
    p.set_rate(60, 0)
    assert p.snapshot_due(force=False, waiting=False)
    assert not p.snapshot_due(force=False, waiting=False)  # within 1/MAX_FPS
    clock[0] += 1 / pacing.MAX_FPS + 1e-6
    assert not p.snapshot_due(force=False, waiting=True)  # the last one is not drawn yet
    assert p.snapshot_due(force=False, waiting=False)
    assert p.snapshot_due(force=True, waiting=True)  # a Step's snapshot always goes


def test_flat_out_drawing_takes_at_most_its_share_of_the_time(clock):
    p = pacing.Pacer()
    for _ in range(50):
        p.drawn(0.030)  # 30 ms a frame
    assert p.frame_cost == pytest.approx(0.030)
    assert p.snapshot_due(False, False)
    clock[0] += 0.030 / pacing.GUI_SHARE - 0.01
    assert not p.snapshot_due(False, False)
    clock[0] += 0.02
    assert p.snapshot_due(False, False)


def test_measured_speed(clock):
    p = pacing.Pacer()
    p.start(0)
    clock[0] += 0.5
    assert p.measure(True, 1000) == pytest.approx(2000)
    assert p.measure(False, 1000) == 0.0
