"""Backpropagation laid out step by step, with the actual numbers, for the backprop inspector.

``backprop_phases`` walks one update in the order a lecture does: the forward pass layer by layer (z and a per
neuron), the loss, the backward pass from the output down (δ per neuron, then ∂L/∂W and ∂L/∂b), and the
plain gradient-descent update Δθ = −η·g. Each phase names the neurons (layer, index) and the flat parameter
indices it touches, so the network graph can highlight them. The numbers are the engine's own: the deltas
and gradients come from ``Network.backward``, the very pass the trainer steps with.

One convention everywhere a person reads (formulas, the graph, ``param_names``, the README): layers count from
1 (layer 0 is the input x), and so do neurons and inputs: x1, x2 are the inputs, a1[2] is neuron 2 of layer 1,
ŷ[1] the first output. W_l has one row per neuron of layer l−1 and one column per neuron of layer l
(n_in × n_out, as stored), so W2[i,j] joins neuron i below to neuron j above and z_l = a_{l−1}·W_l + b_l with
a row of activations: z2[j] = Σ_i a1[i]·W2[i,j] + b2[j]. Formulas use the notes' symbols (·, −, ½, δ, η, φ').

Also here: per-layer gradient norms and dead-ReLU counts for the gradient-flow panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gdsim.engine import activations, losses
from gdsim.engine.model import Model
from gdsim.engine.network import Network
from gdsim.engine.trainer import Trainer

MAX_TERMS = 8  # a sum with more terms than this is shortened to its first few and "… (n terms)"


@dataclass(frozen=True)
class Phase:
    name: str  # "forward" | "loss" | "backward" | "update"
    title: str
    lines: tuple[str, ...]
    neurons: tuple[tuple[int, int], ...] = ()  # (layer, index); layer 0 is the input
    params: tuple[int, ...] = ()  # flat indices into net.params (edges and biases)


# ---------------------------------------------------------------- number formatting


def num(x: float) -> str:
    """4 significant digits, no trailing zeros, a real minus sign: 0.95, 1, 0.00125, −0.05."""
    x = float(x)
    if x == 0:
        return "0"  # also −0.0
    return f"{x:.4g}".replace("-", "−")


def _f(x: float) -> str:
    """A factor in a product: negative numbers in parentheses, 0.5·(−0.05)."""
    s = num(x)
    return f"({s})" if s.startswith("−") else s


def _minus(a: float, b: float) -> str:
    """a − b as written by hand: (0.0128 − (−0.5)), never a double minus."""
    return f"{num(a)} − {_f(b)}"


def _sum(terms: list[str]) -> str:
    if len(terms) > MAX_TERMS:
        return " + ".join(terms[: MAX_TERMS - 2]) + f" + … ({len(terms)} terms)"
    return " + ".join(terms)


def _stats(v: np.ndarray) -> str:
    return f"mean {num(v.mean())} over {v.size} samples (min {num(v.min())}, max {num(v.max())})"


# ---------------------------------------------------------------- the phases


def backprop_phases(net: Network, X, y, loss: str, lr: float, sample: int | None = None) -> list[Phase]:
    """One update on sample ``sample`` of (X, y), or on the batch mean when ``sample`` is None."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    y = np.asarray(y)
    t = net.targets(y.reshape(1) if y.ndim == 0 else y, loss)
    if t.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y {t.shape[0]}")
    if sample is not None:
        if not -X.shape[0] <= int(sample) < X.shape[0]:
            raise ValueError(f"sample {sample} is out of range: the data has {X.shape[0]} rows")
        k = int(sample) % X.shape[0]
        X, t = X[k:k + 1], t[k:k + 1]
    one = X.shape[0] == 1
    zs, acts = net.forward_all(X)
    value = float(losses.value(loss, zs[-1], acts[-1], t))
    grad, deltas = net.backward(zs, acts, t, loss)  # the engine's own backward pass, not a copy of it
    n_layers = len(net.layers)

    phases = [_forward(net, li, zs, acts, one) for li in range(1, n_layers + 1)]
    phases.append(_loss(net, loss, zs[-1], acts[-1], t, value, one))
    for li in range(n_layers, 0, -1):
        phases.append(_backward_phase(net, li, loss, zs, acts, t, deltas, grad, one))
    for li in range(1, n_layers + 1):
        phases.append(_update(net, li, grad, float(lr)))
    return phases


