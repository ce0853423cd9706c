"""The app's colours, in one place: one red means "wrong" everywhere (a status, a hint, a bad field).

Colours are hex strings or RGB(A) tuples, both of which Qt style sheets, ``QColor`` and pyqtgraph accept.
Colormaps are named, for ``pg.colormap.get``: perceptual ones, readable by the colour-blind.
"""

from __future__ import annotations

# ------------------------------------------------------------------ status: wrong / fine / stuck
ERROR_RED = "#c0392b"      # diverged runs, hints under a bad field, error lines in dialogs
OK_GREEN = "#1e8449"       # converged
STALL_AMBER = "#b9770e"    # stalled, plateaus
MUTED = "#555555"          # secondary text: a hint that is not a warning
STATUS_COLOURS = {"diverged": ERROR_RED, "converged": OK_GREEN, "stalled": STALL_AMBER}

ERROR_TEXT_STYLE = f"color: {ERROR_RED};"
ERROR_FIELD_STYLE = f"QLineEdit {{ border: 1px solid {ERROR_RED}; }}"  # a line edit whose text is refused

# ------------------------------------------------------------------ weights, by sign (TensorFlow Playground's)
SIGN_POSITIVE, SIGN_ZERO, SIGN_NEGATIVE = "#0877bd", "#e8eaeb", "#f59322"

# ------------------------------------------------------------------ runs and behaviours
# A qualitative palette readable on the white loss plot and on the 2D surface's viridis heatmap (no blues or
# greens first: viridis is made of them). Run i gets RUN_COLOURS[i % len(RUN_COLOURS)].
RUN_COLOURS = [(220, 30, 35), (255, 130, 0), (215, 45, 175), (0, 165, 235), (120, 70, 40), (30, 30, 30),
               (130, 190, 0), (120, 90, 230), (240, 110, 120), (0, 140, 120)]
# a run's behaviour in a sweep or comparison (matplotlib's tab10 blue / orange / grey / red)
BEHAVIOUR_COLOURS = {"smooth": (31, 119, 180), "oscillating": (255, 127, 14), "slow": (127, 127, 127),
                     "diverged": (214, 39, 40)}
DIVERGED_BRUSH = (214, 39, 40, 45)  # the shaded region of η that diverged

# ------------------------------------------------------------------ colormaps
SURFACE_COLORMAP = "viridis"   # loss surfaces (2D heatmap, 3D view)
LAYER_COLORMAP = "CET-L8"      # one colour per layer (gradient flow): its hue turns, where viridis' middle
                               # is seven similar greens
CLASS_COLORMAP = "CET-D1"      # two classes: blue - white - red, diverging around the boundary
LENS_COLORMAP = "CET-D1A"      # neuron maps: diverging blue-white-red
