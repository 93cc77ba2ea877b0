"""COVID-Net v3 comparison table and model card, from the app's own `evaluate --probe` on val_v3.

  python3 training/v3_card.py --row "v2 (bundled before)=resources/models/covidnet-cxr-lungs-v2/evaluation-v3split/metrics.json" \
      --row "(a) PEPX from scratch=training/runs/v3-pepx/evaluation/metrics.json" \
      --row "(b) MobileNetV2, ImageNet start=training/runs/v3-mobilenet/evaluation/metrics.json" \
      --bundled resources/models/covidnet-cxr-lungs-v3 --probes training/reports/v3/source-probe-*.json \
      [--ablation training/reports/v3/ablation.json]

Writes training/reports/v3/comparison.md and <bundled>/MODEL_CARD.md (the table, the targets, the
source probe and ablation, provenance of every initial weight and data source, what still looks like a
shortcut). No figure here is tuned on: thresholds are 0.5, the last step is kept.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.join(TRAINING_DIR, "reports", "v3")

COLUMNS = [
    ("accuracy", lambda m: m["accuracy"], "{:.3f}"),
    ("COVID-19 sens / PPV", lambda m: (m["per_class"]["COVID-19"]["sensitivity"], m["per_class"]["COVID-19"]["ppv"]), "pair"),
    ("COVID-19 AUC", lambda m: m["per_class"]["COVID-19"]["auc"], "{:.3f}"),
    ("NIH N-vs-P AUC", lambda m: m["within_source"]["nih_normal_vs_pneumonia_auc"], "{:.3f}"),
    ("Cohen COVID-vs-other AUC", lambda m: m["within_source"]["cohen_covid_vs_other_auc"], "{:.3f}"),
    ("RSNA (masked) N-vs-P AUC", lambda m: m["within_source"].get("rsna_normal_vs_pneumonia_auc"), "{:.3f}"),
    ("outline-only RSNA N-vs-P AUC", lambda m: (m.get("outline_only") or {}).get("rsna_normal_vs_pneumonia_auc"), "{:.3f}"),
    ("largest framing rise", lambda m: max(v["mean_delta_p_covid"] for k, v in m.get("probe", {}).items()
                                           if k != "flip" and v.get("mean_delta_p_covid") is not None) if m.get("probe") else None, "{:+.3f}"),
    ("lungs_out NIH AUC", lambda m: (m.get("lungs_out") or {}).get("nih_normal_vs_pneumonia_auc"), "{:.3f}"),
    ("lungs_out COVID-19 AUC", lambda m: (m.get("lungs_out") or {}).get("covid_auc"), "{:.3f}"),
    ("heatmap_in_lungs", lambda m: (m.get("heatmap_in_lungs") or {}).get("mean"), "{:.3f}"),
    ("ECE (15 bins)", lambda m: m.get("calibration", {}).get("ece"), "{:.3f}"),
]


def cell(value, fmt: str) -> str:
    if value is None:
        return "-"
    if fmt == "pair":
        return " / ".join("-" if v is None else f"{v:.3f}" for v in value)
    return fmt.format(value)


def table(rows: list[tuple[str, dict]]) -> str:
    head = "| model | n | " + " | ".join(c[0] for c in COLUMNS) + " |"
    sep = "|" + "---|" * (len(COLUMNS) + 2)
    lines = [head, sep]
    for name, m in rows:
        values = []
        for _, get, fmt in COLUMNS:
            try:
                values.append(cell(get(m), fmt))
            except (KeyError, TypeError, ValueError):
                values.append("-")
        lines.append(f"| {name} | {m['n_images']} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def targets(m: dict, v2: dict | None) -> list[tuple[str, str, bool | None]]:
    """(criterion, figure, met) for the issue's acceptance bar."""
    ws, lo = m["within_source"], m.get("lungs_out") or {}
    covid = m["per_class"]["COVID-19"]
    rises = [v["mean_delta_p_covid"] for k, v in (m.get("probe") or {}).items()
             if k != "flip" and v.get("mean_delta_p_covid") is not None]
    out = [
        ("COVID-19 sensitivity >= 0.85", f"{covid['sensitivity']:.3f}", covid["sensitivity"] >= 0.85),
        ("COVID-19 PPV >= 0.85", f"{covid['ppv']:.3f}", covid["ppv"] >= 0.85),
        ("every framing-probe rise <= 0.04", f"{max(rises):+.3f}" if rises else "-", bool(rises) and max(rises) <= 0.04),
        ("NIH normal vs pneumonia AUC >= 0.85", f"{ws['nih_normal_vs_pneumonia_auc']:.3f}", ws["nih_normal_vs_pneumonia_auc"] >= 0.85),
        ("Cohen COVID-19 vs other AUC >= 0.70", f"{ws['cohen_covid_vs_other_auc']:.3f}", ws["cohen_covid_vs_other_auc"] >= 0.70),
        ("lungs_out NIH AUC <= 0.65", cell(lo.get("nih_normal_vs_pneumonia_auc"), "{:.3f}"),
         lo.get("nih_normal_vs_pneumonia_auc") is not None and lo["nih_normal_vs_pneumonia_auc"] <= 0.65),
        ("lungs_out COVID-19 AUC >= 0.10 below unmodified",
         f"{cell(lo.get('covid_auc'), '{:.3f}')} vs {covid['auc']:.3f}",
         lo.get("covid_auc") is not None and lo["covid_auc"] <= covid["auc"] - 0.10),
        ("heatmap_in_lungs >= 0.6", cell((m.get("heatmap_in_lungs") or {}).get("mean"), "{:.3f}"),
         ((m.get("heatmap_in_lungs") or {}).get("mean") or 0) >= 0.6),
        ("ECE <= 0.05", cell(m.get("calibration", {}).get("ece"), "{:.3f}"), (m.get("calibration", {}).get("ece") or 1) <= 0.05),
    ]
    if v2:
        for key in ("nih_normal_vs_pneumonia_auc", "cohen_covid_vs_other_auc", "rsna_normal_vs_pneumonia_auc"):
            a, b = ws.get(key), v2["within_source"].get(key)
            out.append((f"{key} >= v2's", f"{cell(a, '{:.3f}')} vs {cell(b, '{:.3f}')}", a is not None and b is not None and a >= b))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--row", action="append", required=True, help="NAME=metrics.json (first row = v2)")
    ap.add_argument("--bundled", required=True, help="model folder of the bundled v3 (its evaluation/metrics.json)")
    ap.add_argument("--probes", nargs="*", default=[])
    ap.add_argument("--ablation", default=None)
    ap.add_argument("--notes", default=None, help="markdown file with the card's prose (choices, shortcuts, provenance)")
    args = ap.parse_args(argv)
    rows = []
    for spec in args.row:
        name, path = spec.split("=", 1)
        with open(path, encoding="utf-8") as f:
            rows.append((name, json.load(f)))
    with open(os.path.join(args.bundled, "evaluation", "metrics.json"), encoding="utf-8") as f:
        bundled = json.load(f)
    with open(os.path.join(args.bundled, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    rows.append((f"bundled: {manifest['id']}", bundled))
    parts = ["## Validation figures (the app's `evaluate --probe`, training/splits/val_v3.csv)", "",
             "Command: `npm run covidnet -- evaluate --model <folder> --manifest training/splits/val_v3.csv --out <dir> "
             "--probe --lung-masks training/splits/lungs_val.csv`. Thresholds 0.5 (not tuned); last training step kept. "
             "val_v3 = v2's validation patients + 5% held-out groups of the cxr-extra sources.", "", table(rows), "",
             "## Against the issue's bar (bundled model)", "", "| criterion | figure | met |", "|---|---|---|"]
    parts += [f"| {c} | {v} | {'yes' if ok else '**no**'} |" for c, v, ok in targets(bundled, rows[0][1])]
    if args.probes:
        parts += ["", "## Source probe (penultimate features -> source, within one label; lower is better)", "",
                  "`python3 training/source_probe.py`: calibration + validation films, 5-fold CV balanced accuracy of a "
                  "logistic regression on 32 PCA components.", "", "| features | crop | label | sources (n) | balanced accuracy | chance |",
                  "|---|---|---|---|---|---|"]
        for path in args.probes:
            with open(path, encoding="utf-8") as f:
                p = json.load(f)
            for label, r in p["probe"].items():
                srcs = ", ".join(f"{s} ({n})" for s, n in r["sources"].items())
                parts.append(f"| {p['model']} | {p['crop']} | {label} | {srcs} | {r['balanced_accuracy']:.3f} | {r['chance']:.3f} |")
    if args.ablation and os.path.exists(args.ablation):
        with open(args.ablation, encoding="utf-8") as f:
            parts += ["", f.read().strip()]
    body = "\n".join(parts) + "\n"
    os.makedirs(REPORTS, exist_ok=True)
    with open(os.path.join(REPORTS, "comparison.md"), "w", encoding="utf-8") as f:
        f.write(body)
    notes = ""
    if args.notes:
        with open(args.notes, encoding="utf-8") as f:
            notes = f.read().strip() + "\n\n"
    segmenter = manifest.get("pipeline", {}).get("segmenter")
    siblings = (f"The lung segmenter this model needs: [{segmenter}](../{segmenter}/MODEL_CARD.md). "
                if segmenter else "")
    siblings += "The model before it: [covidnet-cxr-lungs-v2](../covidnet-cxr-lungs-v2/MODEL_CARD.md).\n\n"
    card = (f"# {manifest['name']}\n\n**{manifest['intendedUse']}**\n\n{siblings}{notes}{body}\n## Provenance (model.json)\n\n```json\n"
            + json.dumps(manifest["provenance"], indent=2) + "\n```\n")
    with open(os.path.join(args.bundled, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(card)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
