"""Rewrites a float32 HuggingFace Llama directory the way users get them.

    hf_variants.py SRC OUT bf16-shards    BF16 tensors in two shards + index
    hf_variants.py SRC OUT mxfp4-blocks   matmul weights whose rows are whole
                                          blocks of 32 as gpt-oss MXFP4
                                          (<name>_blocks, <name>_scales)

config.json and tok*.bin are copied. The MXFP4 here is OCP MX v1.0
round-to-nearest-even, written in numpy independently of mxc: shared
exponent floor(log2(amax)) - 2, elements on the E2M1 grid, saturating at 6,
the even element of a pair in the low nibble.
"""
import json
import os
import shutil
import struct
import sys

import numpy as np


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(body[b:e], dtype="<f4").reshape(t["shape"])
    return out


def write(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def bf16(x):
    """float32 -> bfloat16 bits, round to nearest even (no NaNs here)."""
    bits = x.astype("<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


GRID = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


def e2m1_codes(v):
    """Magnitudes already scaled -> E2M1 codes, nearest, ties to even code."""
    mag = np.minimum(np.abs(v), 6.0)
    # Distance to every grid point; on a tie the even code (its mantissa bit
    # 0) wins.
    d = np.abs(mag[..., None] - GRID)
    best = d.min(axis=-1, keepdims=True)
    candidates = np.where(d == best, np.arange(8), 99)
    even = np.where(candidates % 2 == 0, candidates, 99).min(axis=-1)
    code = np.where(even < 99, even, candidates.min(axis=-1))
    return (code | np.where(np.signbit(v), 8, 0)).astype(np.uint8)


def mxfp4(w):
    rows, cols = w.shape
    blocks = w.astype(np.float64).reshape(rows, cols // 32, 32)
    amax = np.abs(blocks).max(axis=-1)
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(amax)) - 2
    e = np.clip(np.where(amax > 0, e, -127), -127, 127)
    codes = e2m1_codes(blocks / np.exp2(e)[..., None])
    packed = codes[..., 0::2] | (codes[..., 1::2] << 4)
    scales = (e + 127).astype(np.uint8)
    return packed.astype(np.uint8), scales


def main():
    src, out, mode = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(src):
        if name == "config.json" or (name.startswith("tok") and
                                     name.endswith(".bin")):
            shutil.copy(os.path.join(src, name), out)
    tensors = read(os.path.join(src, "model.safetensors"))
    if mode == "bf16-shards":
        names = list(tensors)
        half = len(names) // 2
        index = {}
        for i, part in enumerate([names[:half], names[half:]]):
            file = "model-%05d-of-00002.safetensors" % (i + 1)
            write(os.path.join(out, file),
                  {n: ("BF16", tensors[n].shape, bf16(tensors[n]).tobytes())
                   for n in part})
            index.update({n: file for n in part})
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": index}, f)
    elif mode == "mxfp4-blocks":
        result = {}
        for n, w in tensors.items():
            if (n.endswith("_proj.weight") and w.shape[1] % 32 == 0):
                packed, scales = mxfp4(w)
                base = n[:-len(".weight")]
                result[base + "_blocks"] = ("U8", packed.shape,
                                            packed.tobytes())
                result[base + "_scales"] = ("U8", scales.shape,
                                            scales.tobytes())
            else:
                result[n] = ("F32", w.shape, w.astype("<f4").tobytes())
        write(os.path.join(out, "model.safetensors"), result)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
