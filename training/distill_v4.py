"""Distil a v4 teacher (training/train_v4.py checkpoint) into a COVID-Net PEPX student (training/model.py compact).

  python3 training/distill_v4.py --teacher training/runs/v4-long/last.pt --steps 400 --out training/runs/v4-student

Every step: the teacher's batch recipe (the same degraded, (source, label)-balanced, augmented films with the
teacher's crop), the teacher's soft targets on every film (temperature TAU, no gradient) and the hard labels:
loss = TAU^2 * KL(teacher_TAU || student_TAU) + HARD_WEIGHT * CE(label), as Hinton et al. 2015. The student reads
one channel with the teacher's crop rule (model.json records the same `lung-box-square`). The last step is kept.
Resumable: <out>/last.pt every CHECKPOINT_STEPS. The student's ONNX export is training/export_v3.py (arm pepx).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet"))
import train_v3 as v3  # noqa: E402
import train_v4 as v4  # noqa: E402

TAU = 3.0
HARD_WEIGHT = 0.3
CHECKPOINT_STEPS = 50


def load_teacher(path: str) -> tuple[torch.nn.Module, dict, str]:
    ck = torch.load(path, map_location="cpu")
    teacher = v3.build_arm(ck["arm"], imagenet=False)
    teacher.load_state_dict(ck["model"])
    return teacher.to(memory_format=torch.channels_last).eval(), ck["inputSpec"], ck["crop"]


def distil(teacher: torch.nn.Module, teacher_spec: dict, crop: str, train: dict, out: str, steps: int,
           lr: float = 1.5e-3, batch_size: int = 24, seed: int = 4041, teacher_path: str = "",
           init: str | None = None) -> dict:
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(seed)
    spec = v4.input_spec("pepx", crop)
    student = v3.build_arm("pepx").to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=1e-4)
    plan = v4.cell_plan(train)
    step, history, seconds = 0, [], 0.0
    last = os.path.join(out, "last.pt")
    if init and not os.path.exists(last):  # a second phase: the student's weights, a fresh optimizer and schedule
        student.load_state_dict(torch.load(init, map_location="cpu")["model"])
        print(f"initialised from {init}", flush=True)
    if os.path.exists(last):
        ck = torch.load(last)
        student.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, history, seconds = ck["step"], ck["history"], ck["trainSeconds"]
        print(f"resumed at step {step}", flush=True)
    hparams = {"arm": "pepx", "crop": crop, "steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed,
               "teacher": teacher_path, "init": init, "tau": TAU, "hard_weight": HARD_WEIGHT, "optimizer": "AdamW",
               "scheduler": "cosine to 0 over the steps", "degradation": True,
               "selection": "last step (no checkpoint chosen on validation)"}
    window: dict[str, list[float]] = {"loss": [], "agree": []}
    t0 = time.time()
    while step < steps:
        student.train()
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        rng = np.random.default_rng([seed, step])
        gen = torch.Generator().manual_seed(seed * 100_003 + step)
        idx = v4.draw_batch(plan, batch_size, rng)
        x, _ = v4.augmented_batch(train["images"][idx], train["masks"][idx], crop, gen, rng)
        y = torch.from_numpy(train["y"][idx])
        with torch.no_grad():
            soft = F.softmax(teacher(v3.to_input(x, teacher_spec).contiguous(memory_format=torch.channels_last)) / TAU, 1)
        logits = student(v3.to_input(x, spec).contiguous(memory_format=torch.channels_last))
        kd = F.kl_div(F.log_softmax(logits / TAU, 1), soft, reduction="batchmean") * TAU ** 2
        loss = kd + HARD_WEIGHT * F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        window["loss"].append(float(loss))
        window["agree"].append(float((logits.argmax(1) == soft.argmax(1)).float().mean()))
        if step % CHECKPOINT_STEPS == 0 or step == steps:
            seconds += time.time() - t0
            t0 = time.time()
            entry = {"step": step, "loss": float(np.mean(window["loss"])),
                     "agreement_with_teacher": float(np.mean(window["agree"])), "seconds": round(seconds, 1)}
            history.append(entry)
            window = {k: [] for k in window}
            print(json.dumps(entry), flush=True)
            torch.save({"model": student.state_dict(), "optimizer": opt.state_dict(), "step": step, "history": history,
                        "trainSeconds": seconds, "hparams": hparams, "inputSpec": spec, "arm": "pepx", "crop": crop},
                       last + ".tmp")
            os.replace(last + ".tmp", last)
    return {"step": step, "seconds": seconds, "checkpoint": last, "spec": spec, "model": student}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=v4.CACHE_DIR)
    ap.add_argument("--val-report", default=None)
    ap.add_argument("--init", default=None, help="start from this student checkpoint (fresh optimizer and schedule)")
    ap.add_argument("--lr", type=float, default=1.5e-3)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    teacher, teacher_spec, crop = load_teacher(args.teacher)
    result = distil(teacher, teacher_spec, crop, v4.load_part("train", args.cache), args.out, args.steps,
                    lr=args.lr, teacher_path=args.teacher, init=args.init)
    print(f"done: {result['step']} steps, {result['seconds'] / 60:.1f} min", flush=True)
    if args.val_report:
        v4.write_val_report(result["model"], result["spec"], crop, args.cache, args.val_report,
                            {"steps": args.steps, "trainSeconds": result["seconds"], "checkpoint": result["checkpoint"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