def _w_index(net: Network, li: int, i: int, j: int) -> int:
    s = net.slots[li - 1]
    return s.w.start + i * s.n_out + j


def _layer_params(net: Network, li: int) -> tuple[int, ...]:
    s = net.slots[li - 1]
    return tuple(range(s.w.start, s.w.stop)) + tuple(range(s.b.start, s.b.stop))


def _a_name(li: int, i: int, n_layers: int) -> str:
    if li == 0:
        return f"x{i + 1}"
    return f"ŷ[{i + 1}]" if li == n_layers else f"a{li}[{i + 1}]"


def _forward(net: Network, li: int, zs, acts, one: bool) -> Phase:
    layer = net.layers[li - 1]
    z, a, prev = zs[li - 1], acts[li], acts[li - 1]
    act = layer.activation
    last = li == len(net.layers)
    lines = []
    for j in range(layer.n_out):
        if one:
            terms = [f"{_f(prev[0, i])}·{_f(layer.W[i, j])}" for i in range(layer.n_in)]
            lines.append(f"z{li}[{j + 1}] = {_sum(terms + [num(layer.b[j])])} = {num(z[0, j])}")
        else:
            src = "x" if li == 1 else f"a{li - 1}"
            lines.append(f"z{li}[{j + 1}] = {src}·W{li}[:,{j + 1}] + b{li}[{j + 1}]: {_stats(z[:, j])}")
        out = _a_name(li, j, len(net.layers))
        if act == "linear":
            rhs = f"z{li}[{j + 1}]"
        elif act == "softmax":
            rhs = f"softmax(z{li})[{j + 1}]"
        else:
            rhs = f"{act}({num(z[0, j])})" if one else f"{act}(z{li}[{j + 1}])"
        lines.append(f"{out} = {rhs} = {num(a[0, j])}" if one else f"{out} = {rhs}: {_stats(a[:, j])}")
    neurons = tuple((li - 1, i) for i in range(layer.n_in)) + tuple((li, j) for j in range(layer.n_out))
    what = "output layer" if last else f"hidden layer {li}"
    below = "x" if li == 1 else f"a{li - 1}"
    title = f"Forward: {what} (z{li} = {below}·W{li} + b{li}, a{li} = {act}(z{li}))"
    return Phase("forward", title, tuple(lines), neurons,
                 _layer_params(net, li))


def _loss(net: Network, loss: str, z, a, t, value: float, one: bool) -> Phase:
    n_layers, k_out = len(net.layers), a.shape[1]
    lines = []
    if one:
        yh, yt = a[0], t[0]
        lines.append("ŷ = " + ", ".join(num(v) for v in yh) + ";  y = " + ", ".join(num(v) for v in yt))
        if loss in ("mse", "half_mse"):
            half = "½" if loss == "half_mse" else ""
            if k_out == 1:
                lines.append(f"L = {half}(ŷ − y)² = {half}({_minus(yh[0], yt[0])})² = {num(value)}")
            else:
                sq = [f"({_minus(p, q)})²" for p, q in zip(yh, yt, strict=True)]
                lines.append(f"L = {half}(1/{k_out})·Σₖ(ŷₖ − yₖ)² = {half}(1/{k_out})·[{_sum(sq)}] = {num(value)}")
        elif loss == "bce":
            parts = [f"{_f(q)}·ln {num(p)} + {_f(1 - q)}·ln {num(1 - p)}" for p, q in zip(yh, yt, strict=True)]
            mean = "" if k_out == 1 else f"(1/{k_out})·Σₖ"
            lines.append(f"L = −{mean}[y·ln ŷ + (1 − y)·ln(1 − ŷ)] = −[{_sum(parts)}] = {num(value)}")
        else:  # cross_entropy on a softmax output
            c = int(np.argmax(yt))
            lines.append(f"L = −ln ŷ[{c + 1}], the output of the true class (label {c}): −ln {num(yh[c])} = "
                         f"{num(value)}")
    else:
        formula = {"mse": "(ŷ − y)²", "half_mse": "½(ŷ − y)²", "bce": "−[y·ln ŷ + (1 − y)·ln(1 − ŷ)]",
                   "cross_entropy": "−ln ŷ[true class]"}[loss]
        lines.append(f"L = mean over {a.shape[0]} samples of {formula} = {num(value)}")
    return Phase("loss", f"Loss ({loss})", tuple(lines), tuple((n_layers, j) for j in range(k_out)), ())


