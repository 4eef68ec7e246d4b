"""pyKT's DKT and AKT, trained the way pyKT trains them, predicting without label leaks.

Run with the peer venv's python (bench/kt_compare.py does this)::

    .venv-peers/bin/python bench/peers/run_pykt.py --model dkt \\
        --train TRAIN --valid VALID --test TEST --out OUT.json [--budget-minutes N]

What comes from pyKT, unchanged: the model classes (``pykt.models.dkt.DKT``,
``pykt.models.akt.AKT``), the loss and forward pass (``pykt.models.train_model.model_forward``)
and the validation metric (``pykt.models.evaluate_model.evaluate``). Hyper-parameters are
pyKT's defaults: ``configs/kt_config.json`` (DKT: emb_size 200, dropout 0.1, lr 1e-3; AKT:
d_model 256, n_blocks 1, d_ff 256, dropout 0.05, lr 1e-5, the class defaults for the rest;
Adam, at most 200 epochs, sequences cut into 200-row chunks) and ``examples/wandb_train.py``
(batch 256, 64 for AKT). The epoch loop is ``pykt.models.train_model.train_model``'s: keep the
weights of the epoch whose validation AUC beats the best so far by 1e-3, stop after 10 epochs
without one. The only addition is ``--budget-minutes``, which stops training when the time is
up (checked after every batch) and keeps the best weights so far: the model is then
under-trained, and the result says so.

Data are pyKT's layout: concept-level rows (a multi-skill response repeated once per skill),
ids mapped to 0-based codes. Prediction follows pyKT's question-level protocol (late fusion):
every copy of a multi-skill response is predicted from the history before that response, never
from another copy's label, and the main process averages the copies (pyKT's ``late_mean``).
Past 200 rows, a row is predicted in a 200-row window that starts 100 to 199 rows before it
(windows every 100 rows): between pyKT's two test settings, fresh 200-row chunks (0 to 199
rows of history) and one window per row (always 199), at 1/100 of the latter's cost.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import math
import os
import sys
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import seqfile
import torch
from pykt.models.akt import AKT
from pykt.models.dkt import DKT
from pykt.models.evaluate_model import evaluate
from pykt.models.train_model import model_forward
from pykt.utils import set_seed

MAXLEN = 200
STRIDE = MAXLEN // 2
MIN_SEQ_LEN = 3
CONFIGS: dict[str, dict[str, Any]] = {
    # pyKT configs/kt_config.json; batch sizes from examples/wandb_train.py
    "dkt": {
        "model": {"emb_size": 200, "dropout": 0.1},
        "learning_rate": 1e-3,
        "batch_size": 256,
    },
    "akt": {
        "model": {"d_model": 256, "n_blocks": 1, "dropout": 0.05, "d_ff": 256},
        "learning_rate": 1e-5,
        "batch_size": 64,
    },
}
NUM_EPOCHS = 200
PATIENCE = 10


class Codes:
    """0-based codes for skills and problems, shared by the train, valid and test files."""

    def __init__(self, *parts: list[seqfile.Sequence]) -> None:
        seqs = [s for part in parts for s in part]
        self.skill = {v: i for i, v in enumerate(sorted({c for s in seqs for c in s.skills}))}
        problems = {p for s in seqs for p in (s.problems or [])}
        self.problem = {v: i for i, v in enumerate(sorted(problems))}

    def arrays(self, seq: seqfile.Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = np.array([self.skill[v] for v in seq.skills], dtype=np.int64)
        q = (
            np.array([self.problem[v] for v in seq.problems], dtype=np.int64)
            if seq.problems
            else np.zeros_like(c)
        )
        return q, c, np.array(seq.labels, dtype=np.int64)


def chunks(seqs: list[seqfile.Sequence], codes: Codes) -> dict[str, torch.Tensor]:
    """pyKT's ``generate_sequences``: 200-row chunks, a last chunk shorter than 3 dropped,
    padded with -1; then ``KTDataset``'s masks."""
    rows: dict[str, list[np.ndarray]] = {"q": [], "c": [], "r": [], "sm": []}
    for seq in seqs:
        q, c, r = codes.arrays(seq)
        for start in range(0, len(c), MAXLEN):
            n = min(MAXLEN, len(c) - start)
            if n < MIN_SEQ_LEN:
                continue
            for key, arr in (("q", q), ("c", c), ("r", r), ("sm", np.ones_like(c))):
                padded = np.full(MAXLEN, -1, dtype=np.int64)
                padded[:n] = arr[start : start + n]
                rows[key].append(padded)
    q, c, r, sm = (torch.from_numpy(np.stack(rows[k])) for k in ("q", "c", "r", "sm"))
    m = (c[:, :-1] != -1) * (c[:, 1:] != -1)
    return {
        "qseqs": q[:, :-1] * m,
        "cseqs": c[:, :-1] * m,
        "rseqs": (r[:, :-1] * m).float(),
        "shft_qseqs": q[:, 1:] * m,
        "shft_cseqs": c[:, 1:] * m,
        "shft_rseqs": (r[:, 1:] * m).float(),
        "masks": m,
        "smasks": sm[:, 1:] != -1,
    }


