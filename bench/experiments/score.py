#!/usr/bin/python3
"""Score a predictions file against an IDX test-only directory (the k-th
smallest image id is test image k): accuracy, per-class recall, and the validation curve from
the metrics JSON lines. Prints one JSON line."""
import gzip, json, sys

import numpy as np

exp, name, pred_path, gt_dir, metrics = sys.argv[1:6]
with gzip.open(f"{gt_dir}/t10k-labels-idx1-ubyte.gz", "rb") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
best = {}
for p in json.load(open(pred_path)):
    i = p["image_id"]
    if i not in best or p["score"] > best[i][1]:
        best[i] = (p["category_id"], p["score"])
ids = sorted(best)
assert len(ids) == len(labels), "predictions do not cover the test images"
pred = np.array([best[i][0] for i in ids])
recall = {int(c): round(float((pred[labels == c] == c).mean()), 4) for c in np.unique(labels)}
curve = [json.loads(l) for l in open(metrics)]
print(json.dumps({"experiment": exp, "run": name, "accuracy": round(float((pred == labels).mean()), 4),
                  "recall": recall, "val_acc": [c["val_acc"] for c in curve],
                  "images_per_s": [c["images_per_s"] for c in curve]}))
