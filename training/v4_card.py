"""The v4 comparison: ONE table (v2, v3, every arm, the teacher, the student) on training/splits/v4/val.csv, per
source, plus the probes, the source probe before/after and the crop ablation. Writes the card's figures block.

  python3 training/v4_card.py --app "v2=training/reports/v4/v2-on-val/metrics.json" \
      --app "v3=training/reports/v4/v3-on-val/metrics.json" --app "v4 (long run, tight)=resources/.../metrics.json" \
      --arm "A tight=training/runs/v4-tight/val-figures.json" ... --probe-json before.json --probe-json after.json \
      --notes training/v4_card_notes.md --out training/reports/v4/comparison.md [--card resources/models/X/MODEL_CARD.md]

`--app` rows are the app's own `covidnet evaluate --probe` (every figure); `--arm` rows are training/v4_figures.py on
the cached crops (no probes, uncalibrated); the table says which is which.
"""
from __future__ import annotations

import argparse
import json
import sys

NIH = "nih-chestxray14"
COHEN = "cohen-covid-chestxray-dataset"
HANNOVER = "hannover-mhh-covid-19-image-repository"


def f3(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def signed(v) -> str:
    return "–" if v is None else f"{v:+.3f}"


def app_row(name: str, m: dict) -> dict:
    covid = m["per_class"]["COVID-19"]
    ws = m["within_source"]
    within = [v for v in (ws["nih_normal_vs_pneumonia_auc"], ws["cohen_covid_vs_other_auc"]) if v is not None]
    probes = {k: v["mean_delta_p_covid"] for k, v in (m.get("probe") or {}).items() if k != "hflip_control"}
    worst_probe = max(probes.items(), key=lambda kv: kv[1]) if probes else None
    cal = m["calibration"]
    per_source = cal.get("per_source") or {}
    return {"name": name, "kind": "app", "accuracy": m["accuracy"], "covid_auc": covid["auc"],
            "sens": covid["sensitivity"], "ppv": covid["ppv"], "nih": ws["nih_normal_vs_pneumonia_auc"],
            "cohen": ws["cohen_covid_vs_other_auc"], "worst": min(within) if within else None,
            "probe": worst_probe, "probes": probes, "ece": cal["ece"], "temperature": cal.get("temperature"),
            "ece_src": {s: per_source.get(s, {}).get("ece") for s in (NIH, COHEN, HANNOVER)},
            "heatmap": (m.get("heatmap_in_lungs") or {}).get("mean"), "per_source": per_source}


def arm_row(name: str, r: dict) -> dict:
    return {"name": name, "kind": "python", "accuracy": r["accuracy"], "covid_auc": r["covid_auc"], "sens": None,
            "ppv": None, "nih": r["nih_normal_vs_pneumonia_auc"], "cohen": r["cohen_covid_vs_other_auc"],
            "worst": r["selecting_figure"], "probe": None, "probes": {}, "ece": r["ece"], "temperature": None,
            "ece_src": {s: r["per_source"].get(s, {}).get("ece") for s in (NIH, COHEN, HANNOVER)}, "heatmap": None,
            "per_source": r["per_source"]}


def table(rows: list[dict]) -> list[str]:
    out = ["| model (how measured) | accuracy | COVID-19 AUC / sens. / PPV | NIH normal vs pneumonia AUC (n=162) | "
           "Cohen COVID-19 vs other AUC (n=80) | **worst within-source** (selects) | largest probe rise | "
           "ECE all / NIH / Cohen / Hannover | heatmap in lungs |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        probe = "–" if r["probe"] is None else f"{signed(r['probe'][1])} ({r['probe'][0]})"
        out.append(f"| {r['name']} ({'app `evaluate --probe`' if r['kind'] == 'app' else 'Python, cached crops, T=1'}) "
                   f"| {f3(r['accuracy'])} | {f3(r['covid_auc'])} / {f3(r['sens'])} / {f3(r['ppv'])} | {f3(r['nih'])} "
                   f"| {f3(r['cohen'])} | **{f3(r['worst'])}** | {probe} | {f3(r['ece'])} / "
                   f"{' / '.join(f3(r['ece_src'][s]) for s in (NIH, COHEN, HANNOVER))} | {f3(r['heatmap'])} |")
    return out


def probe_table(rows: list[dict]) -> list[str]:
    app = [r for r in rows if r["kind"] == "app"]
    names = sorted({k for r in app for k in r["probes"]})
    out = ["| probe (mean change in P(COVID-19) of normal/pneumonia films) | " + " | ".join(r["name"] for r in app) + " |",
           "|---|" + "---|" * len(app)]
    for k in names:
        out.append(f"| `{k}` | " + " | ".join(signed(r["probes"].get(k)) for r in app) + " |")
    return out


def source_table(rows: list[dict]) -> list[str]:
    out = ["| model | source | n | accuracy | ECE | mean confidence |", "|---|---|---|---|---|---|"]
    for r in rows:
        for s, f in sorted(r["per_source"].items()):
            if f.get("ece") is None and "n" not in f:
                continue
            out.append(f"| {r['name']} | {s} | {f.get('n')} | {f3(f.get('accuracy'))} | {f3(f.get('ece'))} | "
                       f"{f3(f.get('mean_confidence'))} |")
    return out


def source_probe_table(paths: list[str]) -> list[str]:
    out = ["| features | films | label | sources (films) | balanced accuracy | chance |", "|---|---|---|---|---|---|"]
    for p in paths:
        with open(p, encoding="utf-8") as f:
            r = json.load(f)
        for label, v in r["probe"].items():
            srcs = ", ".join(f"{s.split('-')[0]} {n}" for s, n in v["sources"].items())
            out.append(f"| {r['model']} ({r['crop']}) | {r.get('films', 'calib + val_v3')} | {label} | {srcs} | "
                       f"{v['balanced_accuracy']:.3f} | {v['chance']:.3f} |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", action="append", default=[], help="NAME=metrics.json (the app's evaluate --probe)")
    ap.add_argument("--arm", action="append", default=[], help="NAME=val-figures.json (training/v4_figures.py)")
    ap.add_argument("--probe-json", action="append", default=[])
    ap.add_argument("--notes", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--card", default=None, help="append the block to this MODEL_CARD.md")
    args = ap.parse_args(argv)
    rows = []
    for spec in args.app:
        name, path = spec.split("=", 1)
        with open(path, encoding="utf-8") as f:
            rows.append(app_row(name, json.load(f)))
    for spec in args.arm:
        name, path = spec.split("=", 1)
        with open(path, encoding="utf-8") as f:
            rows.append(arm_row(name, json.load(f)))
    lines = ["## v4 comparison on the validation split (training/splits/v4/val.csv, 280 films, v2's val.csv)", "",
             "Validation chose among the arms (training/PROTOCOL.md), so its figures are not independent; the",
             "held-out films (not in this repository) are. Research and triage support only, not a diagnosis.", "",
             *table(rows), "", "### Every probe", "", *probe_table(rows), "", "### Per source", "",
             *source_table(rows), ""]
    if args.probe_json:
        lines += ["### Source probe (can pooled features tell a film's source within its label? lower is better)", "",
                  *source_probe_table(args.probe_json), ""]
    if args.notes:
        with open(args.notes, encoding="utf-8") as f:
            lines += [f.read().rstrip(), ""]
    text = "\n".join(lines)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    if args.card:  # the card's hand-written head is kept; everything from the comparison heading is rewritten
        with open(args.card, encoding="utf-8") as f:
            head = f.read().split(lines[0])[0].rstrip()
        with open(args.card, "w", encoding="utf-8") as f:
            f.write(head + "\n\n" + text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
