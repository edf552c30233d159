"""Reference resizes for tests/image/test_resize.c: cv2.resize of one PNG
to each requested size and interpolation, written as raw HWC bytes.

usage: cv2_resize.py IN.png OUTDIR WxH:nearest|linear|area ...
Exit status 3 when OpenCV is not installed (the test then skips)."""
import os
import sys

try:
    import cv2
except ImportError:
    sys.exit(3)

INTERP = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}


def main():
    src = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED)
    if src is None:
        sys.exit("cannot read " + sys.argv[1])
    cv2.setNumThreads(1)
    for i, spec in enumerate(sys.argv[3:]):
        size, interp = spec.split(":")
        w, h = (int(v) for v in size.split("x"))
        out = cv2.resize(src, (w, h), interpolation=INTERP[interp])
        if out.ndim == 3 and out.shape[2] >= 3:  # cv2 keeps BGR(A); we compare RGB(A)
            out[..., :3] = out[..., 2::-1].copy()
        with open(os.path.join(sys.argv[2], "%d.raw" % i), "wb") as f:
            f.write(out.tobytes())


main()
