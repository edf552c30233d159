#!/usr/bin/python3
"""Tables (markdown) and SVG plots from the experiments' results.jsonl:
per-class recall bars (imbalance), validation-accuracy curves (all)."""
import json, sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl")]
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]


def svg_bars(path, runs, title):
    classes = sorted({int(c) for r in runs for c in r["recall"]})
    W, H, L, B, T = 760, 320, 50, 40, 40
    gw = (W - L - 20) / len(classes)
    bw = gw * 0.8 / len(runs)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
         '<rect width="100%" height="100%" fill="white"/>', f'<text x="{L}" y="16" font-size="13">{title}</text>']
    for k in range(5):
        y = H - B - k * (H - T - B) / 4
        s.append(f'<line x1="{L}" x2="{W - 20}" y1="{y}" y2="{y}" stroke="#ddd"/><text x="{L - 6}" y="{y + 4}" text-anchor="end">{k / 4:.2f}</text>')
    for ci, c in enumerate(classes):
        x0 = L + ci * gw + gw * 0.1
        s.append(f'<text x="{x0 + gw * 0.4}" y="{H - B + 14}" text-anchor="middle">{c}</text>')
        for ri, r in enumerate(runs):
            v = r["recall"].get(str(c), 0)
            h = v * (H - T - B)
            s.append(f'<rect x="{x0 + ri * bw:.1f}" y="{H - B - h:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{COLORS[ri % 6]}"/>')
    for ri, r in enumerate(runs):
        s.append(f'<rect x="{L + ri * 190}" y="{H - 14}" width="10" height="10" fill="{COLORS[ri % 6]}"/><text x="{L + ri * 190 + 14}" y="{H - 5}">{r["run"]}</text>')
    s.append("</svg>")
    open(path, "w").write("\n".join(s))


def svg_curves(path, runs, title):
    W, H, L, B, T = 760, 340, 50, 60, 30
    n = max(len(r["val_acc"]) for r in runs)
    lo = min(min(v for v in r["val_acc"] if v is not None) for r in runs)
    lo = max(0.0, int(lo * 10) / 10)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
         '<rect width="100%" height="100%" fill="white"/>', f'<text x="{L}" y="16" font-size="13">{title}</text>']
    def px(i): return L + (i / max(1, n - 1)) * (W - L - 20)
    def py(v): return H - B - (v - lo) / (1 - lo) * (H - T - B)
    for k in range(5):
        v = lo + k * (1 - lo) / 4
        s.append(f'<line x1="{L}" x2="{W - 20}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#ddd"/><text x="{L - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    for i in range(n):
        s.append(f'<text x="{px(i):.1f}" y="{H - B + 14}" text-anchor="middle">{i + 1}</text>')
    s.append(f'<text x="{W / 2}" y="{H - B + 28}" text-anchor="middle">epoch</text>')
    for ri, r in enumerate(runs):
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(r["val_acc"]) if v is not None)
        s.append(f'<polyline fill="none" stroke="{COLORS[ri % 6]}" stroke-width="2" points="{pts}"/>')
        s.append(f'<rect x="{L + ri * 140}" y="{H - 16}" width="10" height="10" fill="{COLORS[ri % 6]}"/><text x="{L + ri * 140 + 14}" y="{H - 7}">{r["run"]}</text>')
    s.append("</svg>")
    open(path, "w").write("\n".join(s))


for exp in dict.fromkeys(r["experiment"] for r in rows):
    runs = [r for r in rows if r["experiment"] == exp]
    print(f"\n### {exp}\n")
    classes = sorted({int(c) for r in runs for c in r["recall"]})
    print("| run | accuracy | " + " | ".join(f"recall {c}" for c in classes) + " | val acc per epoch |")
    print("|---|---|" + "---|" * len(classes) + "---|")
    for r in runs:
        print(f"| {r['run']} | {r['accuracy']:.4f} | " + " | ".join(f"{r['recall'].get(str(c), 0):.3f}" for c in classes)
              + " | " + " ".join(f"{v:.3f}" for v in r["val_acc"] if v is not None) + " |")
    svg_curves(f"{out}/{exp}_curves.svg", runs, f"{exp}: validation accuracy per epoch")
    if exp == "imbalance":
        svg_bars(f"{out}/{exp}_recall.svg", runs, "imbalance: per-class recall (classes 0, 2, 4 rare 1:20)")
