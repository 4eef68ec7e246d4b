"""The saved form of a fine-tuned grader: a directory that needs neither pickle nor peft.

::

    config.json         learnloop's: model kind, hyper-parameters, label set, temperature,
                        validation metrics, library versions
    README.md           model card: what it learned from, how well, what not to use it for
    head.safetensors    the classification or regression head
    encoder/            a plain Hugging Face model directory (config.json, model.safetensors,
                        tokenizer files), LoRA adapters already merged in

``encoder/`` doubles as a starting point: ``CrossEncoderGrader(encoder="that/dir")``
fine-tunes further from it.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from learnloop.errors import InvalidInputError
from learnloop.training.metrics import format_confusion, format_report

FORMAT_VERSION = 1
CONFIG = "config.json"
CARD = "README.md"
REQUIRED = (CONFIG, "head.safetensors", "encoder/config.json")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("learnloop", "torch", "transformers", "peft", "safetensors", "tokenizers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def write_config(path: Path, *, model: str, config: dict[str, Any]) -> None:
    data = {
        "model": model,
        "format_version": FORMAT_VERSION,
        **config,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "library_versions": library_versions(),
    }
    (path / CONFIG).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_config(path: Path, *, model: str) -> dict[str, Any]:
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if missing:
        raise InvalidInputError(
            f"{path} is not a saved grader: {', '.join(missing)} missing "
            "(save one with grader.save(path))"
        )
    try:
        config: dict[str, Any] = json.loads((path / CONFIG).read_text())
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path / CONFIG}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    if config.get("model") != model:
        raise InvalidInputError(
            f"{path} holds a {config.get('model')!r} model, not a {model!r}; "
            "load it with the class that saved it"
        )
    if config.get("format_version") != FORMAT_VERSION:
        raise InvalidInputError(
            f"{path / CONFIG}: format version {config.get('format_version')!r} is not "
            f"{FORMAT_VERSION}; re-fit the grader with this version of learnloop"
        )
    return config


def model_card(*, title: str, hyperparameters: dict[str, Any], info: dict[str, Any]) -> str:
    """A short card in the Hugging Face spirit: data, numbers, intended use, limits."""
    head = hyperparameters.get("head")
    data = [
        f"- dataset: {info.get('dataset') or '(unnamed)'}",
        f"- training answers: {info.get('train_examples')} "
        f"to {info.get('train_questions')} questions",
        f"- validation answers: {info.get('valid_examples')} ({info.get('valid_source')})",
        f"- target: {'scores in [0, 1]' if head == 'regression' else info.get('label_set')}",
        f"- encoder: {hyperparameters.get('encoder')} ({hyperparameters.get('method')} "
        f"fine-tuning, {info.get('trainable_parameters')} of {info.get('total_parameters')} "
        "parameters trained)",
        f"- epochs: {info.get('epochs_run')} (weights kept from epoch {info.get('best_epoch')}), "
        f"learning rate {info.get('learning_rate')}",
    ]
    parts = [f"# {title}\n", "## Training data", *data, ""]
    metrics = info.get("valid_metrics")
    if metrics:
        parts += ["## Validation", *(f"- {k}: {v}" for k, v in metrics.items()), ""]
    if info.get("valid_report"):
        parts += ["```", format_report(info["valid_report"]), "```", ""]
    if info.get("valid_confusion"):
        parts += ["```", format_confusion(info["valid_confusion"]), "```", ""]
    calib = info.get("calibration")
    if calib:
        parts += ["## Calibration", *(f"- {k}: {v}" for k, v in calib.items()), ""]
    params = [f"- `{k}`: {v!r}" for k, v in sorted(hyperparameters.items())]
    parts += ["## Hyper-parameters", *params, ""]
    parts += [
        "## Intended use",
        "Grading short free-text answers to the questions and kind of reference answers it "
        "was trained on, with a teacher reviewing the answers it is unsure about. Load it with "
        "`learnloop.training.finetune.CrossEncoderGrader.load(path)`; "
        "`predict_proba(examples)` gives calibrated probabilities of each verdict (or "
        "`predict_score` a score in [0, 1]).",
        "",
        "## Limits",
        "Validation numbers come from answers to the same questions unless the validation "
        "split says otherwise; on new questions, other subjects, other languages or answers "
        "much longer than the training ones (inputs are cut at `max_length` tokens) expect "
        "lower accuracy and less reliable confidence. It judges wording against a reference "
        "answer; it does not check facts the reference does not contain. Do not use it as the "
        "sole judge of high-stakes grades.",
        "",
    ]
    return "\n".join(parts)
