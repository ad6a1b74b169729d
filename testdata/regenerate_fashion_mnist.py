#!/usr/bin/env python3
"""Writes the Fashion-MNIST subset from Debian's dataset-fashion-mnist package, in two layouts.

fashion-mnist/          the first TRAIN images of the training split and the first TEST images of the test split,
                        with their labels, as IDX files (the package's format), gzipped with mtime 0 so the output
                        is byte-for-byte reproducible.
fashion-mnist-cifar10/  the same images in the CIFAR-10 binary layout: data_batch_1..5.bin (TRAIN/5 records each)
                        and test_batch.bin, each record one label byte and 3072 pixel bytes (32x32, channel-planar
                        R, G, B); the 28x28 grey images are centred with 2 black pixels of padding on each side and
                        repeated into the three channels. batches.meta.txt names the classes, one per line.

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
CIFAR_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist-cifar10")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


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
    """Writes the IDX subset and returns (images as bytes of n*784, labels as bytes of n)."""
    kept = {}
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{split}-{kind}-ubyte.gz"
        magic, count, dims, payload = read_idx(os.path.join(SOURCE, name))
        if count < n:
            raise SystemExit(f"{name} has {count} records, need {n}")
        record = 1
        for d in dims:
            record *= d
        kept[kind] = payload[: n * record]
        write_idx(os.path.join(OUT, name), magic, dims, kept[kind], n)
        print(f"wrote {name}: {n} of {count} records")
    return kept["images-idx3"], kept["labels-idx1"]


def cifar_record(image, label):
    """One CIFAR-10 record: label byte, then the padded 32x32 grey plane three times (R, G, B)."""
    plane = bytearray(32 * 32)
    for r in range(28):
        plane[(r + 2) * 32 + 2:(r + 2) * 32 + 30] = image[r * 28:(r + 1) * 28]
    return bytes([label]) + bytes(plane) * 3


def write_cifar(name, images, labels):
    with open(os.path.join(CIFAR_OUT, name), "wb") as f:
        for i in range(len(labels)):
            f.write(cifar_record(images[i * 784:(i + 1) * 784], labels[i]))
    print(f"wrote {name}: {len(labels)} records")


if __name__ == "__main__":
    if not os.path.isdir(SOURCE):
        sys.exit(f"{SOURCE} not found: apt-get install dataset-fashion-mnist")
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(CIFAR_OUT, exist_ok=True)
    train_images, train_labels = subset("train", TRAIN)
    test_images, test_labels = subset("t10k", TEST)
    per_batch = TRAIN // 5
    for b in range(5):
        rows = range(b * per_batch, (b + 1) * per_batch)
        write_cifar(f"data_batch_{b + 1}.bin", train_images[rows.start * 784:rows.stop * 784],
                    train_labels[rows.start:rows.stop])
    write_cifar("test_batch.bin", test_images, test_labels)
    with open(os.path.join(CIFAR_OUT, "batches.meta.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(CLASSES) + "\n")
