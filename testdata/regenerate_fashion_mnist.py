#!/usr/bin/env python3
"""Writes the Fashion-MNIST subset in testdata/fashion-mnist from Debian's dataset-fashion-mnist package.

The first TRAIN images of the training split and the first TEST images of the test split, with their labels, as
IDX files (the same format as the package), gzipped with mtime 0 so the output is byte-for-byte reproducible.

    sudo apt-get install dataset-fashion-mnist
    python3 testdata/regenerate_fashion_mnist.py
"""
import gzip
import os
import struct
import sys

SOURCE = "/usr/share/datasets/fashion-mnist"
TRAIN = 2000
TEST = 500
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return magic, count, (rows, cols), data[16:]
    if magic == 2049:
        return magic, count, (), data[8:]
    raise SystemExit(f"{path}: unknown IDX magic {magic}")


def write_idx(path, magic, dims, payload, count):
    header = struct.pack(">II", magic, count) + b"".join(struct.pack(">I", d) for d in dims)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(header + payload)


def subset(split, n):
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{split}-{kind}-ubyte.gz"
        magic, count, dims, payload = read_idx(os.path.join(SOURCE, name))
        if count < n:
            raise SystemExit(f"{name} has {count} records, need {n}")
        record = 1
        for d in dims:
            record *= d
        write_idx(os.path.join(OUT, name), magic, dims, payload[: n * record], n)
        print(f"wrote {name}: {n} of {count} records")


if __name__ == "__main__":
    if not os.path.isdir(SOURCE):
        sys.exit(f"{SOURCE} not found: apt-get install dataset-fashion-mnist")
    os.makedirs(OUT, exist_ok=True)
    subset("train", TRAIN)
    subset("t10k", TEST)
