"""The network behind ``CrossEncoderGrader``: a pretrained encoder, mean pooling and a head.

This module imports torch and transformers at the top; ``finetune`` imports it only once a
grader is fitted or loaded, so the core install never touches it.

Mean pooling rather than the ``[CLS]`` vector: sentence-transformers encoders such as
all-MiniLM-L6-v2 were trained with mean pooling and their pooler layer was never trained, so
the mean is the representation the encoder already knows how to make useful. Saved weights
are a standard Hugging Face model directory (``encoder/``, loadable without peft and without
learnloop) plus ``head.safetensors``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

ENCODER_DIR = "encoder"
HEAD_FILE = "head.safetensors"
_HAS_POOLER = {"bert", "roberta", "xlm-roberta", "camembert"}
"""Model types whose pooler we drop (it is unused and, in sentence-transformers encoders,
untrained); other encoders are loaded as they are."""


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Keep transformers' own load reports and progress bars off the user's terminal."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class CrossEncoderNet(nn.Module):
    """Encoder over the (reference + question, answer) pair, mean-pooled, then a linear head
    with ``n_outputs`` logits (classes, or 1 for the regression head)."""

    encoder: Any
    head: nn.Linear

    def __init__(self, encoder: Any, n_outputs: int, dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_outputs)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        out = self.encoder(**batch)
        states = out.last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        logits: Tensor = self.head(self.dropout(pooled))
        return logits


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    with quiet_transformers():
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def load_encoder(path: Path) -> Any:
    from transformers import AutoConfig, AutoModel

    with quiet_transformers():
        config = AutoConfig.from_pretrained(str(path), local_files_only=True)
        extra = {"add_pooling_layer": False} if config.model_type in _HAS_POOLER else {}
        model: Any = AutoModel.from_pretrained(
            str(path), local_files_only=True, dtype=torch.float32, **extra
        )
    return model


def build(encoder_path: Path, n_outputs: int, dropout: float) -> CrossEncoderNet:
    return CrossEncoderNet(load_encoder(encoder_path), n_outputs, dropout)


def add_lora(
    net: CrossEncoderNet, *, r: int, alpha: int, dropout: float, targets: Sequence[str]
) -> None:
    """Freeze the encoder and give its ``targets`` projections low-rank adapters; the head
    stays fully trainable."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        from learnloop.errors import MissingExtraError

        raise MissingExtraError("LoRA fine-tuning of a grader", "ml", "peft") from None
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(targets))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft calls a renamed transformers API
        net.encoder = get_peft_model(net.encoder, config)


def merge_lora(net: CrossEncoderNet) -> None:
    """Fold the adapters into the encoder's weights, so the model is a plain encoder again:
    saved, it loads without peft; served, it costs no more than the original."""
    if hasattr(net.encoder, "merge_and_unload"):
        net.encoder = net.encoder.merge_and_unload()
    for p in net.parameters():
        p.requires_grad_(True)


