"""Fills the model card's app-evaluation block from the app's own `evaluate --probe` outputs.

  python3 training/card_evaluation.py --card resources/models/<id>/MODEL_CARD.md \
      --after resources/models/<id>/evaluation/metrics.json \
      --before training/reports/phase2-before-framing/metrics.json

`--after` is the shipped model; `--before` the model before the framing measures (phase 2).
"""
from __future__ import annotations

import argparse
import json
import sys

from model_card import EVALUATE_BEGIN, EVALUATE_END

COMMAND = ("npm run covidnet -- evaluate --manifest training/splits/val.csv "
           "--out resources/models/covidnet-cxr-compact-v1/evaluation --probe")
TRANSFORMS = ["crop_aspect_3x4", "crop_aspect_4x3", "black_border", "downscale_recompress", "hflip_control"]


def pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def block(before: dict, after: dict) -> str:
    rows = []
    add = rows.append
    add(f"Produced by the app itself (TypeScript preprocessing + onnxruntime-node), on the validation split: `{COMMAND}`. "
        "Full report with ROC and confusion matrix: `evaluation/report.md` beside this card.\n")
    add("| | before framing measures (phase 2) | shipped model (phase 3) | no-anatomy baseline |")
    add("|---|---|---|---|")
    b, a, s = before, after, after.get("shortcut_baseline", {})
    add(f"| accuracy | {pct(b['accuracy'])} | {pct(a['accuracy'])} | {pct(s.get('accuracy'))} |")
    for label in a["classes"]:
        bs = s.get("per_class", {}).get(label, {})
        add(f"| {label} sensitivity / PPV | {pct(b['per_class'][label]['sensitivity'])} / {pct(b['per_class'][label]['ppv'])} | "
            f"{pct(a['per_class'][label]['sensitivity'])} / {pct(a['per_class'][label]['ppv'])} | "
            f"{pct(bs.get('sensitivity'))} / {pct(bs.get('ppv'))} |")
    add(f"| COVID-19 AUC | {b['per_class']['COVID-19']['auc']:.3f} | {a['per_class']['COVID-19']['auc']:.3f} | "
        f"{s.get('covid_auc', float('nan')):.3f} |")
    add(f"| names the source | - | - | {pct(s.get('source_accuracy'))} |\n")
    add("Framing probe (normal and pneumonia validation images; mean change in P(COVID-19), labels changed):\n")
    add("| change | before (phase 2) | shipped (phase 3) |")
    add("|---|---|---|")
    for t in TRANSFORMS:
        pb, pa = before["probe"][t], after["probe"][t]
        add(f"| {t} | {pb['mean_delta_p_covid']:+.3f} ({pb['label_changes']}/{pb['n']}) | "
            f"{pa['mean_delta_p_covid']:+.3f} ({pa['label_changes']}/{pa['n']}) |")
    worst = max(after["probe"][t]["mean_delta_p_covid"] for t in TRANSFORMS if t != "hflip_control")
    beats = a["accuracy"] > s.get("accuracy", 1) and a["per_class"]["COVID-19"]["auc"] > s.get("covid_auc", 1)
    cov = a["per_class"]["COVID-19"]
    add("")
    add("In plain words: " + (
        "the shipped model beats the no-anatomy baseline on accuracy and COVID-19 AUC. " if beats else
        "**the shipped model does NOT beat a classifier that never looks at the lungs** (accuracy and/or COVID-19 AUC): "
        "on this data, framing and file properties alone separate the sources, and the sources separate the labels. "
    ) + (f"Its largest framing-probe rise in P(COVID-19) is {worst:+.3f} "
         + ("(within the project's 0.05 limit). " if worst <= 0.05 else "(**above** the project's 0.05 limit). "))
        + f"COVID-19 sensitivity {pct(cov['sensitivity'])} and PPV {pct(cov['ppv'])} "
        + ("meet" if cov["sensitivity"] >= 0.8 and cov["ppv"] >= 0.8 else "do **not** meet")
        + " the paper's 80% / 80% design requirement.")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--card", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--before", required=True)
    args = ap.parse_args(argv)
    with open(args.after, encoding="utf-8") as f:
        after = json.load(f)
    with open(args.before, encoding="utf-8") as f:
        before = json.load(f)
    with open(args.card, encoding="utf-8") as f:
        card = f.read()
    start, end = card.index(EVALUATE_BEGIN) + len(EVALUATE_BEGIN), card.index(EVALUATE_END)
    card = card[:start] + "\n" + block(before, after) + "\n" + card[end:]
    with open(args.card, "w", encoding="utf-8") as f:
        f.write(card)
    print(f"updated {args.card}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
