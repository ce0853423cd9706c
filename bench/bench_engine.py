"""Steps per second of the Trainer against a hand-written NumPy loop (the floor) and PyTorch CPU (1 thread).

Reference workload: 2-8-8-1, tanh hidden, sigmoid output, BCE, 200 samples, full batch, SGD, float64.
Also: Network.loss_batch on a 101×101 grid of parameter vectors against a per-point loop.
Run: python bench/bench_engine.py   (PyTorch optional: pip install torch==2.13.0)
"""

from __future__ import annotations

import time

import numpy as np

from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer

N, STEPS, LR = 200, 3000, 0.1


def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.float64)
    return X, y


def best_rate(fn, steps, repeats=5) -> float:
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(steps)
        best = max(best, steps / (time.perf_counter() - t0))
    return best


def gdsim_trainer(X, y):
    net = Network([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    tr = Trainer(net, X, y, loss="bce", optimizer="sgd", lr=LR)

    def run(steps):
        for _ in range(steps):
            tr.step()

    return run


def numpy_loop(X, y):
    """The floor: the same maths with nothing else (no history, no status, no flat vector)."""
    rng = np.random.default_rng(0)
    Ws = [rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b)) for a, b in ((2, 8), (8, 8), (8, 1))]
    bs = [np.zeros(b) for b in (8, 8, 1)]
    t = y[:, None]

    def run(steps):
        for _ in range(steps):
            h1 = np.tanh(X @ Ws[0] + bs[0])
            h2 = np.tanh(h1 @ Ws[1] + bs[1])
            z = h2 @ Ws[2] + bs[2]
            p = 1 / (1 + np.exp(-z))
            d3 = (p - t) / N
            d2 = (d3 @ Ws[2].T) * (1 - h2 * h2)
            d1 = (d2 @ Ws[1].T) * (1 - h1 * h1)
            for W, b, a, d in ((Ws[2], bs[2], h2, d3), (Ws[1], bs[1], h1, d2), (Ws[0], bs[0], X, d1)):
                W -= LR * (a.T @ d)
                b -= LR * d.sum(axis=0)

    return run


def torch_loop(X, y):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 1)).double()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    Xt, yt = torch.tensor(X), torch.tensor(y)[:, None]

    def run(steps):
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(Xt), yt)
            loss.backward()
            opt.step()

    return run


def loss_batch_bench(X, y):
    net = Network([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    rng = np.random.default_rng(1)
    thetas = net.params + 0.1 * rng.standard_normal((101 * 101, net.n_params))
    t0 = time.perf_counter()
    net.loss_batch(thetas, X, y, "bce")
    batch = time.perf_counter() - t0
    probe = net.copy()
    t0 = time.perf_counter()
    for th in thetas[:1000]:
        probe.set_params(th)
        probe.loss(X, y, "bce")
    loop = (time.perf_counter() - t0) * len(thetas) / 1000
    return batch, loop


def main() -> None:
    X, y = data()
    rows = [("gdsim Trainer", best_rate(gdsim_trainer(X, y), STEPS)),
            ("hand-written NumPy loop", best_rate(numpy_loop(X, y), STEPS))]
    torch_run = torch_loop(X, y)
    if torch_run is not None:
        rows.append(("PyTorch CPU, 1 thread", best_rate(torch_run, STEPS)))
    ours = rows[0][1]
    print("| workload: 2-8-8-1 tanh/sigmoid, BCE, 200 samples, full batch, SGD, float64 | steps/s | gdsim ÷ this |")
    print("|---|---:|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {ours / rate:.2f}× |")
    batch, loop = loss_batch_bench(X, y)
    print(f"| loss_batch, 101×101 parameter vectors | {batch * 1000:.0f} ms | {loop / batch:.1f}× faster than a "
          f"per-point loop ({loop * 1000:.0f} ms) |")


if __name__ == "__main__":
    main()
