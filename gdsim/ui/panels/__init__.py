"""Passive views: each shows snapshots (or surfaces) it is given and never touches the trainer.

Nothing is imported here, so loading one module of this package loads no other (nor Qt, for a Qt-free one);
``__all__`` names the modules, so ``from gdsim.ui.panels import *`` loads them all.
"""

import pkgutil

__all__ = sorted(m.name for m in pkgutil.iter_modules(__path__))
