"""Optimizers on the one flat float64 parameter vector, with torch.optim's exact update rules.

Why copy torch: students later meet these optimizers in PyTorch, so "Adam with lr=1e-3" must mean the same
numbers here (single-tensor, non-foreach code paths of torch 2.x, maximize=False). Weight decay is L2 added to
the gradient (g += wd * p) for every optimizer, Adam included, as torch does; this is not AdamW.

``step(params, grad, lr)`` takes η per call so a schedule, or the user dragging a slider, can change it live.
Each rule is a pure function of (state, g): ``preview`` works the next step out, with its named parts (momentum
buffer, Adam's m̂ and v̂, the effective step size, ...), without changing anything; ``step`` commits it. So the
optimizer X-ray shows exactly the numbers the step will use, from the one copy of the math.
Hyperparameters belong to the config; ``state_dict`` holds what a saved session needs to resume bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")

DEFAULTS: dict[str, dict] = {
    "sgd": {},
    "momentum": {"momentum": 0.9, "dampening": 0.0},
    "nesterov": {"momentum": 0.9},
    "adagrad": {"lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "amsgrad": False},
}

# Suggested η for the app; torch's own defaults for adagrad, rmsprop and adam.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.01, "rmsprop": 0.01, "adam": 0.001}


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch.lerp as a new array, with torch's two branches (they round differently)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


@dataclass(frozen=True)
class Update:
    """One step worked out without taking it, for the optimizer X-ray: Δθ, the named pieces of the rule in
    plain words (``grad``, ``decay_term``, ``momentum_buffer``, ``m_hat``, ``effective_lr``, ...) and the formula."""

    delta: np.ndarray
    parts: dict[str, np.ndarray | float]
    formula: str


# (test, wording) pairs, and which one each real hyperparameter must pass; booleans are checked by type
NON_NEGATIVE = (lambda v: v >= 0.0, ">= 0")
POSITIVE = (lambda v: v > 0.0, "> 0")
UNIT = (lambda v: 0.0 <= v < 1.0, "in [0, 1)")
RULES = {
    **dict.fromkeys(("momentum", "lr_decay", "initial_accumulator_value"), NON_NEGATIVE),
    **dict.fromkeys(("alpha", "beta1", "beta2"), UNIT),
    "eps": POSITIVE,
    "dampening": (lambda v: 0.0 <= v <= 1.0, "in [0, 1]"),
}


def _real(owner: str, key: str, value, ok, rule: str) -> float:
    """Validate one real hyperparameter; one-line message on failure."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: {key} must be a number, got {value!r}")
    if not (math.isfinite(float(value)) and ok(float(value))):
        raise ValueError(f"{owner}: {key} must be finite and {rule}, got {value!r}")
    return float(value)


