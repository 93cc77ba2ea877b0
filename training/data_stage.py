"""Data stage: write a model's split CSVs (train / calib / val) from either the repository's split files or a
`covidnet dataset build` manifest.

  python3 training/data_stage.py --config training/configs/v4.json
  python3 training/data_stage.py --config training/configs/v4.json --manifest path/to/manifest.csv

From split files (config `data.from_splits`: part -> existing split CSV): each part keeps the rows whose source
is in `data.sources` (all when absent). From a manifest (columns file,label,patient_id,group_id,source,view,
split,licence,original_path; `file` may be absolute): the same source filter, rows by their `split`, which
`covidnet dataset build` names train / val / test by default: train -> train, val -> calib, test -> val; with
`--part-names train,calib,val` they are taken as they are.
Paths are rewritten relative to the output folder, so `covidnet evaluate --manifest <out>/val.csv` finds
the images. Patients never cross parts (checked; an error names the first shared patient).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import read_split  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.abspath(__file__))
PARTS = ("train", "calib", "val")
COLUMNS = ("file", "label", "patient_id", "group_id", "source")


def read_rows(csv_path: str) -> list[dict]:
    """read_split's rows (absolute `path`), with `group_id` falling back to the patient."""
    rows = read_split(csv_path)
    for r in rows:
        r["group_id"] = r.get("group_id") or r["patient_id"]
    return rows


# `covidnet dataset build` names its parts train / val (tuning, calibration) / test (held out) by default: its
# `val` is our calibration part and its `test` our validation. Built with `--part-names train,calib,val` the
# names are already ours. Which naming a manifest uses is told by its values (`calib` vs `test`).
BUILD_PARTS = {"train": "train", "val": "calib", "test": "val"}
OUR_PARTS = {p: p for p in PARTS}


def parts_from_manifest(manifest: str) -> dict[str, list[dict]]:
    rows = read_rows(manifest)
    missing = [c for c in ("file", "label", "patient_id", "source", "split") if c not in rows[0]] if rows else ["file"]
    if missing:
        raise SystemExit(f"{manifest}: missing column(s) {', '.join(missing)}")
    values = {r["split"] for r in rows} - {""}
    if "calib" in values and "test" in values:
        raise SystemExit(f"{manifest}: split values mix both namings (calib and test): {', '.join(sorted(values))}")
    naming = OUR_PARTS if "calib" in values else BUILD_PARTS
    unknown = sorted(values - set(naming))
    if unknown:
        raise SystemExit(f"{manifest}: unknown split value(s) {', '.join(unknown)} (expected {', '.join(naming)})")
    return {p: [r for r in rows if naming.get(r["split"]) == p] for p in PARTS}


def build(config: dict, manifest: str | None, out_dir: str) -> dict[str, int]:
    data = config["data"]
    if manifest:
        parts = parts_from_manifest(manifest)
    else:
        parts = {p: read_rows(os.path.join(TRAINING_DIR, data["from_splits"][p])) for p in PARTS}
    keep = set(data.get("sources") or [])
    if keep:
        parts = {p: [r for r in rows if r["source"] in keep] for p, rows in parts.items()}
    seen: dict[str, str] = {}
    for p, rows in parts.items():
        for r in rows:
            for pid in (r["patient_id"], r["group_id"]):
                if seen.setdefault(pid, p) != p:
                    raise SystemExit(f"patient/group {pid} is in both {seen[pid]} and {p}")
    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for p, rows in parts.items():
        with open(os.path.join(out_dir, f"{p}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([os.path.relpath(r["path"], out_dir)] + [r[c] for c in COLUMNS[1:]])
        counts[p] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--manifest", default=None, help="a `covidnet dataset build` manifest.csv with a split column")
    ap.add_argument("--out", default=None, help="default: the config's data.out")
    args = ap.parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    out = args.out or os.path.join(TRAINING_DIR, config["data"]["out"])
    print(json.dumps(build(config, args.manifest, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