def batches(data: dict[str, torch.Tensor], size: int, order: torch.Tensor | None = None):
    n = len(data["cseqs"])
    order = torch.arange(n) if order is None else order
    empty = torch.zeros(0)
    for start in range(0, n, size):
        idx = order[start : start + size]
        batch = {k: v[idx] for k, v in data.items()}
        batch["tseqs"] = batch["shft_tseqs"] = empty
        yield batch


def make_model(name: str, codes: Codes) -> torch.nn.Module:
    cfg = CONFIGS[name]["model"]
    if name == "dkt":
        return DKT(len(codes.skill), **cfg)
    return AKT(len(codes.skill), len(codes.problem), **cfg)


def train(
    model: torch.nn.Module,
    train_data: dict[str, torch.Tensor],
    valid_data: dict[str, torch.Tensor],
    *,
    batch_size: int,
    learning_rate: float,
    max_epochs: int,
    budget_seconds: float | None,
) -> dict[str, Any]:
    opt = torch.optim.Adam(model.parameters(), learning_rate)
    started = time.perf_counter()
    deadline = started + budget_seconds if budget_seconds else math.inf
    max_auc, best_epoch, best_state = 0.0, -1, copy.deepcopy(model.state_dict())
    stopped, history = f"max epochs ({max_epochs})", []
    for epoch in range(1, max_epochs + 1):
        out_of_time, losses = False, []
        order = torch.randperm(len(train_data["cseqs"]))
        for batch in batches(train_data, batch_size, order):
            model.train()
            loss = model_forward(model, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if time.perf_counter() > deadline:
                out_of_time = True
                break
        with contextlib.redirect_stdout(sys.stderr):
            auc, _ = evaluate(model, list(batches(valid_data, batch_size)), model.model_name)
        if auc > max_auc + 1e-3:
            max_auc, best_epoch = auc, epoch
            best_state = copy.deepcopy(model.state_dict())
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "valid_auc": auc})
        seqfile.log(
            f"{model.model_name}: epoch {epoch}{' (cut short)' if out_of_time else ''}, "
            f"train loss {np.mean(losses):.4f}, valid AUC {auc:.4f} (best {max_auc:.4f} at "
            f"epoch {best_epoch}), {time.perf_counter() - started:.0f} s"
        )
        if out_of_time:
            stopped = f"time budget ({budget_seconds / 60:g} min) in epoch {epoch}"
            break
        if epoch - best_epoch >= PATIENCE:
            stopped = f"early stopping ({PATIENCE} epochs without a better valid AUC)"
            break
    model.load_state_dict(best_state)
    return {
        "epochs": len(history),
        "best_epoch": best_epoch,
        "best_valid_auc": max_auc,
        "stopped_by": stopped,
        "converged": stopped.startswith("early stopping"),
        "history": history,
    }


