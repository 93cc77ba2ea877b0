"""Patient-level, stratified train/validation split of the shared developer manifest.

Every patient_id (merged ids joined with '+' are single ids) goes wholly to one side. Groups are
stratified by (primary label, source): primary label = COVID-19 if the patient has any COVID-19
image, else pneumonia if any, else normal. Within each stratum the sorted ids are shuffled with a
fixed seed and the first round(frac * n) go to validation.

  python3 training/split.py  [--manifest ../shared/data/cxr/manifest.csv] [--out training/splits]
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import sys
from collections import defaultdict

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MANIFEST = os.path.join(REPO_ROOT, "..", "shared", "data", "cxr", "manifest.csv")
DEFAULT_OUT = os.path.join(REPO_ROOT, "training", "splits")
LABELS = ["normal", "pneumonia", "COVID-19"]
SEED = 20260
VAL_FRACTION = 0.2


def read_manifest(path: str) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def primary_label(labels: set[str]) -> str:
    for lab in ("COVID-19", "pneumonia", "normal"):
        if lab in labels:
            return lab
    raise ValueError(f"unknown labels {labels}")


def patient_strata(rows: list[dict]) -> dict[str, tuple[str, str]]:
    """patient_id -> (primary label, source). A patient spanning sources uses its most common one."""
    labels: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        labels[r["patient_id"]].add(r["label"])
        sources[r["patient_id"]][r["source"]] += 1
    return {
        pid: (primary_label(labels[pid]), sorted(sources[pid].items(), key=lambda kv: (-kv[1], kv[0]))[0][0])
        for pid in labels
    }


def split_patients(rows: list[dict], val_fraction: float = VAL_FRACTION, seed: int = SEED) -> set[str]:
    """Return the set of validation patient ids."""
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pid, key in patient_strata(rows).items():
        strata[key].append(pid)
    rng = random.Random(seed)
    val: set[str] = set()
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        val.update(ids[: int(round(val_fraction * len(ids)))])
    return val


def relocate(file_field: str, manifest_dir: str, out_dir: str) -> str:
    """Rewrite a manifest-relative path so it is relative to the output CSV's folder (posix)."""
    rel = os.path.relpath(os.path.join(manifest_dir, file_field), out_dir)
    return rel.replace(os.sep, "/")


def write_csv(path: str, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def make_split(manifest: str, out_dir: str, val_fraction: float = VAL_FRACTION, seed: int = SEED) -> tuple[list[dict], list[dict]]:
    fields, rows = read_manifest(manifest)
    val_ids = split_patients(rows, val_fraction, seed)
    # Paths in the CSVs are relative to the CSV's folder; compute them from the logical
    # (non-symlink-resolved) locations so the repo-relative `../../../shared/...` form results.
    manifest_dir = os.path.dirname(os.path.abspath(manifest))
    out_abs = os.path.abspath(out_dir)
    os.makedirs(out_abs, exist_ok=True)
    train, val = [], []
    for r in rows:
        r2 = dict(r)
        r2["file"] = relocate(r["file"], manifest_dir, out_abs)
        (val if r["patient_id"] in val_ids else train).append(r2)
    write_csv(os.path.join(out_abs, "train.csv"), fields, train)
    write_csv(os.path.join(out_abs, "val.csv"), fields, val)
    return train, val


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", default=DEFAULT_MANIFEST)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--val-fraction", type=float, default=VAL_FRACTION)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    train, val = make_split(args.manifest, args.out, args.val_fraction, args.seed)
    for name, part in (("train", train), ("val", val)):
        counts = defaultdict(int)
        for r in part:
            counts[r["label"]] += 1
        pats = len({r["patient_id"] for r in part})
        print(f"{name}: {len(part)} images, {pats} patients, " + ", ".join(f"{k} {counts[k]}" for k in LABELS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
