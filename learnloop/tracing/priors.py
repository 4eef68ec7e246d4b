"""Where a new installation's student model starts: BKT parameters fitted on public logs.

A platform with no answers of its own has nothing to fit a student model on. Rather than a
made-up start (the running estimate's 30 %, moved 40 % of the way to every score), it serves
a BKT whose parameters were fitted on a large public log, one set for every concept (pooled
over the log's skills: a new course's concepts are not the log's, so only what holds across
skills carries over). ``bench/kt_priors.py`` fits them, scores them on held-out students and
writes ``priors/<name>.json`` with where they come from; only the fitted figures ship, never
the data. Once the course's own log is large enough, ``services.tracing.maybe_refit`` fits
a model on it in the background and that model takes over.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from learnloop.errors import InvalidInputError
from learnloop.tracing.bkt import BKT, PARAMS

PRIORS_DIR = Path(__file__).with_name("priors")
DEFAULT_PRIORS = "bkt-assist2009"
"""The priors the live system starts from (``bench/kt_priors.py`` says why these)."""


@dataclass(frozen=True)
class Priors:
    name: str
    params: dict[str, float]
    """BKT's prior, learn, forget, guess and slip, the same for every concept."""
    provenance: dict[str, Any]
    """Data set, fold, date, number of responses, how they were fitted."""
    held_out: dict[str, Any]
    """Log-loss, AUC and more on students the fit never saw."""
    raw: dict[str, Any]
    """The whole file (per-skill spread, the options compared, the baseline)."""

    def model(self) -> BKT:
        """A fitted BKT that gives every concept these parameters."""
        return BKT.from_params(self.params, info={"priors": self.name, **self.provenance})


def available() -> list[str]:
    """Names of the shipped priors."""
    return sorted(p.stem for p in PRIORS_DIR.glob("*.json"))


@cache
def load_priors(name: str = DEFAULT_PRIORS) -> Priors:
    """The shipped priors called ``name`` (a file ``priors/<name>.json``), checked."""
    path = PRIORS_DIR / f"{name}.json"
    if not path.is_file():
        raise InvalidInputError(
            f"no shipped tracing priors {name!r}; available: {', '.join(available()) or 'none'}"
        )
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    params = raw.get("params") or {}
    bad = [
        k
        for k in PARAMS
        if not isinstance(params.get(k), int | float) or not 0.0 <= params[k] <= 1.0
    ]
    if bad or raw.get("model") != "bkt":
        raise InvalidInputError(
            f"{path} is not a BKT prior: it needs model 'bkt' and params {', '.join(PARAMS)} "
            f"in [0, 1] (wrong or missing: {', '.join(bad) or 'model'}); re-run bench/kt_priors.py"
        )
    return Priors(
        name=name,
        params={k: float(params[k]) for k in PARAMS},
        provenance=dict(raw.get("provenance") or {}),
        held_out=dict(raw.get("held_out") or {}),
        raw=raw,
    )


def write_priors(name: str, content: dict[str, Any], *, folder: Path = PRIORS_DIR) -> Path:
    """Write ``priors/<name>.json`` (``bench/kt_priors.py``); the values are rounded to six
    places so a re-run that changes nothing leaves the file as it was."""

    def tidy(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6) if math.isfinite(value) else None
        if isinstance(value, dict):
            return {k: tidy(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [tidy(v) for v in value]
        return value

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(tidy(content), indent=2, ensure_ascii=False) + "\n")
    load_priors.cache_clear()
    return path
