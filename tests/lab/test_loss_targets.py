"""A loss that does not fit the targets is refused with one line naming one that does."""

import numpy as np
import pytest

from gdsim import cli
from gdsim.lab import config as cfgmod


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args, message", [
    (["--dataset", "sine", "--loss", "bce"],
     "bce needs targets in [0, 1]; the sine targets range from −1.19 to 1.24: use mse or half_mse"),
    (["--dataset", "line", "--loss", "bce"], "bce needs targets in [0, 1]; the line targets range from −3.03 "
                                             "to 5.05: use mse or half_mse"),
    (["--dataset", "package", "--loss", "cross_entropy"],
     "cross_entropy needs class labels; the package targets are real numbers (2.37 to 12.3): use mse or half_mse"),
])
def test_wrong_loss_for_the_targets_is_refused(capsys, args, message):
    code, out, err = run(capsys, "train", *args, "--epochs", "3")
    assert code == 2 and out == ""
    assert err == f"gdsim: error: {message}\n"


def test_fitting_losses_still_train(capsys):
    for args in (["--dataset", "xor", "--loss", "bce"], ["--dataset", "xor", "--loss", "cross_entropy"],
                 ["--dataset", "sine", "--loss", "half_mse"], ["--dataset", "xor", "--loss", "mse"]):
        code, _, err = run(capsys, "train", *args, "--epochs", "2", "--json")
        assert code == 0, err


def csv(tmp_path, rows, name="data.csv") -> str:
    path = tmp_path / name
    path.write_text("a,b,y\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return f"csv:{path}"


def test_bce_on_three_classes_points_to_cross_entropy(tmp_path):
    rng = np.random.default_rng(0)
    rows = [(*rng.standard_normal(2).round(3), i % 3) for i in range(30)]
    cfg = cfgmod.Config().with_changes(problem={"dataset": csv(tmp_path, rows)}, training={"loss": "bce"})
    with pytest.raises(ValueError, match=r"bce needs targets in \[0, 1\]; the .*class labels 0 to 2: use "
                                         r"cross_entropy$"):
        cfgmod.build(cfg)
    cfgmod.build(cfg.with_changes(training={"loss": "cross_entropy"}))


def test_bce_on_real_targets_inside_0_1_is_allowed(tmp_path):
    rng = np.random.default_rng(1)
    rows = [(*rng.standard_normal(2).round(3), round(float(v), 4)) for v in rng.uniform(0, 1, 30)]
    cfg = cfgmod.Config().with_changes(problem={"dataset": csv(tmp_path, rows), "task": "regression"},
                                       training={"loss": "bce"})
    built = cfgmod.build(cfg)
    built.trainer.run(3)
    assert built.trainer.summary()["final_loss"] > 0
