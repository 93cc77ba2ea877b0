"""Model cards of the lung pipeline, from the app's own evaluation (`covidnet evaluate --probe`).

  python3 training/lungs_card.py --v1 resources/models/covidnet-cxr-compact-v1/evaluation/metrics.json \
      --v2 resources/models/covidnet-cxr-lungs-v2/evaluation/metrics.json

Writes resources/models/covidnet-cxr-lungs-v2/MODEL_CARD.md and resources/models/lungseg-unet-v1/MODEL_CARD.md.
"""
from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict

import numpy as np

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TRAINING_DIR)
V2_DIR = os.path.join(REPO, "resources", "models", "covidnet-cxr-lungs-v2")
SEG_DIR = os.path.join(REPO, "resources", "models", "lungseg-unet-v1")
NOTICE = ("**For research and triage support only. Not a diagnostic device.** Every result must be reviewed by a "
          "qualified reader.")


def f(v, pct=False) -> str:
    if v is None:
        return "n/a"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def cls(m: dict, label: str, key: str):
    return m.get("per_class", {}).get(label, {}).get(key)


def probe_max(m: dict):
    vals = [p["mean_delta_p_covid"] for k, p in (m.get("probe") or {}).items()
            if k != "hflip_control" and p.get("mean_delta_p_covid") is not None]
    return max(vals) if vals else None


