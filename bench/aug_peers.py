"""Peers for bench/bench_aug.sh: each op of bench/aug_ops.txt done with
OpenCV (cv2, as Albumentations does it) and with torchvision on Pillow
images, one thread, on the bench512 photos decoded once, and the standard
chain from JPEG bytes for both. Rates are images per CPU second of the
process, as bench_aug measures its own.
usage: aug_peers.py DIR SECONDS OPS_FILE < commands
Reads an op name (or "chain") a line from stdin and answers each with
"name cv2_rate torchvision_rate" (nan where a peer has no equivalent), so
the script can interleave it with bench_aug op by op."""
import glob, io, math, os, sys, time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import cv2
import numpy as np
import torch
from PIL import Image
import torchvision.transforms as T
import torchvision.transforms.functional as TF

cv2.setNumThreads(1)
torch.set_num_threads(1)
folder, secs = sys.argv[1], float(sys.argv[2])
paths = sorted(glob.glob(os.path.join(folder, "*.jpg")))
raw = [open(p, "rb").read() for p in paths]
imgs = [cv2.cvtColor(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for b in raw]
pils = [Image.fromarray(a) for a in imgs]
rng = np.random.default_rng(0)


def rate(fn, data):
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < secs:
        for x in data:
            fn(x)
            n += 1
    return n / (time.process_time() - t0)


def lut(table):
    return lambda a: cv2.LUT(a, table)


def rrc_cv2(a):
    h, w = a.shape[:2]
    area = h * w * rng.uniform(0.08, 1.0)
    r = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
    cw, ch = min(w, int(round(math.sqrt(area * r)))), min(h, int(round(math.sqrt(area / r))))
    x, y = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
    return cv2.resize(a[y:y + ch, x:x + cw], (224, 224), interpolation=cv2.INTER_LINEAR)


def jitter_cv2(a):  # brightness, contrast, saturation, hue as Albumentations' ColorJitter does with cv2
    a = cv2.convertScaleAbs(a, alpha=rng.uniform(0.6, 1.4))
    mean = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).mean()
    c = rng.uniform(0.6, 1.4)
    a = cv2.addWeighted(a, c, a, 0, (1 - c) * mean)
    gray = cv2.cvtColor(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    s = rng.uniform(0.6, 1.4)
    a = cv2.addWeighted(a, s, gray, 1 - s, 0)
    hsv = cv2.cvtColor(a, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(rng.uniform(-0.1, 0.1) * 180)) % 180
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def hsv_cv2(a):
    hsv = cv2.cvtColor(a, cv2.COLOR_RGB2HSV)
    h, s, v = cv2.split(hsv)
    h = cv2.LUT(h, ((np.arange(256) + 5) % 180).astype(np.uint8))
    s = cv2.LUT(s, np.clip(np.arange(256) * 1.2, 0, 255).astype(np.uint8))
    v = cv2.LUT(v, np.clip(np.arange(256) * 1.1, 0, 255).astype(np.uint8))
    return cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2RGB)


def clahe_cv2(a, c=cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))):
    lab = cv2.cvtColor(a, cv2.COLOR_RGB2LAB)
    lab[..., 0] = c.apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def elastic_cv2(a, alpha=30, sigma=5):
    h, w = a.shape[:2]
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma) * alpha
    x, y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(a, x + dx, y + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def lens_cv2(a, k=0.1):
    h, w = a.shape[:2]
    cam = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], np.float32)
    mx, my = cv2.initUndistortRectifyMap(cam, np.array([k, 0, 0, 0], np.float32), None, cam, (w, h), cv2.CV_32FC1)
    return cv2.remap(a, mx, my, cv2.INTER_LINEAR)


def grid_cv2(a):
    h, w = a.shape[:2]
    xs = np.linspace(0, w - 1, w, dtype=np.float32) * rng.uniform(0.9, 1.1)
    ys = np.linspace(0, h - 1, h, dtype=np.float32) * rng.uniform(0.9, 1.1)
    mx, my = np.meshgrid(xs, ys)
    return cv2.remap(a, mx, my, cv2.INTER_LINEAR)


def motion_cv2(a, k=7):
    kern = np.zeros((k, k), np.float32)
    kern[k // 2, :] = 1 / k
    kern = cv2.warpAffine(kern, cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), 30, 1), (k, k))
    return cv2.filter2D(a, -1, kern / kern.sum())


def cutout_np(a):
    a = a.copy()
    h, w = a.shape[:2]
    for _ in range(8):
        y, x = rng.integers(0, h), rng.integers(0, w)
        a[max(0, y - 16):y + 16, max(0, x - 16):x + 16] = 0
    return a


def noise_np(a):
    return np.clip(a + rng.normal(0, 10, a.shape), 0, 255).astype(np.uint8)


def sp_np(a):
    a = a.copy()
    m = rng.random(a.shape[:2])
    a[m < 0.01] = 0
    a[(m >= 0.01) & (m < 0.02)] = 255
    return a


M_ROT = cv2.getRotationMatrix2D((256, 256), 17, 1.0)
M_AFF = cv2.getRotationMatrix2D((256, 256), 10, 0.9)
M_AFF[:, 2] += (25.6, 25.6)
SRC = np.float32([[0, 0], [512, 0], [512, 512], [0, 512]])
DST = np.float32([[20, 15], [490, 30], [500, 480], [25, 495]])
M_PER = cv2.getPerspectiveTransform(SRC, DST)
MEAN, STD = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)
to_tensor, normalize = T.ToTensor(), T.Normalize(MEAN.tolist(), STD.tolist())
erasing = T.RandomErasing(p=1.0, value="random")

