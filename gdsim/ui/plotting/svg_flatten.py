"""Make Qt's SVG render the same in every viewer: bake scaling transforms into the paths of cosmetic strokes.

Qt's ``QSvgGenerator`` writes a plot's curve as ``<g transform="matrix(8,0,0,-1182,…)"><path
vector-effect="non-scaling-stroke" …>`` (data coordinates inside, the view's scaling outside) and relies on
``vector-effect`` to keep the 1-px pen 1 px wide. librsvg and ImageMagick ignore ``vector-effect`` and stroke
the line 1182 units tall; browsers honour it but then also ignore the viewBox scaling, so the lines stay
hair-thin when the picture is enlarged. Applying the transform to the coordinates and dropping both the
transform and ``vector-effect`` gives one answer everywhere: strokes in picture units that scale with it.

Qt-free (plain XML), so it is tested without a display.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"[A-Za-z]|{_NUMBER}")
_MATRIX = re.compile(rf"^\s*matrix\(\s*({_NUMBER})\s*,?\s*({_NUMBER})\s*,?\s*({_NUMBER})\s*,?\s*({_NUMBER})"
                     rf"\s*,?\s*({_NUMBER})\s*,?\s*({_NUMBER})\s*\)\s*$")
_ABSOLUTE = set("MLCQZ")  # the path commands Qt writes (absolute coordinates only)
NON_SCALING = "non-scaling-stroke"

Matrix = tuple[float, float, float, float, float, float]


class _Unsupported(Exception):
    """Geometry this module does not know how to transform: its group is left as Qt wrote it."""


def flatten(svg: bytes, size: tuple[int, int] | None = None) -> bytes:
    """The same picture with cosmetic strokes' transforms applied to their coordinates (see the module doc).

    ``size``: the (width, height) in pixels a viewer shows it at (Qt writes millimetres at the screen's DPI).
    """
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    root = ET.fromstring(svg)
    if size is not None:
        root.set("width", str(int(size[0])))
        root.set("height", str(int(size[1])))
    for parent in list(root.iter()):  # Qt writes d="" for an empty curve; Qt's own renderer then warns
        for child in [c for c in parent if c.tag == f"{{{SVG}}}path" and not (c.get("d") or "").strip()]:
            parent.remove(child)
    for group in list(root.iter(f"{{{SVG}}}g")):
        matrix = _matrix(group.get("transform"))
        if matrix is not None and any(_is_non_scaling(child) for child in group):
            _flatten_group(group, matrix)
    _drop_vector_effect(root, scaled=False)
    for image in root.iter(f"{{{SVG}}}image"):
        image.set("image-rendering", "optimizeSpeed")  # a heatmap's cells stay cells, as Qt draws them
    return b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                                     xml_declaration=False)


def _is_non_scaling(element: ET.Element) -> bool:
    return element.get("vector-effect") == NON_SCALING


def _matrix(text: str | None) -> Matrix | None:
    if text is None:
        return None
    m = _MATRIX.match(text)
    return tuple(float(v) for v in m.groups()) if m else None  # type: ignore[return-value]


def _drop_vector_effect(element: ET.Element, scaled: bool) -> None:
    """Remove ``vector-effect`` wherever no transform is left above it (a group that could not be flattened
    keeps it: browsers then still draw that group right)."""
    scaled = scaled or element.get("transform") is not None
    if not scaled and _is_non_scaling(element):
        del element.attrib["vector-effect"]
    for child in element:
        _drop_vector_effect(child, scaled)


def _flatten_group(group: ET.Element, m: Matrix) -> None:
    """Bake ``m`` into the group's cosmetic strokes; other children keep it as their own transform."""
    try:
        baked = {id(child): _baked(child, m) for child in group if _is_non_scaling(child)}
    except _Unsupported:
        return
    for index, child in enumerate(list(group)):
        if id(child) in baked:
            new = baked[id(child)]
            group.remove(child)
            group.insert(index, new)
        else:
            own = child.get("transform")
            child.set("transform", _format_matrix(m) + (f" {own}" if own else ""))
    del group.attrib["transform"]


def _baked(element: ET.Element, m: Matrix) -> ET.Element:
    """A copy of ``element`` drawn in the parent's coordinates, without ``vector-effect``."""
    if element.get("transform") is not None or len(element):
        raise _Unsupported(element.tag)
    tag = element.tag.split("}")[-1]
    out = ET.Element(element.tag, {k: v for k, v in element.attrib.items() if k != "vector-effect"})
    if tag == "path":
        out.set("d", _path(element.get("d", ""), m))
    elif tag in ("polyline", "polygon"):
        out.set("points", " ".join(f"{_num(x)},{_num(y)}" for x, y in _pairs(element.get("points", ""), m)))
    elif tag == "rect" and element.get("rx") is None and element.get("ry") is None:
        x, y = float(element.get("x", 0)), float(element.get("y", 0))
        w, h = float(element.get("width", 0)), float(element.get("height", 0))
        corners = [_apply(m, px, py) for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))]
        out = ET.Element(f"{{{SVG}}}path", {k: v for k, v in out.attrib.items()
                                            if k not in ("x", "y", "width", "height")})
        out.set("d", "M" + " L".join(f"{_num(px)},{_num(py)}" for px, py in corners) + " Z")
    elif tag == "ellipse" and m[1] == 0 and m[2] == 0:
        cx, cy = _apply(m, float(element.get("cx", 0)), float(element.get("cy", 0)))
        out.set("cx", _num(cx))
        out.set("cy", _num(cy))
        out.set("rx", _num(abs(m[0]) * float(element.get("rx", 0))))
        out.set("ry", _num(abs(m[3]) * float(element.get("ry", 0))))
    else:
        raise _Unsupported(tag)
    out.text, out.tail = element.text, element.tail
    return out


def _path(d: str, m: Matrix) -> str:
    parts: list[str] = []
    numbers: list[float] = []

    def flush() -> None:
        if len(numbers) % 2:
            raise _Unsupported("odd number of coordinates")
        parts.extend(f"{_num(x)},{_num(y)}" for x, y in (_apply(m, *numbers[i:i + 2])
                                                          for i in range(0, len(numbers), 2)))
        numbers.clear()

    for token in _TOKEN.findall(d):
        if token.isalpha():
            if token not in _ABSOLUTE:
                raise _Unsupported(f"path command {token}")
            flush()
            parts.append(token)
        else:
            numbers.append(float(token))
    flush()
    return " ".join(parts)


def _pairs(text: str, m: Matrix) -> list[tuple[float, float]]:
    values = [float(v) for v in re.findall(_NUMBER, text)]
    if len(values) % 2:
        raise _Unsupported("odd number of coordinates")
    return [_apply(m, values[i], values[i + 1]) for i in range(0, len(values), 2)]


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _num(v: float) -> str:
    return f"{v:.7g}"


def _format_matrix(m: Matrix) -> str:
    return "matrix(" + ",".join(_num(v) for v in m) + ")"
