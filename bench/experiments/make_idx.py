#!/usr/bin/python3
"""Write a Fashion-MNIST subset as an IDX dataset directory (what
`trainset train` reads with format idx): per-class counts for the train
split, optional class filter and relabelling, class-sorted order, and the
test split restricted to the same classes.
usage: make_idx.py OUT [--per-class N] [--counts 0:50,2:50] [--classes 5,6,7,8,9]
                       [--sorted] [--seed S] [--no-test]"""
import argparse, gzip, os

import numpy as np

SRC = "/usr/share/datasets/fashion-mnist"


def read(name):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + np.ascontiguousarray(arr).tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--per-class", type=int, default=0)
    ap.add_argument("--counts", default="")
    ap.add_argument("--classes", default="")
    ap.add_argument("--sorted", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-test", action="store_true")
    ap.add_argument("--test-only", action="store_true", help="write only the test split (evaluation ground truth)")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    xi, yi = read("train-images-idx3-ubyte.gz"), read("train-labels-idx1-ubyte.gz")
    classes = [int(c) for c in a.classes.split(",")] if a.classes else list(range(10))
    counts = {int(k): int(v) for k, v in (p.split(":") for p in a.counts.split(",") if p)}
    keep = []
    for c in classes:
        idx = np.flatnonzero(yi == c)
        n = counts.get(c, a.per_class or len(idx))
        keep.append(rng.permutation(idx)[:n])
    keep = np.concatenate(keep)
    keep = keep if a.sorted else rng.permutation(keep)
    os.makedirs(a.out, exist_ok=True)
    if a.test_only:
        keep = keep[:0]
    else:
        write(os.path.join(a.out, "train-images-idx3-ubyte.gz"), xi[keep])
        write(os.path.join(a.out, "train-labels-idx1-ubyte.gz"), yi[keep])
    if not a.no_test:
        xt, yt = read("t10k-images-idx3-ubyte.gz"), read("t10k-labels-idx1-ubyte.gz")
        t = np.flatnonzero(np.isin(yt, classes))
        write(os.path.join(a.out, "t10k-images-idx3-ubyte.gz"), xt[t])
        write(os.path.join(a.out, "t10k-labels-idx1-ubyte.gz"), yt[t])
    print(f"{a.out}: {len(keep)} train images")


if __name__ == "__main__":
    main()