cv2_ops = {
    "hflip": lambda a: cv2.flip(a, 1), "vflip": lambda a: cv2.flip(a, 0),
    "rotate": lambda a: cv2.warpAffine(a, M_ROT, (512, 512), flags=cv2.INTER_LINEAR),
    "affine": lambda a: cv2.warpAffine(a, M_AFF, (512, 512), flags=cv2.INTER_LINEAR),
    "perspective": lambda a: cv2.warpPerspective(a, M_PER, (512, 512), flags=cv2.INTER_LINEAR),
    "random_crop": lambda a: a[100:356, 80:336].copy(), "center_crop": lambda a: a[128:384, 128:384].copy(),
    "random_resized_crop": rrc_cv2,
    "resize_bilinear": lambda a: cv2.resize(a, (256, 256), interpolation=cv2.INTER_LINEAR),
    "resize_area": lambda a: cv2.resize(a, (256, 256), interpolation=cv2.INTER_AREA),
    "pad": lambda a: cv2.copyMakeBorder(a, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=0),
    "brightness": lut(np.clip(np.arange(256) + 25.5, 0, 255).astype(np.uint8)),
    "contrast": lut(np.clip((np.arange(256) - 127.5) * 1.2 + 127.5, 0, 255).astype(np.uint8)),
    "gamma": lut(np.clip(255 * (np.arange(256) / 255) ** 1.2, 0, 255).astype(np.uint8)),
    "hsv": hsv_cv2, "color_jitter": jitter_cv2,
    "gaussian_blur": lambda a: cv2.GaussianBlur(a, (0, 0), 1.5), "box_blur": lambda a: cv2.blur(a, (5, 5)),
    "median_blur": lambda a: cv2.medianBlur(a, 5), "motion_blur": motion_cv2,
    "sharpen": lambda a: cv2.addWeighted(a, 1.5, cv2.GaussianBlur(a, (0, 0), 1), -0.5, 0),
    "equalize": lambda a: cv2.merge([cv2.equalizeHist(c) for c in cv2.split(a)]), "clahe": clahe_cv2,
    "gaussian_noise": noise_np, "salt_pepper": sp_np,
    "jpeg": lambda a: cv2.imdecode(cv2.imencode(".jpg", a, [cv2.IMWRITE_JPEG_QUALITY, 80])[1], cv2.IMREAD_COLOR),
    "normalize": lambda a: ((a.astype(np.float32) / 255 - MEAN) / STD).transpose(2, 0, 1).copy(),
    "cutout": cutout_np, "random_erasing": lambda a: erasing(torch.from_numpy(a).permute(2, 0, 1)),
    "elastic": elastic_cv2, "grid_distortion": grid_cv2, "lens_distortion": lens_cv2,
}

tv_ops = {
    "hflip": TF.hflip, "vflip": TF.vflip,
    "rotate": lambda p: TF.rotate(p, 17, interpolation=T.InterpolationMode.BILINEAR),
    "affine": lambda p: TF.affine(p, 10, (26, 26), 0.9, 5, interpolation=T.InterpolationMode.BILINEAR),
    "perspective": lambda p: TF.perspective(p, SRC.tolist(), DST.tolist(), interpolation=T.InterpolationMode.BILINEAR),
    "random_crop": lambda p: TF.crop(p, 100, 80, 256, 256), "center_crop": lambda p: TF.center_crop(p, 256),
    "random_resized_crop": T.RandomResizedCrop(224), "resize_bilinear": lambda p: TF.resize(p, [256, 256]),
    "resize_area": lambda p: TF.resize(p, [256, 256], antialias=True),
    "pad": lambda p: TF.pad(p, 32), "brightness": lambda p: TF.adjust_brightness(p, 1.1),
    "contrast": lambda p: TF.adjust_contrast(p, 1.2), "gamma": lambda p: TF.adjust_gamma(p, 1.2),
    "hsv": lambda p: TF.adjust_saturation(TF.adjust_hue(p, 0.03), 1.2),
    "color_jitter": T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    "gaussian_blur": lambda p: TF.gaussian_blur(p, 11, 1.5), "sharpen": lambda p: TF.adjust_sharpness(p, 1.5),
    "equalize": TF.equalize,
    "jpeg": lambda p: Image.open(io.BytesIO((lambda b: (p.save(b, "JPEG", quality=80), b.getvalue())[1])(io.BytesIO()))).convert("RGB"),
    "normalize": lambda p: normalize(to_tensor(p)),
    "random_erasing": lambda p: erasing(to_tensor(p)),
}

def chain_cv2(b):
    a = cv2.cvtColor(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    a = rrc_cv2(a)
    if rng.random() < 0.5:
        a = cv2.flip(a, 1)
    a = jitter_cv2(a)
    return ((a.astype(np.float32) / 255 - MEAN) / STD).transpose(2, 0, 1).copy()


tv_chain = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.1),
                      T.ToTensor(), T.Normalize(MEAN.tolist(), STD.tolist())])

def tv_chain_run(b):
    return tv_chain(Image.open(io.BytesIO(b)).convert("RGB"))


known = {line.split("\t")[0] for line in open(sys.argv[3]) if not line.startswith("#") and "\t" in line}
for line in sys.stdin:
    name = line.strip()
    if name == "chain":
        print(f"chain {rate(chain_cv2, raw):.1f} {rate(tv_chain_run, raw):.1f}", flush=True)
        continue
    c = rate(cv2_ops[name], imgs) if name in known and name in cv2_ops else float("nan")
    t = rate(tv_ops[name], pils) if name in known and name in tv_ops else float("nan")
    print(f"{name} {c:.1f} {t:.1f}", flush=True)
