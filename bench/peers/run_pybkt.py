"""pyBKT as its authors intend: one standard BKT per skill, fitted by pyBKT's EM with its
defaults (5 random restarts, no forgetting), on the expanded rows (one row per skill of a
multi-skill response), which is the form pyBKT's own examples use for ASSISTments.

Run with the peer venv's python (bench/kt_compare.py does this)::

    .venv-peers/bin/python bench/peers/run_pybkt.py --train TRAIN --test TEST --out OUT.json

Writes one prediction per row of TEST (file order) to OUT; the main process scores them.
``parallel=False`` keeps pyBKT to one process on a shared machine; it changes the speed, not
the fit. Rows of a skill absent from TEST's training data get pyBKT's own fallback, 0.5.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd
import seqfile
from pyBKT.models import Model


def frame(seqs: list[seqfile.Sequence]) -> pd.DataFrame:
    rows = []
    order = 0
    for seq in seqs:
        for skill, label in zip(seq.skills, seq.labels, strict=True):
            rows.append((order, seq.user, f"s{skill}", label))
            order += 1
    return pd.DataFrame(rows, columns=["order_id", "user_id", "skill_name", "correct"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--out")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--num-fits", type=int, default=5, help="pyBKT's default: 5")
    args = parser.parse_args()

    train_seqs, test_seqs = seqfile.read(args.train), seqfile.read(args.test)
    train, test = frame(train_seqs), frame(test_seqs)
    seqfile.log(f"pybkt: fitting {train.skill_name.nunique()} skills on {len(train):,} rows")
    model = Model(seed=args.seed, num_fits=args.num_fits, parallel=False)
    started = time.perf_counter()
    model.fit(data=train)
    fit_seconds = time.perf_counter() - started

    known = test.skill_name.isin(set(train.skill_name))
    seqfile.log(f"pybkt: predicting {len(test):,} rows ({int((~known).sum())} of unseen skills)")
    started = time.perf_counter()
    predicted = model.predict(data=test[known].reset_index(drop=True))
    predict_seconds = time.perf_counter() - started
    predicted = predicted.sort_values("order_id")
    expected = test[known].correct.to_numpy()
    if len(predicted) != len(expected) or (predicted.correct.to_numpy() != expected).any():
        raise SystemExit("pybkt: predictions came back in another order than the test rows")
    p = pd.Series(0.5, index=test.index, dtype=float)
    p[known] = predicted["correct_predictions"].to_numpy()

    seqfile.write_result(
        args.out,
        {
            "model": "pybkt",
            "predictions": [round(float(v), 6) for v in p],
            "labels": test.correct.tolist(),
            "responses": seqfile.n_responses(test_seqs),
            "fit_seconds": fit_seconds,
            "predict_seconds": predict_seconds,
            "info": {
                "num_fits": args.num_fits,
                "seed": args.seed,
                "skills": int(train.skill_name.nunique()),
                "unseen_skill_rows": int((~known).sum()),
                "train_rows": len(train),
            },
            "versions": seqfile.versions("pyBKT", "numpy", "pandas", "scikit-learn"),
        },
    )


if __name__ == "__main__":
    main()
