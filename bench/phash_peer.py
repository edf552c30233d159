"""The full-decode + resize path of perceptual hashing with OpenCV (as the
imagehash/imagededup pipelines do it): cv2.imdecode of the whole JPEG, then
cv2.resize to 32x32 (INTER_AREA) on grey; images per CPU second, one thread.
usage: phash_peer.py DIR SECONDS"""
import glob, os, sys, time

import cv2
import numpy as np

cv2.setNumThreads(1)
paths = sorted(glob.glob(os.path.join(sys.argv[1], "*.jpg")))
raw = [np.frombuffer(open(p, "rb").read(), np.uint8) for p in paths]
secs = float(sys.argv[2])
best = 0
for _ in range(3):
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < secs:
        for b in raw:
            g = cv2.imdecode(b, cv2.IMREAD_GRAYSCALE)
            cv2.resize(g, (32, 32), interpolation=cv2.INTER_AREA)
            n += 1
    best = max(best, n / (time.process_time() - t0))
print(f"cv2_full_decode_resize {best:.1f} img/s")