def _flag(owner: str, key: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {key} must be True or False, got {value!r}")
    return bool(value)


class Optimizer:
    """Common pipeline: copy -> clip -> mask -> weight decay -> torch update -> mask -> add in place."""

    name = ""
    buffers: tuple[str, ...] = ()  # names of the per-parameter state arrays
    rules: dict = {}  # per-class exceptions to RULES

    def __init__(
        self, n_params: int, weight_decay: float = 0.0, clip_norm: float | None = None, mask=None, **hyper
    ) -> None:
        if isinstance(n_params, bool) or not isinstance(n_params, (int, np.integer)) or n_params < 0:
            raise ValueError(f"{self.name}: n_params must be a non-negative integer, got {n_params!r}")
        self.n_params = int(n_params)
        self.weight_decay = _real(self.name, "weight_decay", weight_decay, *NON_NEGATIVE)
        self.clip_norm = None if clip_norm is None else _real(self.name, "clip_norm", clip_norm, *POSITIVE)
        self.mask = self._as_mask(mask)
        valid = DEFAULTS[self.name]
        unknown = sorted(set(hyper) - set(valid))
        if unknown:
            allowed = ", ".join(valid) if valid else "none"
            raise ValueError(f"{self.name}: unknown hyperparameter(s) {', '.join(unknown)}; valid: {allowed}")
        self.hyper = {**valid, **hyper}
        for key, value in self.hyper.items():
            if isinstance(valid[key], bool):
                self.hyper[key] = _flag(self.name, key, value)
            else:
                self.hyper[key] = _real(self.name, key, value, *self.rules.get(key, RULES[key]))
        self.t = 0
        start = self.hyper.get("initial_accumulator_value", 0.0)  # only Adagrad's sum may start above 0
        self.state = {key: np.full(self.n_params, start) for key in self.buffers}

    def _as_mask(self, mask) -> np.ndarray | None:
        if mask is None:
            return None
        m = np.asarray(mask)
        if m.shape != (self.n_params,) or not np.isin(m, (0, 1)).all():
            raise ValueError(f"{self.name}: mask must be a bool or 0/1 array of shape ({self.n_params},)")
        return m.astype(bool)  # a copy: the caller may reuse its array

    def _rule(self, g: np.ndarray, lr: float, t: int, state: dict) -> tuple[np.ndarray, dict, dict]:
        """(Δθ, the buffers it changes, what it computed on the way) at step ``t``: a pure function, ``state``
        is only read. The third item costs nothing: ``_explain`` turns it into named parts when asked."""
        raise NotImplementedError

    def _explain(self, work: dict, lr: float) -> dict:
        """The rule's named parts (m̂, v̂, the effective step size, ...) from what ``_rule`` computed."""
        return work

    def _rule_formula(self) -> str:
        raise NotImplementedError

    @property
    def formula(self) -> str:
        """The update in the notes' symbols, with this optimizer's options (decay, clipping) spelled out."""
        pre = []
        if self.clip_norm is not None:
            pre.append("c = min(1, C/(‖∇L‖ + 10⁻⁶))")
        if self.clip_norm is not None or self.weight_decay != 0.0:
            clip = "c·" if self.clip_norm is not None else ""
            decay = " + λ·w" if self.weight_decay != 0.0 else ""
            pre.append(f"g = {clip}∇L{decay}")
        return "; ".join(pre + [self._rule_formula()])

    def preview(self, params: np.ndarray, grad: np.ndarray, lr: float) -> Update:
        """The next step for this gradient and its named parts, worked out without changing anything."""
        delta, _, _, parts = self._plan(params, grad, float(lr), explain=True)
        return Update(delta, parts, self.formula)

    def step(self, params: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
        """Update ``params`` in place and return the update Δθ as a new array."""
        delta, self.t, changed, _ = self._plan(params, grad, float(lr), explain=False)
        self.state = {**self.state, **changed}
        if self.mask is None:
            params += delta
        else:
            np.add(params, delta, out=params, where=self.mask)  # frozen entries are not even touched
        return delta

    def _plan(self, params, grad, lr: float, explain: bool) -> tuple[np.ndarray, int, dict, dict]:
        """(Δθ, t, changed buffers, named parts): the one pipeline behind ``step`` and ``preview``; the parts
        are only worked out when asked, so training pays nothing for the X-ray."""
        if params.shape != (self.n_params,) or np.shape(grad) != (self.n_params,):
            raise ValueError(f"{self.name}: params and grad must have shape ({self.n_params},)")
        g = np.array(grad, dtype=np.float64)
        raw, coef = (g.copy() if explain else g), 1.0
        if self.clip_norm is not None:  # torch.nn.utils.clip_grad_norm_
            coef = self.clip_norm / (float(np.linalg.norm(g)) + 1e-6)
            if coef < 1.0:
                g *= coef
        if self.mask is not None:
            g[~self.mask] = 0.0
        clipped = g
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * params
        t = self.t + 1
        delta, changed, work = self._rule(g, lr, t, self.state)
        if self.mask is not None:
            delta[~self.mask] = 0.0
        if not explain:
            return delta, t, changed, {}
        parts = {"grad": raw, "clip_coef": min(coef, 1.0), "clip_term": clipped - raw,
                 "decay_term": self.weight_decay * params, "g": g, "plain_step": -lr * raw, "lr": lr, "step": t}
        return delta, t, changed, {**parts, **self._explain(work, lr)}

    def state_dict(self) -> dict:
        """Plain dict (str, int, float64 arrays) that np.savez can store; hyperparameters are config."""
        return {"name": self.name, "step": self.t, **{k: v.copy() for k, v in self.state.items()}}

    def load_state_dict(self, d: dict) -> None:
        name = str(d.get("name"))
        if name != self.name:
            raise ValueError(f"{self.name}: state_dict is for optimizer {name!r}")
        expected = {"name", "step", *self.buffers}
        if set(d) != expected:
            raise ValueError(f"{self.name}: state_dict keys must be {sorted(expected)}, got {sorted(d)}")
        state = {key: np.array(d[key], dtype=np.float64) for key in self.buffers}
        if any(a.shape != (self.n_params,) for a in state.values()):
            raise ValueError(f"{self.name}: state arrays must have shape ({self.n_params},)")
        self.t, self.state = int(d["step"]), state


class SGD(Optimizer):
    """Plain SGD; subclasses add torch's momentum buffer (first step buf = g, undamped) and Nesterov."""

    name = "sgd"

    def _rule(self, g, lr, t, state):
        mu = self.hyper.get("momentum", 0.0)
        if mu == 0.0:
            return -lr * g, {}, {}
        buf = g.copy() if t == 1 else state["momentum_buffer"] * mu + (1.0 - self.hyper.get("dampening", 0.0)) * g
        step = g + mu * buf if self.name == "nesterov" else buf
        return -lr * step, {"momentum_buffer": buf}, {"momentum_buffer": buf}

    def _explain(self, work, lr):
        if "momentum_buffer" not in work:
            return {}
        return {"momentum_buffer": work["momentum_buffer"], "velocity": -lr * work["momentum_buffer"]}

    def _rule_formula(self):
        mu = self.hyper.get("momentum", 0.0)
        if mu == 0.0:
            return "Δw = −η·g"
        damp = "(1−τ)·" if self.hyper.get("dampening", 0.0) else ""
        step = "(g + μ·b)" if self.name == "nesterov" else "b"
        return f"b = μ·b + {damp}g (b = g at step 1); Δw = −η·{step}"


class Momentum(SGD):
    name = "momentum"
    buffers = ("momentum_buffer",)


class Nesterov(SGD):
    name = "nesterov"
    buffers = ("momentum_buffer",)
    rules = {"momentum": POSITIVE}  # as torch: Nesterov needs a momentum


class Adagrad(Optimizer):
    """Per-parameter step shrinking with the running sum of squared gradients."""

    name = "adagrad"
    buffers = ("sum",)

    def _rule(self, g, lr, t, state):
        clr = lr / (1 + (t - 1) * self.hyper["lr_decay"])
        s = state["sum"] + g * g
        denom = np.sqrt(s) + self.hyper["eps"]
        return -clr * (g / denom), {"sum": s}, {"sum": s, "decayed_lr": clr, "denom": denom}

    def _explain(self, work, lr):
        clr = work["decayed_lr"]
        return {"sum": work["sum"], "decayed_lr": clr, "effective_lr": clr / work["denom"]}

    def _rule_formula(self):
        if self.hyper["lr_decay"]:
            return "s = s + g²; ηₜ = η/(1 + (t−1)·decay); Δw = −ηₜ·g/(√s + ε)"
        return "s = s + g²; Δw = −η·g/(√s + ε)"


class RMSprop(Optimizer):
    """Divide by a running RMS of the gradient; optionally centered (variance) and with momentum."""

    name = "rmsprop"
    buffers = ("square_avg", "grad_avg", "momentum_buffer")

    def _rule(self, g, lr, t, state):
        alpha = self.hyper["alpha"]
        sq = state["square_avg"] * alpha + (1.0 - alpha) * g * g  # torch's addcmul order
        changed = {"square_avg": sq}
        if self.hyper["centered"]:
            changed["grad_avg"] = mean = _lerp(state["grad_avg"], g, 1.0 - alpha)
            # Clamp: rounding can make the variance -1e-20 where torch would return NaN.
            avg = np.sqrt(np.maximum(sq - mean * mean, 0.0))
        else:
            avg = np.sqrt(sq)
        avg += self.hyper["eps"]
        if self.hyper["momentum"] > 0:
            changed["momentum_buffer"] = buf = state["momentum_buffer"] * self.hyper["momentum"] + g / avg
            return -lr * buf, changed, {**changed, "denom": avg}
        return -lr * (g / avg), changed, {**changed, "denom": avg}

    def _explain(self, work, lr):
        parts = {**work, "effective_lr": lr / work["denom"]}
        if "momentum_buffer" in work:
            parts["velocity"] = -lr * work["momentum_buffer"]
        return parts

    def _rule_formula(self):
        text = "v = α·v + (1−α)·g²; "
        if self.hyper["centered"]:
            text = "ḡ = α·ḡ + (1−α)·g; " + text + "d = √(v − ḡ²) + ε; "
        else:
            text += "d = √v + ε; "
        if self.hyper["momentum"] > 0:
            return text + "b = μ·b + g/d; Δw = −η·b"
        return text + "Δw = −η·g/d"


class Adam(Optimizer):
    """Momentum plus RMS scaling with torch's bias corrections (step_size = lr/bc1, denom = √v/√bc2 + eps)."""

    name = "adam"
    buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def _rule(self, g, lr, t, state):
        b1, b2 = self.hyper["beta1"], self.hyper["beta2"]
        m = _lerp(state["exp_avg"], g, 1.0 - b1)
        v = state["exp_avg_sq"] * b2 + (1.0 - b2) * g * g
        changed = {"exp_avg": m, "exp_avg_sq": v}
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        step_size = lr / bc1
        v_used = v
        if self.hyper["amsgrad"]:
            changed["max_exp_avg_sq"] = v_used = np.maximum(state["max_exp_avg_sq"], v)
        denom = np.sqrt(v_used) / bc2**0.5 + self.hyper["eps"]
        work = {"m": m, "v": v, "bias_correction1": bc1, "bias_correction2": bc2, "v_used": v_used, "denom": denom}
        return -step_size * (m / denom), changed, work

    def _explain(self, work, lr):
        m_hat = work["m"] / work["bias_correction1"]
        parts = {k: work[k] for k in ("m", "v", "bias_correction1", "bias_correction2")}
        parts |= {"m_hat": m_hat, "v_hat": work["v_used"] / work["bias_correction2"],
                  "effective_lr": lr / work["denom"], "velocity": -lr * m_hat}
        if self.hyper["amsgrad"]:
            parts["v_max"] = work["v_used"]
        return parts

    def _rule_formula(self):
        v_hat = "v̂ = v/(1−β₂ᵗ)"
        if self.hyper["amsgrad"]:
            v_hat = "vmax = max(vmax, v); v̂ = vmax/(1−β₂ᵗ)"
        return f"m = β₁·m + (1−β₁)·g; v = β₂·v + (1−β₂)·g²; m̂ = m/(1−β₁ᵗ); {v_hat}; Δw = −η·m̂/(√v̂ + ε)"


_CLASSES = {cls.name: cls for cls in (SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam)}


def make_optimizer(
    name: str, n_params: int, weight_decay: float = 0.0, clip_norm: float | None = None, mask=None, **hyper
) -> Optimizer:
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(NAMES)}")
    return _CLASSES[name](n_params, weight_decay=weight_decay, clip_norm=clip_norm, mask=mask, **hyper)
