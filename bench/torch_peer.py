#!/usr/bin/python3
"""PyTorch CPU peer of `trainset train`: the same architecture (parsed from
the same spec language), batch size, optimiser and thread count, trained on
the same Fashion-MNIST images; prints one JSON line with images/s (training
time only, like trainset's own figure) and, with --epochs, test accuracy."""
import argparse, gzip, json, os, sys, time

import numpy as np
import torch
import torch.nn as nn

BUILTINS = {
    "mlp": "fc 256\nrelu\ndropout 0.2\nfc 128\nrelu\nfc classes\n",
    "cnn-small": "conv 32 3\nbn\nrelu\nmaxpool 2\nconv 64 3\nbn\nrelu\nmaxpool 2\nfc 128\nrelu\ndropout 0.3\nfc classes\n",
    "resnet-mini": "conv 16 3\nbn\nrelu\nskip\nconv 16 3\nbn\nrelu\nconv 16 3\nbn\nadd\nrelu\n"
                   "conv 32 3 stride 2\nbn\nrelu\nskip\nconv 32 3\nbn\nrelu\nconv 32 3\nbn\nadd\nrelu\n"
                   "conv 64 3 stride 2\nbn\nrelu\nskip\nconv 64 3\nbn\nrelu\nconv 64 3\nbn\nadd\nrelu\ngap\nfc classes\n",
}


class Net(nn.Module):
    """Sequential layers with skip/add pairs, as trainset's spec builds them."""

    def __init__(self, spec, c, h, w, classes):
        super().__init__()
        self.ops = nn.ModuleList()
        self.kinds = []
        stack, shape = [], (c, h, w)
        for line in spec.replace(";", "\n").splitlines():
            t = line.split("#")[0].split()
            if not t or t[0] == "input":
                continue
            kw, args = t[0], t[1:]
            opt = {args[i]: int(args[i + 1]) for i in range(len(args)) if args[i] in ("stride", "pad")}
            pos = [a for i, a in enumerate(args) if a not in ("stride", "pad") and (i == 0 or args[i - 1] not in ("stride", "pad"))]
            c, h, w = shape
            if kw == "conv":
                f, k = int(pos[0]), int(pos[1])
                s, p = opt.get("stride", 1), opt.get("pad", k // 2)
                m = nn.Conv2d(c, f, k, s, p)
                shape = (f, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
            elif kw == "dwconv":
                k = int(pos[0]); s, p = opt.get("stride", 1), opt.get("pad", k // 2)
                m = nn.Conv2d(c, c, k, s, p, groups=c)
                shape = (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
            elif kw == "bn":
                m = nn.BatchNorm2d(c) if h * w > 1 else nn.BatchNorm1d(c)
            elif kw == "relu":
                m = nn.ReLU()
            elif kw == "leaky":
                m = nn.LeakyReLU(float(pos[0]) if pos else 0.01)
            elif kw in ("maxpool", "avgpool"):
                k = int(pos[0]); s = opt.get("stride", k)
                m = (nn.MaxPool2d if kw == "maxpool" else nn.AvgPool2d)(k, s)
                shape = (c, (h - k) // s + 1, (w - k) // s + 1)
            elif kw == "gap":
                m = nn.AdaptiveAvgPool2d(1); shape = (c, 1, 1)
            elif kw == "dropout":
                m = nn.Dropout(float(pos[0]))
            elif kw == "fc":
                u = classes if pos[0] == "classes" else int(pos[0])
                m = nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, u)); shape = (u, 1, 1)
            elif kw in ("skip", "add"):
                m = nn.Identity()
            else:
                raise SystemExit("unknown layer " + kw)
            self.ops.append(m)
            self.kinds.append(kw)

    def forward(self, x):
        saved = []
        for kind, op in zip(self.kinds, self.ops):
            if kind == "skip":
                saved.append(x)
            elif kind == "add":
                x = x + saved.pop()
            else:
                if kind == "bn" and x.dim() == 4 and isinstance(op, nn.BatchNorm1d):
                    x = x.flatten(1)
                x = op(x)
        return x


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="cnn-small")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--images", type=int, default=20000, help="training images to time (one pass)")
    ap.add_argument("--epochs", type=int, default=0, help="train this many full epochs and report test accuracy")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    spec = BUILTINS.get(a.model)
    if spec is None:
        spec = open(a.model).read() if os.path.exists(a.model) else a.model
    xtr = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    ytr = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    mean, std = float(xtr.mean()), float(xtr.std())
    xtr = torch.from_numpy((xtr - mean) / std).unsqueeze(1)
    ytr = torch.from_numpy(ytr)
    net = Net(spec, 1, 28, 28, 10)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=0.9)
    lossf = nn.CrossEntropyLoss()

    def run(n_images, gen):
        net.train()
        order = torch.randperm(xtr.shape[0], generator=gen)[:n_images]
        t0 = time.perf_counter()
        for i in range(0, n_images, a.batch):
            idx = order[i:i + a.batch]
            if len(idx) < 2:
                break
            opt.zero_grad()
            loss = lossf(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    gen = torch.Generator().manual_seed(a.seed)
    out = {"peer": "pytorch", "torch": torch.__version__, "model": a.model, "batch": a.batch, "threads": a.threads}
    if a.epochs:
        secs = sum(run(xtr.shape[0], gen) for _ in range(a.epochs))
        n = xtr.shape[0] * a.epochs
        xte = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
        yte = torch.from_numpy(read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
        net.eval()
        with torch.no_grad():
            pred = net(torch.from_numpy((xte - mean) / std).unsqueeze(1)).argmax(1)
        out["test_acc"] = float((pred == yte).float().mean())
    else:
        run(min(2048, a.images), gen)  # warm-up
        secs = run(a.images, gen)
        n = a.images
    out["images"] = n
    out["seconds"] = round(secs, 3)
    out["images_per_s"] = round(n / secs, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