def window_start(t: int) -> int:
    """Where the input of row ``t`` starts: the sequence's start for its first 200 rows,
    then windows of 200 rows every 100, so a row sees the 100 to 199 rows before it."""
    return 0 if t < MAXLEN else (t // STRIDE - 1) * STRIDE


def requests(seq: seqfile.Sequence) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Model inputs for one test sequence as (rows fed, [(position, row predicted)]).

    A response's first row is predicted in its window of the running sequence; every further
    copy of a multi-skill response gets its own input, the same rows before the response plus
    that copy, so no copy sees another's label.
    """
    n, groups = len(seq.labels), seq.groups
    windows: dict[int, list[tuple[int, int]]] = {}
    copies = []
    for t in range(1, n):
        t0 = groups[t]
        s = window_start(t0)
        if t0 == t:
            windows.setdefault(s, []).append((t - s, t))
        elif t0 > 0:
            rows = [*range(s, t0), t]
            copies.append((rows, [(len(rows) - 1, t)]))
    heads = [(list(range(s, min(n, s + MAXLEN))), targets) for s, targets in windows.items()]
    return heads + copies


@torch.no_grad()
def predict(
    model: torch.nn.Module, seqs: list[seqfile.Sequence], codes: Codes, batch_size: int
) -> list[float]:
    model.eval()
    arrays = [codes.arrays(s) for s in seqs]
    offsets = np.cumsum([0] + [len(s.labels) for s in seqs])
    p = np.full(offsets[-1], 0.5)
    work = [(i, rows, targets) for i, s in enumerate(seqs) for rows, targets in requests(s)]
    work.sort(key=lambda w: len(w[1]))
    for start in range(0, len(work), batch_size):
        part = work[start : start + batch_size]
        width = max(len(rows) for _, rows, _ in part)
        q = torch.zeros(len(part), width, dtype=torch.long)
        c, r = torch.zeros_like(q), torch.zeros_like(q)
        for b, (i, rows, _) in enumerate(part):
            qa, ca, ra = arrays[i]
            q[b, : len(rows)] = torch.from_numpy(qa[rows])
            c[b, : len(rows)] = torch.from_numpy(ca[rows])
            r[b, : len(rows)] = torch.from_numpy(ra[rows])
        if model.model_name == "dkt":
            y = model(c[:, :-1], r[:, :-1])
            y = torch.gather(y, 2, c[:, 1:].unsqueeze(-1)).squeeze(-1)
            y = torch.cat([torch.full((len(part), 1), 0.5), y], dim=1)
        else:
            y, _ = model(c, r, q)
        for b, (i, _, targets) in enumerate(part):
            for pos, t in targets:
                p[offsets[i] + t] = float(y[b, pos])
    return p.tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(CONFIGS), required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--out")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-epochs", type=int, default=NUM_EPOCHS)
    parser.add_argument("--budget-minutes", type=float, default=0, help="0: no limit")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    train_seqs, valid_seqs, test_seqs = (
        seqfile.read(p) for p in (args.train, args.valid, args.test)
    )
    codes = Codes(train_seqs, valid_seqs, test_seqs)
    cfg = CONFIGS[args.model]
    train_data, valid_data = chunks(train_seqs, codes), chunks(valid_seqs, codes)
    model = make_model(args.model, codes)
    seqfile.log(
        f"{args.model}: {len(codes.skill)} skills, {len(codes.problem)} problems, "
        f"{len(train_data['cseqs'])} training chunks, "
        f"{sum(p.numel() for p in model.parameters()):,} parameters"
    )
    started = time.perf_counter()
    info = train(
        model,
        train_data,
        valid_data,
        batch_size=cfg["batch_size"],
        learning_rate=cfg["learning_rate"],
        max_epochs=args.max_epochs,
        budget_seconds=args.budget_minutes * 60 or None,
    )
    fit_seconds = time.perf_counter() - started
    seqfile.log(f"{args.model}: predicting {sum(len(s.labels) for s in test_seqs):,} rows")
    started = time.perf_counter()
    p = predict(model, test_seqs, codes, batch_size=cfg["batch_size"])
    predict_seconds = time.perf_counter() - started
    seqfile.write_result(
        args.out,
        {
            "model": f"pykt-{args.model}",
            "predictions": [round(v, 6) for v in p],
            "labels": [y for s in test_seqs for y in s.labels],
            "responses": seqfile.n_responses(test_seqs),
            "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds,
            "info": {
                **info,
                "hyperparameters": cfg,
                "seed": args.seed,
                "budget_minutes": args.budget_minutes or None,
                "threads": torch.get_num_threads(),
            },
            "versions": seqfile.versions("pykt-toolkit", "torch", "numpy", "pandas"),
        },
    )


if __name__ == "__main__":
    main()
