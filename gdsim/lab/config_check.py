"""Types of a set-up read from TOML or a session, checked field by field before any dataclass is built.

Kept apart from ``config`` so the dataclasses stay plain data: every field's expected type is read from its
annotation, so a field added to a section later is checked without touching this file. Each problem is one
line naming the section, the key and what was found (``[training] epochs must be a whole number, got
'many'``); a count such as ``batch_size = 2.5`` is refused, never truncated.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import fields

SCALARS = (bool, int, float, str)
# fields that also take another shape than their annotation says (the engine accepts both)
COLUMN_FIELDS = ("target", "features")  # a CSV column: name or 0-based index


def top_level(d, sections: tuple[str, ...]) -> dict:
    """The whole set-up: a table of the known sections (each a table) plus ``name`` and ``description``."""
    if not isinstance(d, dict):
        raise ValueError(f"a set-up must be a table of sections, got {_show(d)}")
    unknown = set(d) - set(sections) - {"name", "description"}
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(sorted(map(str, unknown)))}; "
                         f"expected {', '.join(sections)}, name, description")
    for key in sections:
        if key in d and not isinstance(d[key], dict):
            raise ValueError(f"[{key}] must be a table (a [{key}] section), got {_show(d[key])}")
    for key in ("name", "description"):
        if key in d and not isinstance(d[key], str):
            raise ValueError(f"{key} must be text, got {_show(d[key])}")
    return d


def section(key: str, cls, values: dict) -> dict:
    """``values`` converted to the types ``cls``'s fields declare; one line on the first misfit."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    bad = set(values) - set(names)
    if bad:
        raise ValueError(f"unknown key(s) in [{key}]: {', '.join(sorted(map(str, bad)))}; "
                         f"valid: {', '.join(names)}")
    return {name: _convert(f"[{key}] {name}", hints[name], value, column=name in COLUMN_FIELDS)
            for name, value in values.items()}


def _convert(where: str, hint, value, column: bool = False):
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        if where.endswith("batch_size") and value == "full":
            return None
        return _convert(where, inner, value, column)
    if origin is tuple:
        item = args[0]
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and item is not int:
            value = [value]  # activations = "tanh", start = -5, features = "x"
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where} must be a list, got {_show(value)}")
        return tuple(_convert(f"{where}[{i}]", item, v, column) for i, v in enumerate(value))
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be a table, got {_show(value)}")
        for k, v in value.items():
            if not isinstance(v, SCALARS):
                raise ValueError(f"{where}.{k} must be a number, true/false or text, got {_show(v)}")
        return dict(value)
    if column and isinstance(value, int) and not isinstance(value, bool):
        return value
    return _scalar(where, hint, value)


def _scalar(where: str, hint, value):
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false, got {_show(value)}")
        return value
    if hint is int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where} must be a whole number, got {_show(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{where} must be a number, got {_show(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be text, got {_show(value)}")
        return value
    raise TypeError(f"{where}: no check for fields of type {hint}")  # a programming error, not bad input


def _show(value) -> str:
    """A short, one-line picture of what was found."""
    kind = {dict: "a table", list: "a list", tuple: "a list"}.get(type(value))
    if kind:
        return kind
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
