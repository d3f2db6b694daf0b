#!/usr/bin/env python3
"""Reader for the svs.c model golden state files (golden/model/<name>/state.bin).

What: parses the layout written by golden/gen_model_goldens.py and documented in
golden/model/README.md ("state.bin layout"): a 256 x int32 header (magic 20261122,
version 1, counts), a UTF-8 JSON metadata block, then self-describing named tensors
(name, dtype, shape, per-tensor tolerance, raw little-endian data).
Reads: one state.bin. Writes: nothing (the command line prints a table of tensors).
Needs: Python 3 and numpy only (no torch), so a C developer can inspect a file quickly.

Usage: python3 golden/model/read_state.py golden/model/<name>/state.bin [TENSOR_NAME ...]
"""
import json
import struct
import sys

import numpy as np

MAGIC = 20261122
VERSION = 1
HEADER_INTS = 256
DTYPES = {0: np.dtype("<f4"), 1: np.dtype("<i4")}
DTYPE_NAMES = {0: "f32", 1: "i32"}

# Header slots (int32 index -> meaning); the writer imports this table too.
H_MAGIC, H_VERSION, H_NTENSORS, H_METALEN = 0, 1, 2, 3
H_B, H_T, H_V, H_LAYERS, H_HIDDEN, H_HEADS, H_KVHEADS, H_HEADDIM, H_INTER = 4, 5, 6, 7, 8, 9, 10, 11, 12
H_NPARAMS, H_TIED, H_QKVBIAS, H_NSTEPS, H_ARCH = 13, 14, 15, 16, 17
ARCH_IDS = {"llama": 0, "qwen2": 1}
HINT = ("HINT: regenerate with golden/make_model_golden.sh (golden/gen_model_goldens.py); "
        "the layout is described in golden/model/README.md")


class Tensor:
    """One named tensor: data (numpy array, shape as stored), dtype name, tolerance triple."""

    def __init__(self, name, dtype, data, atol, rtol, rmax):
        self.name, self.dtype, self.data = name, dtype, data
        self.atol, self.rtol, self.rmax = atol, rtol, rmax

    def __repr__(self):
        return (f"Tensor({self.name!r}, {self.dtype}, shape={list(self.data.shape)}, "
                f"atol={self.atol:g}, rtol={self.rtol:g}, rmax={self.rmax:g})")


def read_state(path):
    """Returns (header: list[int], meta: dict, tensors: dict name -> Tensor, in file order)."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < HEADER_INTS * 4:
        raise ValueError(f"{path}: file shorter than the 1024-byte header. {HINT}")
    header = list(struct.unpack_from("<256i", buf, 0))
    if header[H_MAGIC] != MAGIC:
        raise ValueError(f"{path}: bad magic {header[H_MAGIC]} (want {MAGIC}). {HINT}")
    if header[H_VERSION] != VERSION:
        raise ValueError(f"{path}: version {header[H_VERSION]}, this reader knows {VERSION}. {HINT}")
    off = HEADER_INTS * 4
    meta_len = header[H_METALEN]
    meta = json.loads(buf[off:off + meta_len].decode("utf-8"))
    off += meta_len
    tensors = {}
    for i in range(header[H_NTENSORS]):
        (name_len,) = struct.unpack_from("<I", buf, off)
        off += 4
        name = buf[off:off + name_len].decode("ascii")
        off += (name_len + 3) // 4 * 4
        dtype, ndim = struct.unpack_from("<II", buf, off)
        off += 8
        dims = struct.unpack_from(f"<{ndim}q", buf, off)
        off += 8 * ndim
        atol, rtol, rmax = struct.unpack_from("<3f", buf, off)
        off += 12
        if dtype not in DTYPES:
            raise ValueError(f"{path}: tensor {i} ({name}): unknown dtype {dtype}. {HINT}")
        n = int(np.prod(dims, dtype=np.int64)) if ndim else 1
        nbytes = 4 * n
        if off + nbytes > len(buf):
            raise ValueError(f"{path}: tensor {name}: data runs past the end of the file. {HINT}")
        data = np.frombuffer(buf, dtype=DTYPES[dtype], count=n, offset=off).reshape(dims).copy()
        off += nbytes
        if name in tensors:
            raise ValueError(f"{path}: duplicate tensor name {name}")
        tensors[name] = Tensor(name, DTYPE_NAMES[dtype], data, atol, rtol, rmax)
    if off != len(buf):
        raise ValueError(f"{path}: {len(buf) - off} trailing bytes after the last tensor. {HINT}")
    return header, meta, tensors


def check(ref, got):
    """The documented element-wise rule: |got - ref| <= atol + rtol*|ref| + rmax*max|ref|.
    Returns (ok, max_abs_diff, worst_ratio) where worst_ratio = max(|d| / allowed) (<= 1 passes)."""
    r = ref.data.astype(np.float64)
    g = np.asarray(got, dtype=np.float64).reshape(r.shape)
    d = np.abs(g - r)
    allowed = ref.atol + ref.rtol * np.abs(r) + ref.rmax * (np.abs(r).max() if r.size else 0.0)
    if ref.dtype == "i32" or not np.any(allowed):
        ok = bool(np.all(d == 0))
        return ok, float(d.max()) if d.size else 0.0, 0.0 if ok else float("inf")
    ratio = d / allowed
    return bool(np.all(ratio <= 1.0)), float(d.max()), float(ratio.max())


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    header, meta, tensors = read_state(argv[1])
    print(f"magic {header[0]} version {header[1]} tensors {header[2]} meta {header[3]} bytes")
    print(f"B {header[H_B]} T {header[H_T]} V {header[H_V]} layers {header[H_LAYERS]} "
          f"hidden {header[H_HIDDEN]} heads {header[H_HEADS]}/{header[H_KVHEADS]} "
          f"head_dim {header[H_HEADDIM]} inter {header[H_INTER]} params {header[H_NPARAMS]} "
          f"tied {header[H_TIED]} qkv_bias {header[H_QKVBIAS]} arch {header[H_ARCH]}")
    print(f"generator {meta.get('generator')}; versions {meta.get('versions')}")
    names = argv[2:] or list(tensors)
    for n in names:
        t = tensors[n]
        flat = t.data.reshape(-1)
        head = ", ".join(f"{x:.6g}" for x in flat[:4])
        print(f"{n:60s} {t.dtype} {str(list(t.data.shape)):16s} atol={t.atol:g} rtol={t.rtol:g} "
              f"rmax={t.rmax:g}  [{head}{', ...' if flat.size > 4 else ''}]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
