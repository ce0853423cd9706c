"""A generator of broken sessions: every way a shared ``.gdsim`` file can be damaged or made hostile.

``KINDS`` maps a name to a function ``(good, dst)`` that writes a broken copy of the good session ``good`` to
``dst``. Each kind must be refused with one clear line (CLI: exit 2; app: a dialog). The zip headers are
patched by hand where the standard library would refuse to write such a file (encrypted flag, unknown
compression method, a declared size of 1 GiB that is not really there).
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

GiB = 1 << 30


# ---------------------------------------------------------------- zip surgery


def rewrite(src: Path, dst: Path, meta_change: Callable | None = None, drop=(), replace=None, add=None,
            raw_meta: bytes | None = None) -> Path:
    """Copy ``src`` to ``dst`` member by member, changing meta.json (a function of the dict), dropping,
    replacing or adding members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            data = zin.read(name)
            if name == "meta.json" and (meta_change or raw_meta is not None):
                if raw_meta is not None:
                    data = raw_meta
                else:
                    meta = json.loads(data)
                    meta_change(meta)
                    data = json.dumps(meta).encode()
            if replace and name in replace:
                data = replace[name]
            zout.writestr(name, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def patch_headers(src: Path, dst: Path, name: str, flags: int | None = None, method: int | None = None,
                  size: int | None = None) -> Path:
    """Copy ``src`` with member ``name``'s general-purpose flags, compression method or declared uncompressed
    size changed in both its local header and its central-directory entry."""
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(name)
    local = info.header_offset
    eocd = raw.rfind(b"PK\x05\x06")
    central = struct.unpack("<I", raw[eocd + 16:eocd + 20])[0]
    while raw[central:central + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack("<HHH", raw[central + 28:central + 34])
        if raw[central + 46:central + 46 + n].decode() == name:
            break
        central += 46 + n + e + c
    else:
        raise KeyError(name)
    for base, at in ((local, 6), (central, 8)):  # flags, method, ..., crc, csize, usize
        if flags is not None:
            struct.pack_into("<H", raw, base + at, flags)
        if method is not None:
            struct.pack_into("<H", raw, base + at + 2, method)
        if size is not None:
            struct.pack_into("<I", raw, base + at + 16, size)
    dst.write_bytes(bytes(raw))
    return dst


def data_offset(path: Path, name: str) -> int:
    """Where member ``name``'s compressed bytes start."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    raw = path.read_bytes()
    n, e = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + n + e


def npy(shape, dtype="<f8", body: bytes | None = None) -> bytes:
    """A .npy member with this header and (by default) the right number of zero bytes."""
    import numpy as np

    header = {"descr": dtype, "fortran_order": False, "shape": tuple(shape)}
    text = repr(header).encode()
    pad = 64 - (10 + len(text) + 1) % 64
    head = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text) + pad + 1) + text + b" " * pad + b"\n"
    if body is None:
        body = bytes(int(np.prod(shape)) * np.dtype(dtype).itemsize)
    return head + body


# ---------------------------------------------------------------- the kinds


def _truncate(fraction: float | None = None, at: int | None = None):
    def make(good: Path, dst: Path) -> Path:
        raw = good.read_bytes()
        dst.write_bytes(raw[: at if at is not None else int(len(raw) * fraction)])
        return dst
    return make


def _flip(member: str, offset: int):
    def make(good: Path, dst: Path) -> Path:
        raw = bytearray(good.read_bytes())
        raw[data_offset(good, member) + offset] ^= 0xFF
        dst.write_bytes(bytes(raw))
        return dst
    return make


def _meta(change: Callable[[dict], None]):
    return lambda good, dst: rewrite(good, dst, meta_change=change)


def _setter(*keys_and_value):
    *keys, value = keys_and_value

    def change(meta: dict) -> None:
        d = meta
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return change


def _deleter(*keys):
    def change(meta: dict) -> None:
        d = meta
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]
    return change


def _nested(depth: int):
    def change(meta: dict) -> None:
        inner: list = []
        for _ in range(depth):
            inner = [inner]
        meta["config"]["training"]["optimizer_kwargs"] = {"x": inner}
    return change


def _raw_meta(text: str):
    return lambda good, dst: rewrite(good, dst, raw_meta=text.encode())


def _member(name: str, data: bytes):
    return lambda good, dst: rewrite(good, dst, replace={name: data})


def _drop(name: str):
    return lambda good, dst: rewrite(good, dst, drop=(name,))


def _headers(name: str, **change):
    return lambda good, dst: patch_headers(good, dst, name, **change)


def _text(content: bytes):
    def make(good: Path, dst: Path) -> Path:
        dst.write_bytes(content)
        return dst
    return make


def _literal(section: str, key: str, literal: str):
    """meta.json with ``key`` of [training] (section "config") or of the state set to a bare JSON literal."""
    def make(good: Path, dst: Path) -> Path:
        with zipfile.ZipFile(good) as z:
            meta = json.loads(z.read("meta.json"))
        target = meta["config"]["training"] if section == "config" else meta["state"]
        target[key] = "@@LITERAL@@"
        return rewrite(good, dst, raw_meta=json.dumps(meta).replace('"@@LITERAL@@"', literal).encode())
    return make


P = "state/params.npy"
KINDS: dict[str, Callable[[Path, Path], Path]] = {
    # not a zip at all, or a zip cut short
    "empty_file": _text(b""),
    "text_file": _text(b"hello, I am not a session\n"),
    "png_file": _text(b"\x89PNG\r\n\x1a\n" + bytes(100)),
    **{f"truncated_at_{f:.0%}": _truncate(fraction=f) for f in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)},
    **{f"truncated_at_byte_{n}": _truncate(at=n) for n in (4, 30, 100)},
    "truncated_by_1_byte": lambda good, dst: _truncate(at=good.stat().st_size - 1)(good, dst),
    "truncated_by_21_bytes": lambda good, dst: _truncate(at=good.stat().st_size - 21)(good, dst),
    # flipped bytes inside the compressed members (the CRC or the inflater catches them)
    **{f"flipped_meta_byte_{i}": _flip("meta.json", i) for i in (0, 7, 100, 400)},
    **{f"flipped_params_byte_{i}": _flip(P, i) for i in (0, 5, 50)},
    "flipped_order_byte_3": _flip("state/order.npy", 3),
    # zip features gdsim never writes
    "encrypted_meta": _headers("meta.json", flags=0x1),
    "encrypted_params": _headers(P, flags=0x1),
    "compression_99_meta": _headers("meta.json", method=99),
    "compression_99_params": _headers(P, method=99),
    "declares_1GiB_meta": _headers("meta.json", size=GiB),
    "declares_1GiB_params": _headers(P, size=GiB),
    "declares_1GiB_history": _headers("state/step_history/data.npy", size=GiB),
    # meta.json itself
    "meta_missing": _drop("meta.json"),
    "meta_not_json": _raw_meta("{this is not json"),
    "meta_not_utf8": lambda good, dst: rewrite(good, dst, raw_meta=b"\xff\xfe{}"),
    "meta_a_list": _raw_meta("[1, 2, 3]"),
    "meta_nested_100000_deep": _raw_meta("[" * 100_000 + "]" * 100_000),
    "meta_nested_50_deep_in_config": _meta(_nested(50)),
    "meta_huge_integer": _raw_meta('{"format": "gdsim-session", "version": 1' + "0" * 5000 + "}"),
    "wrong_format_tag": _meta(_setter("format", "something-else")),
    "version_a_string": _meta(_setter("version", "1")),
    "version_newer": _meta(_setter("version", 2)),
    "no_state": _meta(_deleter("state")),
    "config_a_list": _meta(_setter("config", [1, 2])),
    # the configuration: wrong types and ranges
    "epochs_many": _meta(_setter("config", "training", "epochs", "many")),
    "hidden_an_int": _meta(_setter("config", "network", "hidden", 4)),
    "training_a_number": _meta(_setter("config", "training", 5)),
    "tol_text": _meta(_setter("config", "training", "tol", "x")),
    "batch_size_fraction": _meta(_setter("config", "training", "batch_size", 2.5)),
    "lr_nan": _literal("config", "lr", "NaN"),  # json.dumps would never write these bare literals
    "lr_inf": _literal("config", "lr", "Infinity"),
    "lr_negative": _meta(_setter("config", "training", "lr", -0.1)),
    "lr_zero": _meta(_setter("config", "training", "lr", 0)),
    "unknown_config_key": _meta(_setter("config", "training", "learning_rate", 0.1)),
    "huge_network": _meta(_setter("config", "network", "hidden", [100_000, 100_000])),
    "wider_network": _meta(_setter("config", "network", "hidden", [7])),
    # the trainer state: types, ranges, indices
    "state_lr_nan": _literal("state", "lr", "NaN"),
    "state_lr_negative": _meta(_setter("state", "lr", -1.0)),
    "pos_text": _meta(_setter("state", "pos", "x")),
    "pos_out_of_range": _meta(_setter("state", "pos", 10**6)),
    "step_count_negative": _meta(_setter("state", "step_count", -1)),
    "epoch_a_float": _meta(_setter("state", "epoch", 2.5)),
    "status_unknown": _meta(_setter("state", "status", "exploded")),
    "message_a_table": _meta(_setter("state", "message", {"a": 1})),
    "rng_a_number": _meta(_setter("state", "rng", 5)),
    "rng_other_generator": _meta(_setter("state", "rng", "bit_generator", "MT19937")),
    "lr_changes_text": _meta(_setter("state", "lr_changes", "x")),
    "history_cap_negative": _meta(_setter("state", "step_history", "cap", -1)),
    "trajectory_recent_huge": _meta(_setter("state", "trajectory", "recent", 10**12)),
    "optimizer_other": _meta(_setter("state", "optimizer", "name", "adam")),
    "params_refers_to_meta": _meta(_setter("state", "params", {"__array__": "meta.json"})),
    "params_not_a_reference": _meta(_setter("state", "params", [0.0, 1.0])),
    "params_refers_to_absent_member": _meta(_setter("state", "params", {"__array__": "state/nothing.npy"})),
    # array members: missing, wrong shape or dtype, lying headers, pickles
    "params_missing": _drop(P),
    "order_missing": _drop("state/order.npy"),
    "params_wrong_shape": _member(P, npy((3,))),
    "params_2d": _member(P, npy((17, 2))),
    "params_text_dtype": _member(P, npy((17,), "<U4")),
    "params_object_dtype": _member(P, npy((17,), "|O", body=b"\x80\x04N.")),
    "params_header_claims_10e12": _member(P, npy((10**12,), body=bytes(136))),
    "params_short_body": _member(P, npy((17,), body=bytes(40))),
    "params_not_npy": _member(P, b"just some bytes"),
    "order_floats": _member("state/order.npy", npy((160,), "<f8")),
    "order_index_out_of_range": _member("state/order.npy", npy((160,), "<i8", body=struct.pack("<160q",
                                                                                                *([10**6] * 160)))),
    "history_wrong_width": _member("state/step_history/data.npy", npy((3, 5))),
    "ring_wrong_rows": _member("state/trajectory/ring.npy", npy((70, 17))),  # more than the ring holds
}
def make_all(good: Path, folder: Path) -> dict[str, Path]:
    """Every kind written into ``folder``, named after its kind."""
    return {name: make(good, folder / f"{name}.gdsim") for name, make in KINDS.items()}
