"""The v3 split: the v2 split of the developer set, unchanged, plus group-level parts of cxr-extra.

  python3 training/split_v3.py   (after training/split.py; writes training/splits/{train_v3,calib,val_v3}.csv)

- v2's validation patients stay in validation (v2 and v3 are compared on the same films), plus 5% of
  the cxr-extra groups (stratified by source and label) -- held-out groups of the new sources.
- `calib.csv`: a calibration part of the TRAINING patients/groups (10% of v2's training patients,
  4% of the remaining extra groups), never trained on; temperature, feature statistics and the
  verdict margin are fitted there, never on validation.
- Split by `group_id` (cxr-extra: one RSNA patient, masked and unmasked twin together; c19rdb: the
  file) and `patient_id` (developer set). Every CSV has both columns (equal for the developer set).
- `abnormal_other` (RSNA "not normal, no opacity") films stay in training only, unlabelled for the
  three classes (soft targets in distillation); they are left out of calibration and validation.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split import DEFAULT_OUT, REPO_ROOT, read_manifest, relocate, write_csv  # noqa: E402

EXTRA_MANIFEST = os.path.join(REPO_ROOT, "..", "shared", "data", "cxr-extra", "manifest.csv")
FIELDS = ["file", "label", "patient_id", "group_id", "source", "masked"]
SEED = 20261
EXTRA_VAL_FRACTION = 0.05
CALIB_FRACTION_DEV = 0.10
CALIB_FRACTION_EXTRA = 0.04
THREE_CLASSES = ("normal", "pneumonia", "COVID-19")


def pick_groups(groups: dict[str, tuple[str, str]], fraction: float, rng: random.Random) -> set[str]:
    """Stratified by the group's (source, label) key: round(fraction * n) groups of each stratum."""
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for gid, key in groups.items():
        strata[key].append(gid)
    chosen: set[str] = set()
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        chosen.update(ids[: int(round(fraction * len(ids)))])
    return chosen


def group_keys(rows: list[dict], id_field: str) -> dict[str, tuple[str, str]]:
    """group -> (source, label) of its first row in sorted order (pairs share source and label groups)."""
    keys: dict[str, tuple[str, str]] = {}
    for r in sorted(rows, key=lambda r: r["file"]):
        keys.setdefault(r[id_field], (r["source"], r["label"]))
    return keys


def make_v3_split(out_dir: str, extra_manifest: str = EXTRA_MANIFEST, seed: int = SEED) -> dict[str, list[dict]]:
    out_abs = os.path.abspath(out_dir)
    _, dev_train = read_manifest(os.path.join(out_abs, "train.csv"))
    _, dev_val = read_manifest(os.path.join(out_abs, "val.csv"))
    _, extra = read_manifest(extra_manifest)
    extra_dir = os.path.dirname(os.path.abspath(extra_manifest))
    rng = random.Random(seed)

    def dev_row(r: dict) -> dict:
        return {"file": r["file"], "label": r["label"], "patient_id": r["patient_id"],
                "group_id": r["patient_id"], "source": r["source"], "masked": "0"}

    def extra_row(r: dict) -> dict:
        return {"file": relocate(r["file"], extra_dir, out_abs), "label": r["label"], "patient_id": r["group_id"],
                "group_id": r["group_id"], "source": r["source"], "masked": r["masked"]}

    labelled_extra = [r for r in extra if r["label"] in THREE_CLASSES]
    extra_val = pick_groups(group_keys(labelled_extra, "group_id"), EXTRA_VAL_FRACTION, rng)
    # A group with a three-class film in validation takes all its films there.
    remaining = [r for r in labelled_extra if r["group_id"] not in extra_val]
    extra_calib = pick_groups(group_keys(remaining, "group_id"), CALIB_FRACTION_EXTRA, rng)
    dev_calib = pick_groups(group_keys(dev_train, "patient_id"), CALIB_FRACTION_DEV, rng)

    parts: dict[str, list[dict]] = {"train_v3": [], "calib": [], "val_v3": []}
    for r in dev_train:
        parts["calib" if r["patient_id"] in dev_calib else "train_v3"].append(dev_row(r))
    parts["val_v3"].extend(dev_row(r) for r in dev_val)
    for r in extra:
        gid = r["group_id"]
        if gid in extra_val:
            if r["label"] in THREE_CLASSES:
                parts["val_v3"].append(extra_row(r))
        elif gid in extra_calib:
            if r["label"] in THREE_CLASSES:
                parts["calib"].append(extra_row(r))
        else:
            parts["train_v3"].append(extra_row(r))
    for name, rows in parts.items():
        write_csv(os.path.join(out_abs, f"{name}.csv"), FIELDS, rows)
    return parts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--extra-manifest", default=EXTRA_MANIFEST)
    args = ap.parse_args(argv)
    parts = make_v3_split(args.out, args.extra_manifest)
    for name, rows in parts.items():
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for r in rows:
            counts[(r["source"], r["label"])] += 1
        print(f"{name}: {len(rows)} images, {len({r['group_id'] for r in rows})} groups")
        for key in sorted(counts):
            print(f"  {key[0]:40s} {key[1]:15s} {counts[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
