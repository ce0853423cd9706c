"""Figures rendered to files (PNG/SVG), and the plot items and palette the panels share.

Nothing is imported here, so loading one module of this package loads no other (nor Qt, for a Qt-free one);
``__all__`` names the modules, so ``from gdsim.ui.plotting import *`` loads them all.
"""

import pkgutil

__all__ = sorted(m.name for m in pkgutil.iter_modules(__path__))