def comparison(v1: dict, v2: dict) -> str:
    rows = [
        ("images scored", v1["n_images"], v2["n_images"]),
        ("turned away by the chest gate", v1.get("gate", {}).get("rejected", "n/a (no gate)"), v2["gate"]["rejected"]),
        ("accuracy", f(v1["accuracy"], True), f(v2["accuracy"], True)),
        ("COVID-19 sensitivity", f(cls(v1, "COVID-19", "sensitivity"), True), f(cls(v2, "COVID-19", "sensitivity"), True)),
        ("COVID-19 PPV", f(cls(v1, "COVID-19", "ppv"), True), f(cls(v2, "COVID-19", "ppv"), True)),
        ("COVID-19 AUC", f(cls(v1, "COVID-19", "auc")), f(cls(v2, "COVID-19", "auc"))),
        ("pneumonia AUC", f(cls(v1, "pneumonia", "auc")), f(cls(v2, "pneumonia", "auc"))),
        ("NIH normal vs pneumonia AUC (within source)",
         f(v1.get("within_source", {}).get("nih_normal_vs_pneumonia_auc")),
         f(v2["within_source"]["nih_normal_vs_pneumonia_auc"])),
        ("Cohen COVID-19 vs other AUC (within source)",
         f(v1.get("within_source", {}).get("cohen_covid_vs_other_auc")),
         f(v2["within_source"]["cohen_covid_vs_other_auc"])),
        ("largest framing-probe rise in P(COVID-19)", f(probe_max(v1)), f(probe_max(v2))),
        ("lungs_out: COVID-19 AUC", "n/a (no segmenter)", f((v2.get("lungs_out") or {}).get("covid_auc"))),
        ("lungs_out: NIH normal vs pneumonia AUC", "n/a", f((v2.get("lungs_out") or {}).get("nih_normal_vs_pneumonia_auc"))),
        ("heatmap_in_lungs", "n/a", f((v2.get("heatmap_in_lungs") or {}).get("mean"))),
        ("no-anatomy shortcut baseline: COVID-19 AUC", f((v1.get("shortcut_baseline") or {}).get("covid_auc")),
         f((v2.get("shortcut_baseline") or {}).get("covid_auc"))),
    ]
    out = ["| on training/splits/val.csv (patient-disjoint) | v1 compact (whole film) | v2 lung crops |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(out)


def probes_text(v2: dict) -> str:
    lo, hm, ws = v2.get("lungs_out") or {}, v2.get("heatmap_in_lungs") or {}, v2["within_source"]
    cov_auc = cls(v2, "COVID-19", "auc")
    lines = [
        f"- **Lungs filled (`lungs_out`)**: with the lung fields painted over with the median gray outside them, the "
        f"COVID-19 AUC goes from {f(cov_auc)} to {f(lo.get('covid_auc'))}, NIH normal-vs-pneumonia from "
        f"{f(ws['nih_normal_vs_pneumonia_auc'])} to {f(lo.get('nih_normal_vs_pneumonia_auc'))} (n={lo.get('n')}). "
        "This model only sees the lung fields and a thin rim around them (everything further out is mid-gray), so "
        "what skill is left with the lungs filled comes from the outline of the mask and that rim: the size and shape "
        "of the segmented lungs (which opacities change) and the mediastinal and diaphragm edges. It shows that the "
        "model needs the lungs; it does not show that it reads the right lung features.",
        f"- **Heatmap in the lungs**: on average {f(hm.get('mean'), True)} of the positive class-activation evidence "
        f"for the predicted class lies inside the lung mask (n={hm.get('n')}).",
        f"- **Within one source** (where the label is not given away by the hospital): NIH normal vs pneumonia AUC "
        f"{f(ws['nih_normal_vs_pneumonia_auc'])} (n={ws['nih_n']}); Cohen COVID-19 vs other AUC "
        f"{f(ws['cohen_covid_vs_other_auc'])} (n={ws['cohen_n']}).",
        f"- **Framing**: largest mean rise in P(COVID-19) of non-COVID films under a reframing (4:3 / 3:4 crops, black "
        f"border, downscale + JPEG): {f(probe_max(v2))}.",
    ]
    return "\n".join(lines)


def v2_card(v1: dict, v2: dict, manifest: dict, history: dict) -> str:
    crop = manifest["input"]["crop"]
    segm = v2.get("segmenter") or {}
    return f"""# {manifest['name']} — model card

{NOTICE}

- id `{manifest['id']}`, version {manifest['version']}; ONNX opset {manifest['opset']}; input {manifest['input']['height']}x{manifest['input']['width']} gray, NCHW.
- Pipeline: lung segmenter [`{manifest['pipeline']['segmenter']}`](../{manifest['pipeline']['segmenter']}/MODEL_CARD.md) -> chest gate -> crop -> this classifier, in the app's inference worker.
- Crop (`lung-box-square`, defined bit for bit in `src/shared/model-manifest.ts`, parity-tested against `training/lung_crop.py`): square around the lung box with margin {crop['margin']}, resized (`area`), and every pixel more than {crop['outsideLungs']['dilation']} px (model grid) outside the lung fields set to gray {crop['fill']}.
- Architecture: COVID-Net PEPX (compact config), GAP + linear head, in-graph class-activation maps; {manifest['provenance']['architecture']['params']:,} parameters, {manifest['provenance']['architecture']['macs'] / 1e9:.3f} GMACs.
- Labels: {', '.join(manifest['labels'])}. Thresholds 0.5 for every class, **not tuned** (the only labelled data left to tune them on is the split reported below); the label is the argmax.
- Trained from scratch on CPU by `training/train_lungs.py`: {history.get('hparams', {}).get('epochs')} epochs, Adam, cosine decay from {history.get('hparams', {}).get('lr')}, batch 24 with 8 images per class, label smoothing 0.05, BatchNorm statistics re-estimated on clean crops each epoch. A second loss term (weight {history.get('hparams', {}).get('cam_neutral')}) keeps the class-activation map equal for every class over cells whose input is all fill, because the model sees nothing there. **The last epoch is kept**; no checkpoint was chosen on the validation split. Training time here: {history.get('trainSeconds', 0) / 60:.0f} min (2 shared CPU cores).
- **How the recipe was arrived at, honestly:** a first run (24 epochs, fixed mask dilation 8, no CAM loss) gave on this validation split COVID-19 sensitivity/PPV 72.9%/73.7%, framing rise 0.054, `lungs_out` NIH AUC 0.718 and `heatmap_in_lungs` 0.449. Having seen those, the recipe was changed (random mask dilation 4-14 px so the mask outline is no cue, the CAM-neutral loss, film crops more often, 28 epochs): run 2 (CAM-neutral weight 0.2) gave sensitivity/PPV 74.0%/74.7%, framing 0.050, `lungs_out` NIH 0.573, `heatmap_in_lungs` 0.552; run 3 (weight 1.0, the bundled one) is reported below. Choosing run 3 over runs 1 and 2 was done on this split, so the figures below are not an independent test; the project's hidden patient-disjoint set is.
- Framing randomisation reaching the lung box: film crops of random aspect (probability 0.65, 50-100% of the area, may cut the lungs; the mask is cut with the film), borders, downscale + JPEG recompression, jitter of every lung-box edge (+-8%), of the margin (0-0.14) and of the mask dilation (4-14 px), rotation, zoom, flips, gamma, contrast, brightness, noise.
- Data: the shared developer set, training split (`training/splits/train.csv`, by patient); images and licences as in the v1 card. Only the weights ship.

## Evaluation (the app's own `covidnet evaluate --probe`, validation split)

Command: `npm run covidnet -- evaluate --manifest training/splits/val.csv --out resources/models/covidnet-cxr-lungs-v2/evaluation --probe --lung-masks training/splits/lungs_val.csv`

{comparison(v1, v2)}

Segmenter on the validation masks, through the app: Dice {f(segm.get('dice'))}, IoU {f(segm.get('iou'))} (n={segm.get('n')}).

### What the probes say, in plain words

{probes_text(v2)}

## What still looks like a shortcut

- A classifier that never looks at a lung (the no-anatomy baseline: image size, borders, intensity histogram, file size) still reaches a COVID-19 AUC of {f((v2.get('shortcut_baseline') or {}).get('covid_auc'))} on this split, above this model's {f(cls(v2, 'COVID-19', 'auc'))}: on these sources, the label is easier to read from the framing than from the lungs, and this model does not beat that baseline. Read its accuracy as skill in reading lungs only where the within-source figures support it.
- The labels follow the sources: normal and pneumonia are mostly NIH, COVID-19 is Cohen/Hannover/Figure1/Actualmed. Inside the lung fields a model can still read source cues (exposure, noise, JPEG history, processing, resolution). The within-source AUCs above are the honest measure of skill; the Cohen COVID-19 vs other-pneumonia figure is the closest to the clinical question and is small-sample.
- The outline of the lung mask is visible to the model (the gray fill follows it). The segmenter was trained only on COVID-19 films (Cohen, Hannover); its mask shape on NIH films may differ systematically (see its card) and so could carry the source.
- A film the gate turns away is not scored (see `gate` in metrics.json); figures above exclude them.
- Validated only on patient-disjoint images of the same sources; not on another hospital, not prospectively.
"""


def quantiles(values):
    v = np.asarray(values, dtype=float)
    return " / ".join(f"{q:.2f}" for q in np.quantile(v, [0.05, 0.5, 0.95]))


def seg_card(manifest: dict, v2: dict) -> str:
    prov = manifest["provenance"]
    val = prov.get("trainingValidation") or {}
    measures = [m for m in json.load(open(os.path.join(TRAINING_DIR, "reports", "lung-measures-cxr.json")))
                if "error" not in m]
    gate = json.load(open(os.path.join(TRAINING_DIR, "reports", "gate-acceptance.json")))
    by_source = defaultdict(list)
    for m in measures:
        by_source[m["source"]].append(m)
    dist = ["| source | n | lung fraction (5/50/95%) | smaller/larger lung | box height/width | mean P(lung) |",
            "|---|---|---|---|---|---|"]
    for s, ms in sorted(by_source.items()):
        dist.append(f"| {s} | {len(ms)} | {quantiles([m['lungFraction'] for m in ms])} | "
                    f"{quantiles([m['areaRatio'] for m in ms])} | {quantiles([m['boxAspect'] for m in ms])} | "
                    f"{quantiles([m['meanProbability'] for m in ms])} |")
    acc = ["| group | accepted | n |", "|---|---|---|"]
    acc += [f"| {k} | {v['accepted']} | {v['n']} |" for k, v in gate["acceptance"].items()]
    app = v2.get("segmenter") or {}
    per = "\n".join(f"| {s} | {d['n']} | {d['dice']:.3f} | {d['iou']:.3f} |" for s, d in sorted((val.get("perSource") or {}).items()))
    app_per = "\n".join(f"| {s} | {d['n']} | {d['dice']:.3f} | {d['iou']:.3f} |" for s, d in sorted((app.get("per_source") or {}).items()))
    rejected = ", ".join(f"`{r['file']}` ({r['why']})" for r in gate["rejectedChestFilms"]) or "none"
    return f"""# {manifest['name']} — model card

{NOTICE}

- id `{manifest['id']}` ({manifest['kind']}), version {manifest['version']}; input: the whole film, gray, `area`-resized to 256x256; output P(lung) per cell.
- U-Net, {prov['architecture']['params']:,} parameters (stride-2 stem, widths 16/32/64/128, bottleneck 160, bilinear upsampling), trained from scratch by `training/segmenter.py` on CPU: Adam, BCE + soft Dice, cosine decay, {prov['epochs']} epochs, last epoch kept. Augmentation: framing crops, borders, rotation, zoom, flips, gamma/contrast/brightness, blur, noise, and random "white-out" of the lungs so dense opacities still segment.
- Post-processing (TypeScript, `src/main/platform/inference/lungs/postprocess.ts`): threshold {manifest['postprocess']['threshold']}, keep the two largest components above {manifest['postprocess']['minComponentFraction'] * 100:.1f}% of the grid, split a region spanning both lungs at the mediastinum, fill holes.
- Data: 339 human-drawn lung masks (V7 Labs, CC BY 4.0) on shared Cohen and Hannover COVID-19 films; split by patient consistently with the classifier (a mask whose patient is in `training/splits/val.csv` is a validation mask). **Every mask is a COVID-19 film**: no NIH, normal or non-COVID pneumonia film has a mask.
- Bundled training run: 17 epochs under a 40-epoch cosine schedule, then resumed with the schedule shortened to 24 epochs (session time); `training/reproduce.sh` trains 24 epochs in one go.

## Validation masks ({val.get('n')} films, patients disjoint from training)

Raw network output upsampled to the mask size, threshold 0.5 (`training/segmenter.py`): Dice {f(val.get('dice'))}, IoU {f(val.get('iou'))}.

| source | n | Dice | IoU |
|---|---|---|---|
{per}

Through the app (post-processed mask at the image's size, `covidnet evaluate --lung-masks`): Dice {f(app.get('dice'))}, IoU {f(app.get('iou'))} (n={app.get('n')}).

| source | n | Dice | IoU |
|---|---|---|---|
{app_per}

## Outputs on films without masks (all 1,449 shared films, per source)

{chr(10).join(dist)}

Read this table for crop size or shape becoming a source cue: NIH films (no masks in training) get lung fields of similar size and balance to the COVID-19 sources, but not identical.

## Chest gate

Limits (in `model.json` `gate`, chosen by `training/choose_gate.py` on the shared films and the shared non-chest DICOM files): {json.dumps({k: v for k, v in manifest['gate'].items() if k != 'chosenOn'})}. Before them, the header gate turns away non-radiograph modalities, non-chest body parts, lateral/oblique views and localizers.

{chr(10).join(acc)}

Chest films turned away: {rejected}. Every shared non-chest DICOM file (CT, MR, US, NM, extremity CR, cervical-spine DICOMDIR CRs, secondary captures) is turned away (`src/main/platform/inference/lungs/gate-shared-data.test.ts`). The confidence limit (mean P(lung) >= {manifest['gate']['minMeanProbability']}) is what separates the secondary captures; its margin is thin (the lowest chest film is at 0.855, a shared OT capture at 0.862).
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--v1", required=True)
    ap.add_argument("--v2", required=True)
    ap.add_argument("--history", default=os.path.join(TRAINING_DIR, "runs", "lungs-v2", "history.json"))
    args = ap.parse_args()
    v1, v2 = json.load(open(args.v1)), json.load(open(args.v2))
    manifest = json.load(open(os.path.join(V2_DIR, "model.json")))
    history = json.load(open(args.history)) if os.path.exists(args.history) else {}
    with open(os.path.join(V2_DIR, "MODEL_CARD.md"), "w") as fh:
        fh.write(v2_card(v1, v2, manifest, history))
    seg_manifest = json.load(open(os.path.join(SEG_DIR, "model.json")))
    with open(os.path.join(SEG_DIR, "MODEL_CARD.md"), "w") as fh:
        fh.write(seg_card(seg_manifest, v2))
    print("wrote both cards")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
