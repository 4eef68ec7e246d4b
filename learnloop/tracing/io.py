"""Saved models are directories: ``config.json``, ``weights.npz`` and a ``README.md`` card.

No pickle: the weights load with ``allow_pickle=False``, and the config names the model class
through the registry, so a saved directory can never run code.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from learnloop.errors import InvalidInputError

FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "weights.npz"
CARD = "README.md"


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("learnloop", "numpy", "scipy", "scikit-learn", "torch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def save_model_dir(
    path: str | Path,
    *,
    model: str,
    hyperparameters: dict[str, Any],
    arrays: dict[str, np.ndarray],
    info: dict[str, Any],
    card: str,
) -> Path:
    """Write the three files into ``path`` (created if needed; existing files replaced,
    each at once)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    config = {
        "model": model,
        "format_version": FORMAT_VERSION,
        "hyperparameters": hyperparameters,
        "info": info,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "library_versions": library_versions(),
    }
    tmp = path / (WEIGHTS + ".tmp.npz")
    save: Any = np.savez  # numpy's stubs take a keyword array for allow_pickle
    save(tmp, **arrays)
    tmp.replace(path / WEIGHTS)
    # the config last and whole (a reader in another thread or process never sees it half
    # written): its change is what tells a running server to load the new weights
    (path / CARD).write_text(card)
    tmp_config = path / (CONFIG + ".tmp")
    tmp_config.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tmp_config.replace(path / CONFIG)
    return path


def read_model_dir(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = Path(path)
    if not (path / CONFIG).is_file() or not (path / WEIGHTS).is_file():
        raise InvalidInputError(
            f"{path} is not a saved tracing model: it needs {CONFIG} and {WEIGHTS} "
            "(save one with model.save(path) or `learnloop kt fit`)"
        )
    try:
        config = json.loads((path / CONFIG).read_text())
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path / CONFIG}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    if config.get("format_version") != FORMAT_VERSION:
        raise InvalidInputError(
            f"{path / CONFIG}: format version {config.get('format_version')!r} is not "
            f"{FORMAT_VERSION}; re-fit the model with this version of learnloop"
        )
    with np.load(path / WEIGHTS, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return config, arrays


def model_card(
    *, title: str, summary: str, hyperparameters: dict[str, Any], info: dict[str, Any]
) -> str:
    params = "\n".join(f"- `{k}`: {v!r}" for k, v in sorted(hyperparameters.items()))
    facts = "\n".join(f"- {k}: {v}" for k, v in info.items())
    return (
        f"# {title}\n\n{summary}\n\n## Training\n{facts or '- not recorded'}\n\n"
        f"## Hyper-parameters\n{params}\n\n## Use\n"
        "Load with `learnloop.tracing.load_model(path)`; `predict_proba(log)` scores every "
        "response from the state before it, `update(state, response)` serves one student "
        "online. Predictions are probabilities that the next answer is correct; they are only "
        "as good as the log the model was fitted on (same items, skills and population).\n"
    )
