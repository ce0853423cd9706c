"""The optimizer X-ray for the app: what the worker records per snapshot and how the update reads in numbers.

Qt-free. ``take`` runs in the worker (it reads the trainer): ``inspect.next_update`` plus the optimizer's
buffers *before* the step and its hyperparameters, so the inspector can write m = β₁·m + (1−β₁)·g with every
number. ``vectors`` keeps the three arrows the loss surface draws (−η·g, the velocity, Δθ); ``History`` holds
them per step for the steps the trajectory still has, as immutable arrays shared by every snapshot (no copies).
``update_lines`` writes one parameter's update for the Backprop inspector.
"""

from __future__ import annotations

import numpy as np

from gdsim.engine import inspect
from gdsim.engine.inspect import num

ARROWS = (("plain_step", "plain step −η·g"), ("velocity", "velocity (momentum)"), ("delta", "update taken Δθ"))
ADAPTIVE = ("adagrad", "rmsprop", "adam")
EFFECTIVE = {"adagrad": "η/(√s + ε)", "rmsprop": "η/d", "adam": "η/(√v̂ + ε)"}
MAX_HISTORY = 4096  # arrows kept at most (the trajectory sample holds ≤ ~2,064 steps)


def take(trainer) -> dict:
    """``next_update`` with the buffers the rule starts from (``previous``) and its settings (``hyper``)."""
    opt = trainer.optimizer
    with np.errstate(all="ignore"):
        x = dict(inspect.next_update(trainer))
    previous = {}
    for key, value in opt.state.items():
        a = np.array(value, dtype=np.float64)
        a.flags.writeable = False
        previous[key] = a
    x["previous"] = previous
    x["hyper"] = {**opt.hyper, "weight_decay": opt.weight_decay, "clip_norm": opt.clip_norm}
    return x


def vectors(x: dict) -> np.ndarray:
    """(3, P) read-only: −η·g, the velocity (NaN without one) and Δθ, in ``ARROWS`` order."""
    delta = np.asarray(x["delta"], dtype=np.float64)
    rows = [np.asarray(x[key], dtype=np.float64) if key in x else np.full(delta.shape, np.nan)
            for key, _ in ARROWS]
    out = np.stack(rows)
    out.flags.writeable = False
    return out


class History:
    """Arrows per step, kept only for steps the trajectory still holds (the scrubber can reach no others)."""

    def __init__(self) -> None:
        self._by_step: dict[int, np.ndarray] = {}

    def add(self, step: int, vecs: np.ndarray, keep_steps) -> tuple:
        """Record ``vecs`` for ``step``, forget steps not in ``keep_steps``; the entries as a tuple."""
        self._by_step[int(step)] = vecs
        keep = {int(s) for s in np.asarray(keep_steps).reshape(-1)} | {int(step)}
        if len(self._by_step) > len(keep) or len(self._by_step) > MAX_HISTORY:
            self._by_step = {s: v for s, v in self._by_step.items() if s in keep}
            while len(self._by_step) > MAX_HISTORY:
                self._by_step.pop(min(self._by_step))
        return self.entries()

    def entries(self) -> tuple:
        return tuple(self._by_step.items())

    def clear(self) -> None:
        self._by_step = {}


def at(history, step: int) -> np.ndarray | None:
    """The (3, P) arrows recorded for ``step`` in a snapshot's ``xray_history``, or None."""
    for s, vecs in history:
        if s == int(step):
            return vecs
    return None


def project(grid, params, vecs) -> tuple[np.ndarray, np.ndarray]:
    """Tail (2,) and tips (3, 2) of the arrows in ``grid``'s coordinates: the path's own projection, so the
    Δθ arrow ends where the path's next point will be."""
    from gdsim.lab import surfaces

    p = np.asarray(params, dtype=np.float64).reshape(-1)
    pts = np.vstack([p[None], p[None] + np.asarray(vecs, dtype=np.float64)])
    coords = surfaces.path_on_grid(grid, pts)
    return coords[0], coords[1:]


# ---------------------------------------------------------------- the update in numbers


def _f(x: float) -> str:
    """A factor: negatives in parentheses, so no line reads "− −0.5"."""
    s = num(x)
    return f"({s})" if s.startswith("−") else s


def _times(a: float, b: float) -> str:
    return f"{_f(a)}·{_f(b)}"


def update_lines(x: dict, p: int, name: str, w: float) -> list[str]:
    """The optimizer's update of parameter ``p`` (called ``name``, now ``w``) written out with its numbers."""
    if x.get("skipped"):
        return [f"{name}: the loss or gradient is not finite: no update (the run has diverged)"]
    h, prev = x.get("hyper", {}), x.get("previous", {})
    lr, t, opt = float(x["lr"]), int(x["step"]), x["optimizer"]
    g0, g = float(x["grad"][p]), float(x["g"][p])
    batch = f" (on the next step's batch of {x['batch_size']})" if x.get("batch_size", 0) > 1 else ""
    lines = [f"{name}: ∂L/∂{name} = {num(g0)}{batch}"]
    clip, decay = h.get("clip_norm") is not None, float(h.get("weight_decay", 0.0))
    if clip:
        lines.append(f"  c = min(1, C/(‖∇L‖ + 10⁻⁶)) = {num(x['clip_coef'])}; clipping adds {num(x['clip_term'][p])}")
    if clip or decay:
        c = f"{_f(x['clip_coef'])}·" if clip else ""
        d = f" + {_times(decay, w)}" if decay else ""
        lines.append(f"  g = {'c·' if clip else ''}∇L{' + λ·w' if decay else ''} = {c}{_f(g0)}{d} = {num(g)}")
    else:
        lines[0] += f"; g = {num(g)}"
    step = f"Δ{name}"
    delta = float(x["delta"][p])
    if opt in ("sgd", "momentum", "nesterov"):
        lines += _sgd_lines(x, h, prev, p, lr, t, g, step)
    elif opt == "adagrad":
        s_old, s = float(prev["sum"][p]), float(x["sum"][p])
        clr = float(x["decayed_lr"])
        lines.append(f"  s = s + g² = {num(s_old)} + {_f(g)}² = {num(s)}")
        eta = "ηₜ" if h.get("lr_decay") else "η"
        lines.append(f"  {step} = −{eta}·g/(√s + ε) = −{num(clr)}·{_f(g)}/({num(np.sqrt(s))} + {num(h['eps'])}) "
                     f"= {num(delta)}")
    elif opt == "rmsprop":
        lines += _rmsprop_lines(x, h, prev, p, lr, g, step, delta)
    elif opt == "adam":
        lines += _adam_lines(x, h, prev, p, lr, t, g, step, delta)
    if "effective_lr" in x:
        rate = EFFECTIVE.get(opt, "η/(√v̂ + ε)")
        lines.append(f"  effective step size {rate} = {num(x['effective_lr'][p])}: |{step}| = {num(abs(delta))}"
                     f" = {num(abs(delta) / lr) if lr else '—'}·η")
    lines.append(f"  {name}: {num(w)} → {num(w + delta)}")
    return lines


