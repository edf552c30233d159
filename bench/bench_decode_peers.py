"""Peers of bench_decode.c on one thread: OpenCV (cv2.imdecode, with its
IMREAD_REDUCED_* DCT-scaled modes) and Pillow (with draft() for DCT scaling),
over every JPEG of a directory held in memory. Crops have no reduced-work
path in either, so they decode whole and slice. The resize_* rows time the
resize alone (to 224x224) of already decoded images.
usage: bench_decode_peers.py DIR [SECONDS_PER_MODE]   prints "mode cv2 pil" (images per CPU second)"""
import io
import os
import sys
import time

import cv2
import numpy as np
from PIL import Image

cv2.setNumThreads(1)
d = sys.argv[1]
secs = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
blobs = [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d)) if f.lower().endswith((".jpg", ".jpeg"))]
arrs = [np.frombuffer(b, np.uint8) for b in blobs]


def rate(fn, items):
    # process CPU time, as bench_decode.c: robust to a loaded machine
    done, t0 = 0, time.process_time()
    while True:
        for x in items:
            fn(x)
        done += len(items)
        t = time.process_time() - t0
        if t >= secs:
            return done / t


def cv_crop(a):
    img = cv2.imdecode(a, cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    return np.ascontiguousarray(img[(h - 224) // 2:(h - 224) // 2 + 224, (w - 224) // 2:(w - 224) // 2 + 224])


def pil_load(b, scale=1):
    im = Image.open(io.BytesIO(b))
    if scale > 1:
        im.draft("RGB", (im.size[0] // scale, im.size[1] // scale))
    return np.asarray(im.convert("RGB"))


def pil_crop(b):
    im = Image.open(io.BytesIO(b)).convert("RGB")
    w, h = im.size
    return np.asarray(im.crop(((w - 224) // 2, (h - 224) // 2, (w - 224) // 2 + 224, (h - 224) // 2 + 224)))


def pil_probe(b):
    return Image.open(io.BytesIO(b)).size


modes = [
    ("full", lambda a: cv2.imdecode(a, cv2.IMREAD_COLOR), lambda b: pil_load(b)),
    ("scale_1/2", lambda a: cv2.imdecode(a, cv2.IMREAD_REDUCED_COLOR_2), lambda b: pil_load(b, 2)),
    ("scale_1/4", lambda a: cv2.imdecode(a, cv2.IMREAD_REDUCED_COLOR_4), lambda b: pil_load(b, 4)),
    ("scale_1/8", lambda a: cv2.imdecode(a, cv2.IMREAD_REDUCED_COLOR_8), lambda b: pil_load(b, 8)),
    ("crop_224", cv_crop, pil_crop),
    ("full+resize224", lambda a: cv2.resize(cv2.imdecode(a, cv2.IMREAD_COLOR), (224, 224)),
     lambda b: np.asarray(Image.open(io.BytesIO(b)).convert("RGB").resize((224, 224), Image.BILINEAR))),
    ("1/2+resize224", lambda a: cv2.resize(cv2.imdecode(a, cv2.IMREAD_REDUCED_COLOR_2), (224, 224),
                                           interpolation=cv2.INTER_AREA),
     lambda b: np.asarray(Image.fromarray(pil_load(b, 2)).resize((224, 224), Image.BOX))),
    ("probe", None, pil_probe),
]
# the resize alone, from decoded arrays (Pillow: Image objects)
decoded = [cv2.imdecode(a, cv2.IMREAD_COLOR) for a in arrs]
pil_decoded = [Image.open(io.BytesIO(b)).convert("RGB") for b in blobs]
modes += [
    ("resize_nearest", lambda i: cv2.resize(decoded[i], (224, 224), interpolation=cv2.INTER_NEAREST),
     lambda i: pil_decoded[i].resize((224, 224), Image.NEAREST)),
    ("resize_linear", lambda i: cv2.resize(decoded[i], (224, 224), interpolation=cv2.INTER_LINEAR),
     lambda i: pil_decoded[i].resize((224, 224), Image.BILINEAR)),
    ("resize_area", lambda i: cv2.resize(decoded[i], (224, 224), interpolation=cv2.INTER_AREA),
     lambda i: pil_decoded[i].resize((224, 224), Image.BOX)),
]
index = list(range(len(blobs)))
for name, cvf, pilf in modes:
    if name.startswith("resize_"):
        print("%s %.1f %.1f" % (name, rate(cvf, index), rate(pilf, index)), flush=True)
        continue
    cv_rate = rate(cvf, arrs) if cvf else float("nan")
    pil_rate = rate(pilf, blobs)
    print("%s %.1f %.1f" % (name, cv_rate, pil_rate), flush=True)
