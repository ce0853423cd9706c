"""The app's state without a display: which problem is current, and which results belong to it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gdsim.lab import config
from gdsim.lab.requests import CompareRequest, SweepRequest
from gdsim.lab.state import AppState, problem_key


def xor() -> config.Config:
    return config.load_preset("xor").with_changes(training={"epochs": 0})


def key(cfg: config.Config) -> str:
    return problem_key(cfg, config.build(cfg).data)


def test_state_and_requests_import_without_qt():
    code = ("import sys, gdsim.lab.state, gdsim.lab.requests; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]; sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("training", [{"lr": 0.01}, {"optimizer": "adam"}, {"epochs": 7}, {"seed": 3}])
def test_training_choices_leave_the_problem_alone(training):
    assert key(xor().with_changes(training=training)) == key(xor())


def test_a_start_point_and_the_initial_weights_leave_the_problem_alone():
    f = config.Config().with_changes(problem={"dataset": "function:rosenbrock"})
    assert problem_key(f.with_changes(problem={"start": (0.5, 0.5)}), None) == problem_key(f, None)
    assert key(xor().with_changes(network={"seed": 4})) == key(xor())


@pytest.mark.parametrize("change", [{"network": {"hidden": (5,)}}, {"network": {"activations": ("relu",)}},
                                    {"training": {"loss": "mse"}}, {"training": {"weight_decay": 0.01}},
                                    {"problem": {"dataset": "circles"}}, {"problem": {"noise": 0.3}}])
def test_data_architecture_and_loss_change_the_problem(change):
    assert key(xor().with_changes(**change)) != key(xor())


def test_the_data_itself_is_part_of_the_problem():
    """Points drawn into the same CSV file: same config, other numbers, another problem."""
    cfg = xor()
    data = config.build(cfg).data
    more = type(data)(**{**data.__dict__, "X_train": np.vstack([data.X_train, [[0.1, 0.2]]]),
                         "y_train": np.concatenate([data.y_train, [1]])})
    assert problem_key(cfg, more) != problem_key(cfg, data)


def test_functions_differ_by_expression():
    f = config.Config().with_changes(problem={"dataset": "function:x**2 + y**2"})
    g = config.Config().with_changes(problem={"dataset": "function:x**2 + 3*y**2"})
    assert problem_key(f, None) != problem_key(g, None)


def test_results_belong_to_the_problem_they_were_computed_for():
    state = AppState()
    a, b = xor(), xor().with_changes(network={"hidden": (6,)})
    assert state.set_problem(a, config.build(a).data)
    first = state.problem
    state.add_result("compare", "race on A")
    asked_on_a = state.problem
    assert not state.set_problem(a.with_changes(training={"lr": 0.3}), config.build(a).data)  # same problem
    assert [r.value for r in state.results_for_current()] == ["race on A"]
    assert state.set_problem(b, config.build(b).data)
    assert state.results_for_current() == [] and [r.value for r in state.stale_results()] == ["race on A"]
    state.add_result("sweep", "sweep asked on A, arrived after the change", problem=asked_on_a)
    state.add_result("sweep", "sweep on B")
    assert [r.value for r in state.results_for_current("sweep")] == ["sweep on B"]
    assert state.latest("compare") is None
    state.set_problem(a, config.build(a).data)  # back to A: its results are current again
    assert state.problem == first
    assert {r.value for r in state.results_for_current()} == {"race on A", "sweep asked on A, arrived after the change"}


def test_a_new_result_replaces_the_last_one_of_its_kind_on_the_same_problem():
    state = AppState()
    state.set_problem(xor(), config.build(xor()).data)
    state.add_result("compare", 1)
    state.add_result("compare", 2)
    state.add_result("sweep", 3)
    assert [r.value for r in state.results] == [2, 3] and state.latest("compare").value == 2


def test_clear_exact_forgets_exact_mode_and_the_start_point():
    state = AppState(exact_indices=(0, 1), start_override={0: 1.0})
    state.clear_exact()
    assert state.exact_indices == () and state.start_override == {}


def test_requests_from_the_panels_run_without_a_thread():
    cfg = xor()
    req = CompareRequest.from_panel({"mode": "lr", "values": [0.1, 1.0], "epochs": 3, "target": None}, cfg, "k")
    assert req.kind == "compare" and req.values == (0.1, 1.0) and req.problem == "k"
    seen = []
    result = req.run(lambda done, total: seen.append((done, total)))
    assert [r.lr for r in result.runs] == [0.1, 1.0] and seen[-1][0] == seen[-1][1]
    starts = CompareRequest.from_panel({"mode": "start", "values": [[0.0, 1.0]], "epochs": 2},
                                       config.Config().with_changes(problem={"dataset": "function:rosenbrock"}))
    assert starts.values == ((0.0, 1.0),) and starts.run().runs[0].label == "start (0, 1)"
    sweep = SweepRequest.from_panel({"lrs": [0.01, 0.1], "epochs": 2}, cfg)
    assert sweep.kind == "sweep" and len(sweep.run(cancel=lambda: False).runs) == 2


def test_a_cancelled_request_stops_between_runs():
    req = SweepRequest(xor(), (0.01, 0.1, 1.0), 5)
    assert req.run(cancel=lambda: True).cancelled
