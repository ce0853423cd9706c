"""Qt-free files: sessions, the PyTorch export, atomic writes (all of a file or none of it).

The CSV writers for surfaces live in ``gdsim.io.surface_csv``; import it by module (it is not loaded here).
"""

from gdsim.io import atomic, session, torch_export
from gdsim.io.atomic import WriteError, write_bytes, write_text

__all__ = ["WriteError", "atomic", "session", "torch_export", "write_bytes", "write_text"]
