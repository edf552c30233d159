#!/usr/bin/python3
"""Write a COCO instances file shaped like instances_train2017.json: 118,287
images, ~860k annotations (polygons with 2-decimal vertices, some crowd RLE),
80 categories with COCO's sparse ids, ~450 MB. Deterministic for a seed;
plain Python so it runs anywhere.

usage: gen_coco_instances.py OUT.json [--scale F] [--seed S]
"""
import argparse
import math
import random


def polygon(rng, w, h):
    """A star-shaped ring inside the image, as COCO's polygons look."""
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    r = rng.uniform(0.03, 0.25) * min(w, h)
    n = rng.randint(8, 34)
    pts = []
    for k in range(n):
        a = 2 * math.pi * k / n
        rr = r * rng.uniform(0.6, 1.0)
        x = min(max(cx + rr * math.cos(a), 0.0), w - 0.01)
        y = min(max(cy + rr * math.sin(a), 0.0), h - 0.01)
        pts.append((x, y))
    return pts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=2017)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n_images = max(1, int(118287 * args.scale))
    n_anns_target = int(860001 * args.scale)
    # COCO's 80 category ids run 1..90 with gaps
    cat_ids = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
    supers = ["person", "vehicle", "outdoor", "animal", "accessory", "sports", "kitchen", "food",
              "furniture", "electronic", "appliance", "indoor"]
    with open(args.out, "w", buffering=1 << 20) as f:
        f.write('{"info": {"description": "COCO 2017 Dataset (synthetic, trainset bench)", '
                '"url": "http://cocodataset.org", "version": "1.0", "year": 2017, '
                '"contributor": "COCO Consortium", "date_created": "2017/09/01"}, ')
        f.write('"licenses": [' + ", ".join(
            '{"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": %d, "name": "License %d"}' % (i, i)
            for i in range(1, 9)) + "], ")
        f.write('"images": [')
        sizes = []
        ids = rng.sample(range(1, 600000), n_images)
        ids.sort()
        for i, iid in enumerate(ids):
            w, h = rng.choice([(640, 480), (480, 640), (640, 427), (427, 640), (640, 426), (500, 375)])
            sizes.append((iid, w, h))
            f.write('%s{"license": %d, "file_name": "%012d.jpg", '
                    '"coco_url": "http://images.cocodataset.org/train2017/%012d.jpg", "height": %d, "width": %d, '
                    '"date_captured": "2013-11-%02d %02d:%02d:%02d", '
                    '"flickr_url": "http://farm%d.staticflickr.com/%d/%d_%x_z.jpg", "id": %d}'
                    % ("," if i else "", rng.randint(1, 8), iid, iid, h, w, rng.randint(1, 28), rng.randint(0, 23),
                       rng.randint(0, 59), rng.randint(0, 59), rng.randint(1, 9), rng.randint(1000, 9999),
                       rng.randint(10 ** 9, 10 ** 10), rng.getrandbits(40), iid))
        f.write('], "annotations": [')
        ann_id = 1
        first = True
        per_image = n_anns_target / n_images * 1.05  # rounding of the draws loses ~5%
        for iid, w, h in sizes:
            k = max(0, int(rng.expovariate(1.0 / per_image) + 0.5))
            for _ in range(k):
                cat = rng.choice(cat_ids)
                if rng.random() < 0.009:  # crowd: uncompressed RLE as in the real file
                    counts, total, v = [], w * h, 0
                    pos = rng.randint(0, total // 2)
                    counts.append(pos)
                    while pos < total:
                        run = min(rng.randint(1, 60), total - pos)
                        counts.append(run)
                        pos += run
                        if len(counts) > 400:
                            counts.append(total - pos)
                            break
                    seg = '{"counts": [%s], "size": [%d, %d]}' % (", ".join(map(str, counts)), h, w)
                    area = float(sum(counts[1::2]))
                    bx, by, bw, bh = 0.0, 0.0, float(w), float(h)
                    crowd = 1
                else:
                    rings = [polygon(rng, w, h) for _ in range(1 if rng.random() < 0.9 else 2)]
                    seg = "[" + ", ".join("[" + ", ".join("%.2f, %.2f" % p for p in ring) + "]" for ring in rings) + "]"
                    xs = [p[0] for ring in rings for p in ring]
                    ys = [p[1] for ring in rings for p in ring]
                    bx, by = min(xs), min(ys)
                    bw, bh = max(xs) - bx, max(ys) - by
                    area = sum(abs(sum(r[i][0] * r[i - 1][1] - r[i - 1][0] * r[i][1] for i in range(len(r)))) / 2
                               for r in rings)
                    crowd = 0
                f.write('%s{"segmentation": %s, "area": %.4f, "iscrowd": %d, "image_id": %d, '
                        '"bbox": [%.2f, %.2f, %.2f, %.2f], "category_id": %d, "id": %d}'
                        % ("" if first else ",", seg, area, crowd, iid, bx, by, bw, bh, cat, ann_id))
                first = False
                ann_id += 1
        f.write('], "categories": [')
        f.write(", ".join('{"supercategory": "%s", "id": %d, "name": "class%d"}' % (supers[i % len(supers)], c, c)
                          for i, c in enumerate(cat_ids)))
        f.write("]}")


if __name__ == "__main__":
    main()
