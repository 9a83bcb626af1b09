#!/usr/bin/env python3
"""Read and write safetensors files with the Python standard library alone.

A safetensors file is an 8-byte little-endian header length N, N bytes of
JSON header, then the data buffer. The header maps each tensor name to
{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]} (offsets into
the data buffer; elements little-endian, row-major) and may hold a
"__metadata__" object of strings. This is the format xpnn writes its weights
in (host/safetensors.h); this file is an independent implementation for the
tests and an example for users without PyTorch or numpy:

    import safetensors_std as st
    tensors, meta = st.load("model.safetensors")
    dtype, shape, values = tensors["layers.0.weight"]   # values: array.array
    st.save("copy.safetensors", tensors, meta)

Usage:
    python3 tests/indep/safetensors_std.py --check FILE
        print {"metadata": {...}, "tensors": {name: {"dtype", "shape", "sum"}}}
        as JSON (sum of the elements as a float); exit 1 with a message if
        FILE is not a valid safetensors file
    python3 tests/indep/safetensors_std.py --write-sample OUT
        write a small file of known tensors (see SAMPLE)
"""

import array
import json
import struct
import sys

# safetensors dtype -> array typecode (all of these have the same size on
# every platform CPython supports, checked below)
TYPECODES = {"F32": "f", "F64": "d", "U8": "B", "I8": "b", "U16": "H",
             "I16": "h", "U32": "I", "I32": "i", "I64": "q"}
SIZES = {"F32": 4, "F64": 8, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "U32": 4,
         "I32": 4, "I64": 8}
MAX_HEADER = 100_000_000

for _dt, _tc in TYPECODES.items():
    assert array.array(_tc).itemsize == SIZES[_dt], _dt


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def load(path):
    """Return (tensors, metadata): tensors maps name -> (dtype, shape, values)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} is absurd or past the end")
    header = json.loads(raw[8:8 + n].decode("utf-8"),
                        object_pairs_hook=_no_duplicates)
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the header is not a JSON object")
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    if not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{path}: __metadata__ values must be strings")

    tensors, spans = {}, []
    for name, info in header.items():
        dtype, shape = info["dtype"], info["shape"]
        begin, end = info["data_offsets"]
        if dtype not in TYPECODES:
            raise ValueError(f"{path}: tensor {name!r}: unknown dtype {dtype}")
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"{path}: tensor {name!r}: bad shape {shape}")
        if not 0 <= begin <= end <= len(data) or \
                end - begin != _count(shape) * SIZES[dtype]:
            raise ValueError(f"{path}: tensor {name!r}: bad data_offsets")
        values = array.array(TYPECODES[dtype], data[begin:end])
        if sys.byteorder == "big":
            values.byteswap()
        tensors[name] = (dtype, list(shape), values)
        spans.append((begin, end))
    # the tensors must cover the data buffer exactly: no holes, no overlaps
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise ValueError(f"{path}: hole or overlap at byte {pos}")
        pos = end
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} bytes belong to no tensor")
    return tensors, metadata


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in the header")
    return dict(pairs)


def save(path, tensors, metadata=None):
    """Write tensors (name -> (dtype, shape, values)) in their order."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, (dtype, shape, values) in tensors.items():
        values = array.array(TYPECODES[dtype], values)
        if len(values) != _count(shape):
            raise ValueError(f"tensor {name!r}: {len(values)} values for shape {shape}")
        if sys.byteorder == "big":
            values.byteswap()
        blob = values.tobytes()
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad to a multiple of 8, as safetensors does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# The tensors --write-sample writes; the C test checks these values.
SAMPLE = {
    "weight": ("F32", [2, 3], [-1.5, -1.0, 0.0, 0.25, 2.0, 1e6]),
    "bias": ("I32", [3], [-7, 0, 2147483647]),
    "scale": ("F64", [], [3.125]),
    "codes": ("I8", [2, 2], [-128, -1, 0, 127]),
    "counts": ("U16", [4], [0, 1, 300, 65535]),
    "big": ("I64", [2], [-(1 << 62), (1 << 40) + 1]),
    "empty": ("U8", [0, 5], []),
}
SAMPLE_META = {"format": "xpnn-sample", "writer": "safetensors_std.py"}


def main(argv):
    if len(argv) != 3 or argv[1] not in ("--check", "--write-sample"):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == "--write-sample":
        save(argv[2], SAMPLE, SAMPLE_META)
        return 0
    try:
        tensors, metadata = load(argv[2])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        print(f"safetensors_std: {argv[2]}: {e}", file=sys.stderr)
        return 1
    out = {name: {"dtype": dt, "shape": shape, "sum": float(sum(values))}
           for name, (dt, shape, values) in tensors.items()}
    print(json.dumps({"metadata": metadata, "tensors": out}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
