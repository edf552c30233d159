"""Reference resizes for tests/image/test_resize.c: cv2.resize of PNG files
to requested sizes and interpolations, written as raw HWC RGB(A) bytes.

usage: cv2_resize.py JOBS   (each line: IN.png OUT.raw WIDTH HEIGHT nearest|linear|area)
One process for every job, since importing cv2 costs about a second.
Exit status 3 when OpenCV is not installed (the test then skips)."""
import sys

try:
    import cv2
except ImportError:
    sys.exit(3)

INTERP = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}


def main():
    cv2.setNumThreads(1)
    sources = {}
    with open(sys.argv[1]) as jobs:
        for line in jobs:
            src_path, out_path, w, h, interp = line.split()
            if src_path not in sources:
                sources[src_path] = cv2.imread(src_path, cv2.IMREAD_UNCHANGED)
            src = sources[src_path]
            if src is None:
                sys.exit("cannot read " + src_path)
            out = cv2.resize(src, (int(w), int(h)), interpolation=INTERP[interp])
            if out.ndim == 3 and out.shape[2] >= 3:  # cv2 keeps BGR(A); we compare RGB(A)
                out[..., :3] = out[..., 2::-1].copy()
            with open(out_path, "wb") as f:
                f.write(out.tobytes())


main()
