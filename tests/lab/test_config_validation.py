"""Hostile TOML set-ups and oversized networks or grids: one line on stderr, exit status 2, nothing allocated."""

import tracemalloc

import pytest

from gdsim import cli
from gdsim.lab import config as cfgmod
from gdsim.lab import limits, surfaces

BAD_TOML = {
    "epochs_text": ("[training]\nepochs = \"many\"\n", "[training] epochs must be a whole number, got 'many'"),
    "hidden_an_int": ("[network]\nhidden = 4\n", "[network] hidden must be a list, got 4"),
    "training_a_number": ("training = 5\n", "[training] must be a table"),
    "tol_text": ("[training]\ntol = \"x\"\n", "[training] tol must be a number, got 'x'"),
    "batch_size_fraction": ("[training]\nbatch_size = 2.5\n", "[training] batch_size must be a whole number, got 2.5"),
    "samples_fraction": ("[problem]\nsamples = 100.5\n", "[problem] samples must be a whole number"),
    "problem_a_string": ("problem = \"xor\"\n", "[problem] must be a table"),
    "network_a_list": ("network = [1, 2]\n", "[network] must be a table"),
    "unknown_section": ("[trainig]\nlr = 0.1\n", "unknown section(s) trainig"),
    "unknown_key": ("[training]\nlearning_rate = 0.1\n", "unknown key(s) in [training]: learning_rate"),
    "lr_text": ("[training]\nlr = \"fast\"\n", "[training] lr must be a number, got 'fast'"),
    "lr_bool": ("[training]\nlr = true\n", "[training] lr must be a number, got True"),
    "lr_nan": ("[training]\nlr = nan\n", "learning rate η must be a positive finite number"),
    "lr_negative": ("[training]\nlr = -0.5\n", "learning rate η must be a positive finite number"),
    "hidden_item_text": ("[network]\nhidden = [4, \"wide\"]\n", "[network] hidden[1] must be a whole number"),
    "activations_a_number": ("[network]\nactivations = 3\n", "[network] activations[0] must be text, got 3"),
    "standardize_text": ("[problem]\nstandardize = \"yes\"\n", "[problem] standardize must be true or false"),
    "name_a_number": ("name = 5\n", "name must be text, got 5"),
    "optimizer_kwargs_a_list": ("[training]\noptimizer_kwargs = [1]\n", "optimizer_kwargs must be a table"),
    "optimizer_kwargs_nested": ("[training.optimizer_kwargs]\nmomentum = [0.9]\n",
                                "[training] optimizer_kwargs.momentum must be a number"),
    "tol_negative": ("[training]\ntol = -1.0\n", "tol must be a finite number ≥ 0"),
    "patience_negative": ("[training]\npatience = -2\n", "patience must be ≥ 0"),
    "test_fraction_one": ("[problem]\ntest_fraction = 1.0\n", "test fraction must be at least 0 and below 1"),
    "samples_too_many": ("[problem]\nsamples = 1_000_000_000\n", "1,000,000,000 samples is too many"),
    "network_too_big": ("[network]\nhidden = [100000, 100000]\n", "parameters needs 166 TB"),
    "too_many_layers": ("[network]\nhidden = [" + ", ".join(["2"] * 101) + "]\n", "101 hidden layers"),
}


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", list(BAD_TOML))
def test_bad_toml_is_one_line_exit_2(capsys, tmp_path, case):
    text, expected = BAD_TOML[case]
    f = tmp_path / "setup.toml"
    f.write_text(text)
    code, out, err = run(capsys, "train", "--config", str(f), "--epochs", "1", "--json")
    assert code == 2 and out == ""
    assert err.startswith("gdsim: error: ") and err.count("\n") == 1, err
    assert expected in err


@pytest.mark.parametrize("text,field,value", [
    ("[training]\nbatch_size = 4.0\n", "batch_size", 4),    # a whole number written as a float is that number
    ("[training]\nbatch_size = \"full\"\n", "batch_size", None),
    ("[training]\nepochs = 1e1\n", "epochs", 10),
])
def test_whole_numbers_and_full_are_accepted(tmp_path, text, field, value):
    f = tmp_path / "ok.toml"
    f.write_text(text)
    got = getattr(cfgmod.load(f).training, field)
    assert got == value and type(got) is type(value)


def test_a_single_activation_name_and_a_start_number_are_lists_of_one(tmp_path):
    f = tmp_path / "ok.toml"
    f.write_text("[problem]\ndataset = \"function:bias5\"\nstart = -3\n[network]\nactivations = \"relu\"\n")
    cfg = cfgmod.load(f)
    assert cfg.network.activations == ("relu",) and cfg.problem.start == (-3.0,)


def test_huge_layers_are_refused_before_allocating_naming_the_size(capsys):
    tracemalloc.start()
    code, _, err = run(capsys, "train", "--layers", "2,100000,100000,1", "--epochs", "1")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert code == 2 and err.count("\n") == 1
    assert "10,000,500,001 parameters" in err and "166 TB" in err and "the limit is 2 GB" in err
    assert peak < 50e6


def test_the_limit_is_checked_on_the_real_network_too():
    """Wide input data make a network bigger than its hidden layers alone say: make_network checks again."""
    wide = 2_000
    assert limits.network_bytes([1, wide, 1]) < limits.MEMORY_LIMIT < limits.network_bytes([wide, wide, 1])
    with pytest.raises(ValueError, match=r"a 2000-2000-1 network of 4,004,001 parameters needs"):
        limits.check_network([wide, wide, 1])


def test_a_network_within_the_limit_builds():
    n = limits.max_params()
    assert 100_000 < n < 150_000
    built = cfgmod.build(cfgmod.Config().with_changes(network={"hidden": (64, 64)}))
    assert built.net.n_params == 2 * 64 + 64 + 64 * 64 + 64 + 64 + 1


@pytest.mark.parametrize("kind,resolution,ok", [("2d", 2000, True), ("2d", 2001, False), ("2d", 100_000, False),
                                                ("1d", 4_000_000, True), ("1d", 4_000_001, False)])
def test_surface_grids_are_bounded(kind, resolution, ok):
    if ok:
        assert surfaces.SurfaceSpec(kind=kind, indices=(0, 1), resolution=resolution).resolution == resolution
    else:
        with pytest.raises(ValueError, match="points per axis") as e:
            surfaces.SurfaceSpec(kind=kind, indices=(0, 1), resolution=resolution)
        assert "needs" in str(e.value) and "\n" not in str(e.value)
