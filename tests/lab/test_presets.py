"""Presets: every one builds and trains; the notes' presets show what they promise; explicit parameters."""

import os

import numpy as np
import pytest

from gdsim.engine.inspect import backprop_phases, dead_relus, layer_gradient_norms
from gdsim.lab import config as cfgmod

NEW = ("worked_example_221", "package_221", "vanishing_sigmoid", "dead_relu")


@pytest.mark.parametrize("name", cfgmod.preset_names())
def test_every_preset_builds_and_trains_two_epochs(name):
    cfg = cfgmod.load_preset(name)
    assert cfg.name and cfg.description and "\n" not in cfg.description
    built = cfgmod.build(cfg)
    built.trainer.run(2)
    assert built.trainer.epoch == 2 or built.trainer.status != "running"


def test_notes_presets_exist():
    assert set(NEW) <= set(cfgmod.preset_names())


def test_worked_example_first_step_matches_the_notes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the preset's csv:gdsim-data/... path resolves from any folder
    built = cfgmod.build(cfgmod.load_preset("worked_example_221"))
    t = built.trainer
    assert np.array_equal(t.X, [[1.0, 2.0], [1.0, 2.0]])  # not standardised
    assert built.net.n_params == 9
    assert np.array_equal(built.net.layers[0].W, [[0.1, 0.2], [0.3, 0.4]])
    assert np.array_equal(built.net.layers[1].W, [[0.5], [0.6]])
    text = "\n".join(line for p in backprop_phases(built.net, t.X, t.y, t.loss_name, t.lr, sample=0)
                     for line in p.lines)
    assert "= 0.95" in text and "= 0.00125" in text and "= −0.05" in text
    result = t.step()
    assert result.loss == pytest.approx(0.00125)
    # one sample twice gives exactly one sample's gradient: W2 -= η·a1·δ2 = 0.1·0.7·0.05
    assert built.net.layers[1].W[0, 0] == pytest.approx(0.5035)


def test_package_221_has_nine_parameters():
    built = cfgmod.build(cfgmod.load_preset("package_221"))
    assert built.net.sizes == [2, 2, 1] and built.net.n_params == 9


def test_vanishing_sigmoid_first_layer_gets_a_tiny_gradient():
    built = cfgmod.build(cfgmod.load_preset("vanishing_sigmoid"))
    assert len(built.net.layers) == 7 and set(built.net.activations[:6]) == {"sigmoid"}
    built.trainer.step()
    norms = layer_gradient_norms(built.net, built.trainer.last_grad)
    assert norms[0] < 1e-3 * norms[-1]


def test_dead_relu_kills_units_where_a_small_eta_does_not():
    cfg = cfgmod.load_preset("dead_relu")
    big = cfgmod.build(cfg)
    big.trainer.run(20)
    small = cfgmod.build(cfg.with_changes(training={"lr": 0.1}))
    small.trainer.run(20)
    assert dead_relus(big.net, big.trainer.X) >= 10
    assert dead_relus(small.net, small.trainer.X) == 0


def test_explicit_params_wrong_length_is_one_clear_line():
    cfg = cfgmod.load_preset("worked_example_221").with_changes(network={"hidden": (3,)})
    with pytest.raises(ValueError, match=r"network.params must be 13 finite numbers for a 2-3-1 network, got 9"):
        cfgmod.build(cfg)


def test_params_and_standardize_round_trip_through_dicts():
    cfg = cfgmod.load_preset("worked_example_221")
    assert cfgmod.from_dict(cfg.to_dict()) == cfg
    assert cfg.network.params == (0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.5, 0.6, 0.0)
    assert cfg.problem.standardize is False
    assert cfgmod.Config().problem.standardize is True and cfgmod.Config().network.params is None


def test_presets_and_sample_data_are_package_resources():
    """Read through importlib.resources, as a wheel install reads them: not from the repository's folders."""
    from importlib import resources

    root = resources.files("gdsim") / "resources"
    assert {"xor", "package_221", "worked_example_221"} <= set(cfgmod.preset_names())
    assert (root / "presets" / "xor.toml").is_file()
    assert (root / "data" / "package_sample.csv").read_text().startswith("cgpa,profile_score,package_lpa")
    assert cfgmod.data_names() == ["package_sample.csv", "worked_example.csv"]


@pytest.mark.parametrize("name", ["../xor", "xor.toml", "", "presets/xor"])
def test_a_preset_name_is_a_name_not_a_path(name):
    with pytest.raises(ValueError, match="unknown preset"):
        cfgmod.load_preset(name)


def test_packaged_csv_is_found_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = cfgmod.Config().with_changes(problem={"dataset": "csv:gdsim-data/package_sample.csv"})
    data = cfgmod.make_data(cfg)
    assert data.n_features == 2 and data.feature_names == ("cgpa", "profile_score")
    for bad in ("csv:gdsim-data/nope.csv", "csv:gdsim-data/../presets/xor.toml"):
        with pytest.raises(ValueError, match="not found; gdsim ships package_sample.csv, worked_example.csv"):
            cfgmod.make_data(cfgmod.Config().with_changes(problem={"dataset": bad}))


def test_sessions_saved_before_the_move_still_find_the_sample_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not os.path.exists("resources/data/package_sample.csv")
    cfg = cfgmod.Config().with_changes(problem={"dataset": "csv:resources/data/package_sample.csv"})
    assert cfgmod.make_data(cfg).n_features == 2


def test_a_user_csv_path_is_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "resources" / "data").mkdir(parents=True)
    (tmp_path / "resources" / "data" / "package_sample.csv").write_text("a,b,y\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n")
    (tmp_path / "mine.csv").write_text("u,v\n1,0\n2,1\n3,0\n4,1\n5,0\n")
    own = cfgmod.Config().with_changes(problem={"dataset": "csv:resources/data/package_sample.csv"})
    assert cfgmod.make_data(own).feature_names == ("a", "b")  # the user's file wins over the packaged one
    assert cfgmod.make_data(cfgmod.Config().with_changes(problem={"dataset": "csv:mine.csv"})).n_features == 1
    with pytest.raises(ValueError, match="not found"):
        cfgmod.make_data(cfgmod.Config().with_changes(problem={"dataset": "csv:nope.csv"}))
