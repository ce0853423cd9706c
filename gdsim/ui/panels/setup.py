"""Forms -> configuration objects. The forms know nothing about training; they only describe a set-up."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Signal

from gdsim.engine import activations, datasets, losses, network, optimizers, schedules
from gdsim.engine.function_model import make_function
from gdsim.engine.functions import FUNCTIONS
from gdsim.lab import config as cfgmod
from gdsim.ui.plotting.palette import ERROR_TEXT_STYLE
from gdsim.ui.plotting.schedule_plot import SchedulePlot
from gdsim.ui.widgets.data_preview import DataPreview
from gdsim.ui.widgets.forms import label_tips
from gdsim.ui.widgets.hyper_form import HyperForm, ScheduleForm
from gdsim.ui.widgets.layer_row import INIT_TIPS, LayerRow
from gdsim.ui.widgets.layer_row import combo as _combo
from gdsim.ui.widgets.spin_box import SciSpinBox
from gdsim.ui.widgets.spin_box import number_box as _spin

MAX_LAYERS = 6
CUSTOM = "function:custom…"


class SetupPanel(QtWidgets.QWidget):
    """Problem, network and training forms. ``sigChanged(section)`` fires when the user edits a section."""

    sigChanged = Signal(str)
    sigProposeLr = Signal(float)  # switching optimizer proposes its default η (before sigChanged)

    def __init__(self, cfg: cfgmod.Config | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("setupPanel")
        self._quiet = False
        self.note = ""  # why the set-up differs from what was asked (fixed weights dropped), for the status bar
        self.lr_typed = False  # the user set η: switching optimizer keeps it
        self._weight_offset = 0  # Re-initialise draws new weights without changing the data
        self.rows: list[LayerRow] = []
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addWidget(self._problem_box())
        outer.addWidget(self._network_box())
        outer.addWidget(self._training_box())
        outer.addStretch(1)
        self.set_config(cfg or cfgmod.Config())

    # ---------------------------------------------------------------- building

    def _problem_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Problem")
        form = QtWidgets.QFormLayout(box)
        self.dataset = _combo(datasets.NAMES, "xor", "Which data to learn: five classification and three "
                              "regression problems (package: salary from CGPA and profile score) — or a "
                              "function to minimise directly (function mode)")
        self.dataset.insertSeparator(self.dataset.count())
        for name in FUNCTIONS:
            self.dataset.addItem(f"function:{name}")
            self.dataset.setItemData(self.dataset.count() - 1, FUNCTIONS[name].description,
                                     QtCore.Qt.ItemDataRole.ToolTipRole)
        self.dataset.addItem(CUSTOM)
        self.expression = QtWidgets.QLineEdit("x**2 + 3*sin(y)")
        self.expression.setToolTip("A function of x (and y): numbers, + − * / **, sin cos tan exp log sqrt abs "
                                   "tanh …, pi, e. Press Enter to use it.")
        self.start = QtWidgets.QLineEdit()
        self.start.setPlaceholderText("default")
        self.start.setToolTip("Start point, e.g. -1.5, 2 (empty: the function's usual start)")
        self.function_hint = QtWidgets.QLabel("")
        self.function_hint.setTextFormat(QtCore.Qt.TextFormat.PlainText)  # it quotes the typed expression
        self.function_hint.setStyleSheet(ERROR_TEXT_STYLE)
        self.function_hint.setWordWrap(True)
        self.samples = _spin(4, 100_000, 200, "Number of samples generated")
        self.noise = _spin(0.0, 10.0, 0.1, "Noise added to the generated data", step=0.05, decimals=2)
        self.test_fraction = _spin(0.0, 0.9, 0.2, "Share of samples held out as a test set", 0.05, 2)
        self.data_seed = _spin(0, 2**31 - 1, 0, "Seed of the random generator for the data, the initial "
                               "weights and the shuffling: the same seed gives the same run")
        self.regenerate = QtWidgets.QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw a new sample with the next seed")
        form.addRow("Dataset", self.dataset)
        form.addRow("f(x, y) =", self.expression)
        form.addRow("Start", self.start)
        form.addRow(self.function_hint)
        self.problem_form = form
        form.addRow("Samples", self.samples)
        form.addRow("Noise", self.noise)
        form.addRow("Test fraction", self.test_fraction)
        seed_row = QtWidgets.QHBoxLayout()
        seed_row.addWidget(self.data_seed, 1)
        seed_row.addWidget(self.regenerate)
        form.addRow("Seed", seed_row)
        self.preview = DataPreview()
        self.preview.setToolTip("The training data (colour: class)")
        form.addRow(self.preview)
        self.dataset.currentTextChanged.connect(self._on_dataset)
        self.expression.editingFinished.connect(self._on_expression)
        self.start.editingFinished.connect(lambda: self._emit("problem"))
        for w in (self.samples, self.noise, self.test_fraction, self.data_seed):
            w.valueChanged.connect(lambda *_: self._emit("problem"))
        self.regenerate.clicked.connect(lambda: self.data_seed.setValue(self.data_seed.value() + 1))
        label_tips(form)
        return box

    def _network_box(self) -> QtWidgets.QGroupBox:
        box = self.network_box = QtWidgets.QGroupBox("Network")
        lay = QtWidgets.QVBoxLayout(box)
        head = QtWidgets.QHBoxLayout()
        self.remove_layer = QtWidgets.QToolButton(text="−")
        self.add_layer = QtWidgets.QToolButton(text="+")
        self.remove_layer.setToolTip("Remove the last hidden layer")
        self.add_layer.setToolTip("Add a hidden layer")
        self.layer_count = QtWidgets.QLabel()
        self.layer_count.setToolTip("Hidden layers between the inputs and the output (at most 6)")
        head.addWidget(self.remove_layer)
        head.addWidget(self.layer_count, 1)
        head.addWidget(self.add_layer)
        lay.addLayout(head)
        self.rows_box = QtWidgets.QVBoxLayout()
        lay.addLayout(self.rows_box)
        form = QtWidgets.QFormLayout()
        self.output = _combo(["auto", *activations.NAMES], "auto",
                             "Output activation; auto picks the natural pairing for the loss "
                             "(sigmoid for BCE, softmax for cross-entropy, linear for MSE)")
        self.init = _combo(network.INITS, "xavier", "How the initial weights are drawn (biases start at 0)")
        for i, tip in enumerate(INIT_TIPS[name] for name in network.INITS):
            self.init.setItemData(i, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.reinit = QtWidgets.QPushButton("Re-initialise")
        self.reinit.setToolTip("Draw new initial weights (next seed)")
        init_row = QtWidgets.QHBoxLayout()
        init_row.addWidget(self.init, 1)
        init_row.addWidget(self.reinit)
        form.addRow("Output", self.output)
        form.addRow("Init", init_row)
        lay.addLayout(form)
        label_tips(form)
        self.weights_note = QtWidgets.QLabel("", objectName="fixedWeightsNote", wordWrap=True, visible=False,
                                             textFormat=QtCore.Qt.TextFormat.PlainText, styleSheet="color: #555;")
        lay.addWidget(self.weights_note)
        self.add_layer.clicked.connect(lambda: self._set_layers(
            [*self.hidden(), self.rows[-1].neurons if self.rows else 4], [*self.hidden_acts(), "tanh"]))
        self.remove_layer.clicked.connect(lambda: self._set_layers(self.hidden()[:-1], self.hidden_acts()[:-1]))
        self.output.currentTextChanged.connect(lambda *_: self._emit("network"))
        self.init.currentTextChanged.connect(lambda *_: self._emit("network"))
        self.reinit.clicked.connect(self._reinitialise)
        return box

    def _training_box(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Training")
        form = self.training_form = QtWidgets.QFormLayout(box)
        self.loss = _combo(["auto", *losses.NAMES], "auto", "Loss function; auto: BCE or cross-entropy for "
                           "classification, MSE for regression")
        self.optimizer = _combo(optimizers.NAMES, "sgd", "Update rule (PyTorch's formulas and defaults)")
        self.optimizer.setObjectName("optimizerCombo")
        self.batch = _combo(["full batch", "mini-batch", "one random row"], "full batch",
                            "Full batch: one step per epoch on all rows. Mini-batch: shuffled batches. "
                            "One random row: stochastic gradient descent as in the notes")
        self.batch_size = _spin(2, 100_000, 16, "Rows per mini-batch")
        self.schedule = _combo(schedules.NAMES, "constant", "How η changes over epochs, per epoch as torch's "
                               "StepLR, ExponentialLR and CosineAnnealingLR")
        self.schedule.setObjectName("scheduleCombo")
        self.max_epochs = _spin(0, 10_000_000, 1000, "Stop after this many epochs (0: no limit)")
        self.tol = SciSpinBox(0.0, 1.0, 1e-7, "Converged when the loss changes less than this for 5 epochs "
                              "in a row (or the gradient norm falls below it)")
        form.addRow("Loss", self.loss)
        form.addRow("Optimizer", self.optimizer)
        self.lr_hint = QtWidgets.QLabel("")
        self.lr_hint.setObjectName("lrHint")
        self.lr_hint.setStyleSheet("color: #555;")
        self.lr_hint.setWordWrap(True)
        form.addRow(self.lr_hint)
        self.hyper_box = HyperForm()
        self.hyper_box.sigChanged.connect(lambda: self._emit("training"))
        form.addRow(self.hyper_box)
        self.weight_decay = SciSpinBox(0.0, 10.0, 0.0, "Weight decay wd: an L2 penalty added to the gradient, "
                                       "g + wd·θ (λ is kept for curvature, λmax)")
        self.clip = SciSpinBox(0.0, 1e6, 0.0, "Clip the gradient to this global norm (0: no clipping)")
        form.addRow("Weight decay", self.weight_decay)
        form.addRow("Clip ‖g‖", self.clip)
        batch_row = self.batch_row = QtWidgets.QHBoxLayout()
        batch_row.addWidget(self.batch, 1)
        batch_row.addWidget(self.batch_size)
        form.addRow("Batches", batch_row)
        form.addRow("Schedule", self.schedule)
        self.schedule_form = ScheduleForm()
        self.schedule_form.sigChanged.connect(lambda: self._emit("training"))
        form.addRow(self.schedule_form)
        self.schedule_plot = SchedulePlot()
        self.schedule_plot.setToolTip("η per epoch under this schedule; the dot is the current epoch")
        form.addRow(self.schedule_plot)
        form.addRow("Max epochs", self.max_epochs)
        form.addRow("Tolerance", self.tol)
        self.optimizer.currentTextChanged.connect(self._on_optimizer)
        self.schedule.currentTextChanged.connect(lambda name: self.schedule_form.show_schedule(name, {}))
        for w in (self.loss, self.batch, self.schedule):
            w.currentTextChanged.connect(lambda *_: self._emit("training"))
        for w in (self.batch_size, self.max_epochs, self.tol, self.weight_decay, self.clip):
            w.valueChanged.connect(lambda *_: self._emit("training"))
        label_tips(form)
        self.batch.currentTextChanged.connect(lambda *_: self._sync_batch())
        return box

    # ---------------------------------------------------------------- state

    def hidden(self) -> list[int]:
        return [r.neurons for r in self.rows]

    def hidden_acts(self) -> list[str]:
        return [r.act.currentText() for r in self.rows]

    def _set_layers(self, sizes: list[int], acts: list[str], emit: bool = True) -> None:
        sizes, acts = sizes[:MAX_LAYERS], acts[:MAX_LAYERS]
        for r in self.rows:
            self.rows_box.removeWidget(r)
            r.deleteLater()
        self.rows = []
        for i, (n, a) in enumerate(zip(sizes, acts, strict=True)):
            row = LayerRow(i, n, a)
            row.changed.connect(lambda: self._emit("network"))
            self.rows_box.addWidget(row)
            self.rows.append(row)
        k = len(sizes)
        self.layer_count.setText(f"{k} hidden layer{'s' if k != 1 else ''}")
        self.remove_layer.setEnabled(k > 0)
        self.add_layer.setEnabled(k < MAX_LAYERS)
        if emit:
            self._emit("network")

    def function_mode(self) -> bool:
        return self.dataset.currentText().startswith("function:")

    def _sync_mode(self) -> None:
        """Function mode has no data and no network: show only what applies."""
        fn = self.function_mode()
        form = self.problem_form
        for w in (self.samples, self.noise, self.test_fraction, self.preview):
            form.setRowVisible(w, not fn)
        form.setRowVisible(self.expression, self.dataset.currentText() == CUSTOM)
        form.setRowVisible(self.start, fn)
        self.function_hint.setVisible(fn and bool(self.function_hint.text()))
        self.network_box.setVisible(not fn)
        for w in (self.loss, self.batch_row):
            self.training_form.setRowVisible(w, not fn)

    def _problem_fields(self) -> dict:
        name = self.dataset.currentText()
        if not name.startswith("function:"):
            return {"dataset": name, "start": None}
        spec = self.expression.text().strip() if name == CUSTOM else name.split(":", 1)[1]
        text = self.start.text().strip()
        try:
            start = tuple(float(v) for v in text.replace(";", ",").split(",")) if text else None
            make_function(spec)
            self.function_hint.setText("")
        except ValueError as e:
            self.function_hint.setText(str(e) if "could not convert" not in str(e) else
                                       f"start must be numbers separated by commas, got {text!r}")
            start = None
        self.function_hint.setVisible(bool(self.function_hint.text()))
        return {"dataset": f"function:{spec}", "start": start}

    def show_schedule(self, cfg: cfgmod.Config, lr: float) -> None:
        """The η(t) plot, shown only when η changes over time."""
        t = cfg.training
        varying = t.schedule != "constant"
        self.training_form.setRowVisible(self.schedule_plot, varying)
        if varying:
            kw = schedules.resolve(t.schedule, t.epochs, **t.schedule_kwargs)
            self.schedule_plot.show_schedule(t.schedule, lr, t.epochs or schedules.FALLBACK_EPOCHS, kw)

    def note_lr_typed(self, *_) -> None:
        """The user chose η (typed, dragged, took a sweep's best): switching optimizer now keeps it."""
        self.lr_typed = True
        self.lr_hint.setVisible(False)

    def _on_optimizer(self, name: str) -> None:
        """The new optimizer's own fields first, then its η, then the change: a set-up never carries one
        optimizer's hyperparameters into another (momentum's μ into Adam was an error and a stale run)."""
        self.hyper_box.show_optimizer(name, {})
        self._propose_lr(name)
        self._emit("training")

    def _on_dataset(self, _name: str) -> None:
        """A start point belongs to the function it was typed for: another function starts from its own."""
        if not self._quiet:
            self.start.clear()
        self._sync_mode()
        self._emit("problem")

    def _on_expression(self) -> None:
        """A typed start that no longer fits (x, y → x only) is dropped rather than refused."""
        try:
            dim = make_function(self.expression.text().strip()).dim
            fits = len(self.start.text().replace(";", ",").split(",")) == dim
        except ValueError:
            fits = True  # the hint names the problem with the expression
        if self.start.text().strip() and not fits:
            self.start.clear()
        self._emit("problem")

    def _propose_lr(self, name: str) -> None:
        """A new optimizer brings its default η (PyTorch's where it has one) unless the user chose η."""
        if self._quiet:
            return
        default = optimizers.DEFAULT_LR.get(name)
        if self.lr_typed or default is None:
            self.lr_hint.setText(f"η kept at your value (the {name} default is {default:g})" if default else "")
        else:
            self.sigProposeLr.emit(default)
            self.lr_hint.setText(f"η set to {default:g}, the {name} default — set η to choose your own")
        self.lr_hint.setVisible(bool(self.lr_hint.text()))

    def _reinitialise(self) -> None:
        self._weight_offset += 1
        self._emit("network")

    def _sync_batch(self) -> None:
        self.batch_size.setEnabled(self.batch.currentText() == "mini-batch")

    def _emit(self, section: str) -> None:
        if not self._quiet:
            self.sigChanged.emit(section)

    def set_config(self, cfg: cfgmod.Config) -> None:
        self._quiet = True
        try:
            p, n, t = cfg.problem, cfg.network, cfg.training
            name = p.dataset
            if name.startswith("function:") and self.dataset.findText(name) < 0:
                self.expression.setText(name.split(":", 1)[1])
                name = CUSTOM
            elif name.startswith("csv:") and self.dataset.findText(name) < 0:
                self.dataset.insertItem(len(datasets.NAMES), name)
            self.dataset.setCurrentText(name)
            self.start.setText(", ".join(f"{v:g}" for v in p.start) if p.start else "")
            self._sync_mode()
            self.samples.setValue(p.samples)
            self.noise.setValue(p.noise)
            self.test_fraction.setValue(p.test_fraction)
            self.data_seed.setValue(p.seed)
            self._set_layers(list(n.hidden), n.hidden_activations(), emit=False)
            self.output.setCurrentText(n.output or "auto")
            self.init.setCurrentText(n.init)
            self.loss.setCurrentText(t.loss or "auto")
            self.optimizer.setCurrentText(t.optimizer)
            self.hyper_box.show_optimizer(t.optimizer, t.optimizer_kwargs)
            self.weight_decay.setValue(t.weight_decay)
            self.clip.setValue(t.clip_norm or 0.0)
            bs = t.batch_size
            self.batch.setCurrentText("full batch" if bs is None else "one random row" if bs == 1 else "mini-batch")
            if bs and bs > 1:
                self.batch_size.setValue(bs)
            self.schedule.setCurrentText(t.schedule)
            self.schedule_form.show_schedule(t.schedule, t.schedule_kwargs)
            self.lr_typed = False  # a new set-up: its η is the preset's or the optimizer's, not the user's
            self.lr_hint.setVisible(False)
            self.max_epochs.setValue(t.epochs)
            self.tol.setValue(t.tol)
            self._sync_batch()
            self._weight_offset = n.seed - p.seed
            self._base = cfg
        finally:
            self._quiet = False

    def config(self, lr: float) -> cfgmod.Config:
        """The set-up the forms describe, with η from the η control."""
        mode = self.batch.currentText()
        batch = None if mode == "full batch" else 1 if mode == "one random row" else self.batch_size.value()
        seed = self.data_seed.value()
        cfg = self._base.with_changes(
            problem={**self._problem_fields(), "samples": self.samples.value(),
                     "noise": self.noise.value(), "test_fraction": self.test_fraction.value(), "seed": seed},
            network={"hidden": tuple(self.hidden()), "activations": tuple(self.hidden_acts()) or ("tanh",),
                     "output": None if self.output.currentText() == "auto" else self.output.currentText(),
                     "init": self.init.currentText(), "seed": seed + self._weight_offset},
            training={"loss": None if self.loss.currentText() == "auto" else self.loss.currentText(),
                      "optimizer": self.optimizer.currentText(), "lr": lr, "batch_size": batch,
                      "schedule": self.schedule.currentText(), "schedule_kwargs": self.schedule_form.values(),
                      "epochs": self.max_epochs.value(),
                      "tol": self.tol.value(), "seed": seed, "optimizer_kwargs": self.hyper_box.values(),
                      "weight_decay": self.weight_decay.value(), "clip_norm": self.clip.value() or None},
        )
        try:
            cfg, self.note = cfgmod.fit_fixed_weights(cfg)
        except (ValueError, OSError):
            self.note = ""  # data that cannot be made: building the set-up reports it
        self.weights_note.setText(self.note)
        self.weights_note.setVisible(bool(self.note))
        return cfg


def scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    area = QtWidgets.QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    # never clip the forms sideways: the dock is at least as wide as the widest row
    area.setMinimumWidth(widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width() + 4)
    return area