def _sgd_lines(x, h, prev, p, lr, t, g, step) -> list[str]:
    mu = float(h.get("momentum", 0.0))
    if mu == 0.0:
        return [f"  {step} = −η·g = −{num(lr)}·{_f(g)} = {num(x['delta'][p])}"]
    b = float(x["momentum_buffer"][p])
    if t == 1:
        out = [f"  b = g at the first step = {num(b)}"]
    else:
        damp = float(h.get("dampening", 0.0))
        gterm = f"{_f(1 - damp)}·{_f(g)}" if damp else _f(g)
        out = [f"  b = μ·b + {'(1−τ)·' if damp else ''}g = {_times(mu, prev['momentum_buffer'][p])} + {gterm} "
               f"= {num(b)}"]
    out.append(f"  velocity −η·b = {num(x['velocity'][p])}")
    if x["optimizer"] == "nesterov":
        out.append(f"  {step} = −η·(g + μ·b) = −{num(lr)}·({num(g)} + {_times(mu, b)}) = {num(x['delta'][p])}")
    else:
        out.append(f"  {step} = −η·b = −{num(lr)}·{_f(b)} = {num(x['delta'][p])}")
    return out


def _rmsprop_lines(x, h, prev, p, lr, g, step, delta) -> list[str]:
    a = float(h["alpha"])
    v_old, v = float(prev["square_avg"][p]), float(x["square_avg"][p])
    out = [f"  v = α·v + (1−α)·g² = {_times(a, v_old)} + {num(1 - a)}·{_f(g)}² = {num(v)}"]
    d = float(x["denom"][p])
    if h.get("centered"):
        gb = float(x["grad_avg"][p])
        out.append(f"  ḡ = α·ḡ + (1−α)·g = {_times(a, prev['grad_avg'][p])} + {num(1 - a)}·{_f(g)} = {num(gb)}")
        out.append(f"  d = √(v − ḡ²) + ε = √({num(v)} − {_f(gb)}²) + {num(h['eps'])} = {num(d)}")
    else:
        out.append(f"  d = √v + ε = {num(np.sqrt(v))} + {num(h['eps'])} = {num(d)}")
    mu = float(h.get("momentum", 0.0))
    if mu > 0:
        b = float(x["momentum_buffer"][p])
        out.append(f"  b = μ·b + g/d = {_times(mu, prev['momentum_buffer'][p])} + {_f(g)}/{num(d)} = {num(b)}")
        out.append(f"  {step} = −η·b = −{num(lr)}·{_f(b)} = {num(delta)}")
    else:
        out.append(f"  {step} = −η·g/d = −{num(lr)}·{_f(g)}/{num(d)} = {num(delta)}")
    return out


def _adam_lines(x, h, prev, p, lr, t, g, step, delta) -> list[str]:
    b1, b2, eps = float(h["beta1"]), float(h["beta2"]), float(h["eps"])
    m, v = float(x["m"][p]), float(x["v"][p])
    m_hat, v_hat = float(x["m_hat"][p]), float(x["v_hat"][p])
    out = [f"  m = β₁·m + (1−β₁)·g = {_times(b1, prev['exp_avg'][p])} + {num(1 - b1)}·{_f(g)} = {num(m)}",
           f"  v = β₂·v + (1−β₂)·g² = {_times(b2, prev['exp_avg_sq'][p])} + {num(1 - b2)}·{_f(g)}² = {num(v)}"]
    bc1, bc2 = float(x["bias_correction1"]), float(x["bias_correction2"])
    out.append(f"  m̂ = m/(1−β₁ᵗ) = {_f(m)}/{num(bc1)} = {num(m_hat)}   (t = {t})")
    if h.get("amsgrad"):
        out.append(f"  vmax = max(vmax, v) = max({num(prev['max_exp_avg_sq'][p])}, {num(v)}) = "
                   f"{num(x['v_max'][p])}")
        out.append(f"  v̂ = vmax/(1−β₂ᵗ) = {num(x['v_max'][p])}/{num(bc2)} = {num(v_hat)}")
    else:
        out.append(f"  v̂ = v/(1−β₂ᵗ) = {num(v)}/{num(bc2)} = {num(v_hat)}")
    out.append(f"  {step} = −η·m̂/(√v̂ + ε) = −{num(lr)}·{_f(m_hat)}/({num(np.sqrt(v_hat))} + {num(eps)}) "
               f"= {num(delta)}")
    return out