def tokenize(
    tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int
) -> dict[str, Tensor]:
    """A padded batch; ``longest_first`` truncation trims the longer side token by token, so
    a long reference (with the question after it) gives way before a short answer does."""
    encoded = tokenizer(
        [a for a, _ in pairs],
        [b for _, b in pairs],
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    return {k: v for k, v in encoded.items() if k in tokenizer.model_input_names}


def token_lengths(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int) -> np.ndarray:
    """Each pair's length in tokens after truncation (what a batch pads to)."""
    encoded = tokenizer(
        [a for a, _ in pairs],
        [b for _, b in pairs],
        truncation="longest_first",
        max_length=max_length,
    )
    return np.array([len(ids) for ids in encoded["input_ids"]], dtype=np.int64)


def grouped_order(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, *, window: int = 50
) -> np.ndarray:
    """A shuffled order whose consecutive ``batch_size`` blocks hold answers of similar
    length, so a padded batch wastes little (on SemEval, random batches pad to about twice
    the real tokens). Shuffle, sort by length within windows of ``window`` batches, then
    shuffle the batches; the one short batch stays last so the blocks stay aligned."""
    order = rng.permutation(len(lengths))
    span = batch_size * window
    sorted_order = (
        np.concatenate(
            [
                chunk[np.argsort(lengths[chunk], kind="stable")]
                for chunk in (order[i : i + span] for i in range(0, len(order), span))
            ]
        )
        if len(order)
        else order
    )
    full = len(sorted_order) // batch_size * batch_size
    blocks = sorted_order[:full].reshape(-1, batch_size)[rng.permutation(full // batch_size)]
    return np.concatenate([blocks.reshape(-1), sorted_order[full:]])


def make_optimizer(
    net: nn.Module, *, lr: float, weight_decay: float, steps: int, warmup: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW without decay on biases and layer norms, and a linear warm-up then decay to 0
    over ``steps`` optimiser steps (the BERT recipe)."""
    decay: list[nn.Parameter] = []
    flat: list[nn.Parameter] = []
    for name, p in net.named_parameters():
        if p.requires_grad:
            (flat if p.ndim < 2 or "LayerNorm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": flat, "weight_decay": 0.0}],
        lr=lr,
    )

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (steps - step) / max(1, steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def loss_of(logits: Tensor, targets: np.ndarray, *, regression: bool) -> Tensor:
    target = torch.from_numpy(targets)
    if regression:
        return nn.functional.mse_loss(torch.sigmoid(logits[:, 0]), target)
    return nn.functional.cross_entropy(logits, target)


def train_epoch(
    net: CrossEncoderNet,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    targets: np.ndarray,
    *,
    order: np.ndarray,
    batch_size: int,
    accumulation: int,
    max_length: int,
    regression: bool,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    on_batch: Callable[[int, float], None],
) -> float:
    """One pass in ``order``; the optimiser steps every ``accumulation`` batches (the last
    group may be shorter). Returns the mean training loss per answer."""
    net.train()
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    params = [p for p in net.parameters() if p.requires_grad]
    total, seen = 0.0, 0
    optimizer.zero_grad()
    for i, idx in enumerate(batches):
        batch = tokenize(tokenizer, [pairs[j] for j in idx], max_length)
        loss = loss_of(net(batch), targets[idx], regression=regression)
        group = i - i % accumulation
        (loss / min(accumulation, len(batches) - group)).backward()
        if (i + 1) % accumulation == 0 or i + 1 == len(batches):
            nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        total += float(loss.detach()) * len(idx)
        seen += len(idx)
        on_batch(len(idx), total / seen)
    return total / max(seen, 1)


def predict_logits(
    net: CrossEncoderNet,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    *,
    max_length: int,
    batch_size: int,
) -> np.ndarray:
    """Raw head outputs ``[n, outputs]``, computed in batches of answers of similar length
    (less padding), returned in the input order."""
    net.eval()
    out = np.zeros((len(pairs), net.head.out_features), dtype=np.float64)
    order = np.argsort([len(a) + len(b) for a, b in pairs], kind="stable")
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            batch = tokenize(tokenizer, [pairs[j] for j in idx], max_length)
            out[idx] = net(batch).double().numpy()
    return out


def count_parameters(net: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in net.parameters())


def trainable_state(net: nn.Module) -> dict[str, Tensor]:
    """A copy of just what training changes (the adapters and head under LoRA), so keeping
    the best epoch costs little memory."""
    return {k: p.detach().clone() for k, p in net.named_parameters() if p.requires_grad}


def restore_state(net: nn.Module, state: dict[str, Tensor]) -> None:
    params = dict(net.named_parameters())
    with torch.no_grad():
        for k, v in state.items():
            params[k].copy_(v)


def save(net: CrossEncoderNet, tokenizer: Any, path: Path) -> None:
    encoder_dir = path / ENCODER_DIR
    with quiet_transformers():
        net.encoder.save_pretrained(str(encoder_dir))
        tokenizer.save_pretrained(str(encoder_dir))
    head = {k: v.detach().contiguous() for k, v in net.head.state_dict().items()}
    save_file(head, str(path / HEAD_FILE))


def load(path: Path, n_outputs: int, dropout: float) -> tuple[CrossEncoderNet, Any]:
    net = build(path / ENCODER_DIR, n_outputs, dropout)
    net.head.load_state_dict(load_file(str(path / HEAD_FILE)))
    net.eval()
    return net, load_tokenizer(path / ENCODER_DIR)