def _output_delta_text(net: Network, loss: str, li: int, j: int, z, a, t, d: float, one: bool) -> str:
    """δ of output neuron j: the formula the loss/activation pairing gives, then its numbers."""
    k_out = a.shape[1]
    per_k = "" if k_out == 1 else f"/{k_out}"
    act = net.output_activation
    head = f"δ{li}[{j + 1}] = ∂L/∂z{li}[{j + 1}]"
    if (loss, act) in (("bce", "sigmoid"), ("cross_entropy", "softmax")):
        per_k = per_k if loss == "bce" else ""  # cross-entropy sums over the classes: no 1/K
        rule = f"(ŷ − y){per_k}"
        nums = f"({_minus(a[0, j], t[0, j])}){per_k}" if one else ""
    elif act == "softmax":  # mse on a softmax: the Jacobian mixes the outputs
        rule, nums = f"Σₖ ∂L/∂ŷₖ·∂ŷₖ/∂z{li}[{j + 1}] (softmax Jacobian)", ""
    else:
        scale = "" if loss == "half_mse" else "2"
        rule = f"{scale}(ŷ − y)·φ'(z){per_k}"
        if one:
            dphi = float(activations.derivative(act, z[:, j:j + 1], a[:, j:j + 1])[0, 0])
            nums = f"{scale}({_minus(a[0, j], t[0, j])})·{_f(dphi)}{per_k}"
        else:
            nums = ""
    if one:
        return f"{head} = {rule} = {nums + ' = ' if nums else ''}{num(d)}"
    return f"{head} = {rule}: mean over {a.shape[0]} samples = {num(d)}"


def _backward_phase(net: Network, li: int, loss: str, zs, acts, t, deltas, grad, one: bool) -> Phase:
    layer = net.layers[li - 1]
    n = acts[0].shape[0]
    delta = deltas[li - 1] * n  # per-sample δ: the gradient of that sample's own loss
    d_mean = delta.mean(axis=0)
    last = li == len(net.layers)
    lines = []
    for j in range(layer.n_out):
        if last:
            lines.append(_output_delta_text(net, loss, li, j, zs[-1], acts[-1], t, d_mean[j], one))
            continue
        above = net.layers[li]
        rule = f"(Σₖ W{li + 1}[{j + 1},k]·δ{li + 1}[k])·φ'(z{li}[{j + 1}])"
        if one:
            d_above = deltas[li][0] * n
            terms = [f"{_f(above.W[j, k])}·{_f(d_above[k])}" for k in range(above.n_out)]
            dphi = float(activations.derivative(layer.activation, zs[li - 1][:, j:j + 1],
                                                acts[li][:, j:j + 1])[0, 0])
            lines.append(f"δ{li}[{j + 1}] = {rule} = ({_sum(terms)})·{_f(dphi)} = {num(d_mean[j])}")
        else:
            lines.append(f"δ{li}[{j + 1}] = {rule}: mean over {n} samples = {num(d_mean[j])}")
    prev = acts[li - 1]
    for i in range(layer.n_in):
        for j in range(layer.n_out):
            p = _w_index(net, li, i, j)
            g, name, d = grad[p], net.param_names[p], f"δ{li}[{j + 1}]"
            src = _a_name(li - 1, i, len(net.layers))
            if one:
                lines.append(f"∂L/∂{name} = {src}·{d} = {_f(prev[0, i])}·{_f(d_mean[j])} = {num(g)}")
            else:
                lines.append(f"∂L/∂{name} = mean over samples of {src}·{d} = {num(g)}")
    for j in range(layer.n_out):
        p = net.slots[li - 1].b.start + j
        lines.append(f"∂L/∂{net.param_names[p]} = δ{li}[{j + 1}] = {num(grad[p])}")
    what = "output layer" if last else f"hidden layer {li}"
    neurons = tuple((li, j) for j in range(layer.n_out)) + tuple((li - 1, i) for i in range(layer.n_in))
    return Phase("backward", f"Backward: {what} (δ, ∂L/∂W{li}, ∂L/∂b{li})", tuple(lines), neurons,
                 _layer_params(net, li))


def _update(net: Network, li: int, grad: np.ndarray, lr: float) -> Phase:
    params = _layer_params(net, li)
    lines = []
    for p in params:
        name, g, w = net.param_names[p], grad[p], net.params[p]
        step = -lr * g
        lines.append(f"Δ{name} = −η·∂L/∂{name} = −{num(lr)}·{_f(g)} = {num(step)};  {name}: {num(w)} → {num(w + step)}")
    layer = net.layers[li - 1]
    neurons = tuple((li, j) for j in range(layer.n_out))
    return Phase("update", f"Update layer {li}: Δθ = −η·g (plain gradient descent, η = {num(lr)})", tuple(lines),
                 neurons, params)


# ---------------------------------------------------------------- gradient flow


def layer_gradient_norms(net: Model, grad: np.ndarray) -> np.ndarray:
    """‖∂L/∂W_l‖ for each layer l (biases left out), (L,): vanishing and exploding gradients at a glance."""
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != (net.n_params,):
        raise ValueError(f"the gradient has {grad.size} values but the network {net.n_params} parameters")
    return np.array([np.linalg.norm(grad[s.w]) for s in net.slots])


def dead_relus(net: Model, X) -> int:
    """ReLU units whose output is zero on every sample of X: they pass no gradient, so they never recover."""
    _, acts = net.forward_all(X)
    return sum(int(np.count_nonzero(np.all(acts[i + 1] == 0.0, axis=0)))
               for i, layer in enumerate(net.layers) if layer.activation == "relu")


# ---------------------------------------------------------------- optimizer X-ray


def next_update(trainer: Trainer) -> dict:
    """The exact change the trainer's next ``step()`` will make, with the optimizer's named parts; changes nothing.

    Why it cannot drift from the real step: the batch is the one ``step`` will draw (peeked from a copy of the
    generator), η is the scheduled one, and the optimizer's ``preview`` is the very function ``step`` runs.
    Keys: ``delta`` (Δθ), ``params`` (θ now), ``grad`` (∂L/∂θ on the batch), ``plain_step`` (−η·∂L/∂θ),
    ``clip_coef``, ``clip_term`` and ``decay_term`` (what clipping and weight decay add to the gradient), ``g``
    (the gradient the rule sees), ``lr``, ``step`` (t of that step), ``loss``, ``batch_size``, ``optimizer``,
    ``formula``, and the rule's own parts: ``momentum_buffer`` and ``velocity``; ``sum`` (Adagrad);
    ``square_avg``, ``grad_avg``, ``denom`` (RMSprop); ``m``, ``v``, ``m_hat``, ``v_hat``, ``v_max``,
    ``bias_correction1``, ``bias_correction2`` (Adam); ``effective_lr`` (η/(√v̂ + ε) per parameter, adaptive
    ones). ``skipped`` is True when the loss or gradient is not finite: ``step`` then stops the run, Δθ = 0.
    Arrays are read-only copies, so the mapping can go into a snapshot.
    """
    X, t = trainer.peek_batch()
    loss, grad, _ = trainer.net.forward_backward(X, t, trainer.loss_name)
    lr, opt = trainer.current_lr, trainer.optimizer
    params = trainer.net.params
    head = {"optimizer": opt.name, "formula": opt.formula, "loss": loss, "batch_size": int(X.shape[0]),
            "params": params}
    if not np.isfinite(loss) or not np.isfinite(grad @ grad):  # as step(): no update, the run diverges
        parts = {"delta": np.zeros_like(params), "grad": grad, "lr": lr, "step": opt.t + 1, "skipped": True}
    else:
        update = opt.preview(params, grad, lr)
        parts = {"delta": update.delta, **update.parts, "skipped": False}
    return {key: _frozen(value) for key, value in {**head, **parts}.items()}


def _frozen(value):
    """A read-only copy of an array; scalars and text as they are."""
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.flags.writeable = False
    return value
