"""Recurrent knowledge tracing in PyTorch (the ``ml`` extra), shared by every deep model.

Torch is imported only when a deep model is fitted, loaded or used, so ``import
learnloop.tracing`` and the core install work without it; using one without torch raises
``MissingExtraError`` naming ``pip install 'learnloop[ml]'``.

Training: padded batches of students of similar length (shuffled), cut into windows of
``window`` responses; the LSTM state is carried from one window to the next (truncated
back-propagation), so a long sequence is trained as the whole sequence it is at prediction
time and online. Adam; early stopping on the AUC of held-out students, keeping the best
epoch's weights. The student state online is the LSTM's (hidden, cell) plus whatever counts
a model adds, as JSON lists: ``update`` costs one LSTM step whatever the history length.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from learnloop.errors import InvalidInputError, MissingExtraError
from learnloop.tracing.data import FloatArray, IntArray, InteractionLog, Response
from learnloop.tracing.estimator import (
    EarlyStoppingTracer,
    StudentState,
    fit_info,
    map_codes,
    vocabulary,
)
from learnloop.tracing.fastpath import NumpyNet

if TYPE_CHECKING:
    from torch import Tensor

    from learnloop.tracing.nets import Recurrent


def require_torch() -> ModuleType:
    try:
        import torch
    except ImportError:
        raise MissingExtraError("Deep knowledge tracing", "ml", "torch") from None
    return torch


@contextlib.contextmanager
def _threads(torch: ModuleType, n: int | None) -> Iterator[None]:
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class _Encoded:
    """A log in a model's codes: per response its skills ``[N, S]``, item, label and count
    features; ``starts``/``lengths`` delimit each student's sequence."""

    skills: IntArray
    items: IntArray
    correct: np.ndarray
    feats: np.ndarray
    starts: IntArray
    lengths: IntArray

    def batch(
        self, torch: ModuleType, seqs: IntArray, begin: int = 0, end: int | None = None
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, IntArray]:
        """Padded tensors of sequences ``seqs`` over positions ``[begin, end)``."""
        lengths = self.lengths[seqs]
        stop = int(lengths.max()) if end is None else min(end, int(lengths.max()))
        pos = np.arange(begin, stop)
        mask = pos[None, :] < lengths[:, None]
        idx = np.where(mask, self.starts[seqs, None] + pos[None, :], 0)
        skills = np.where(mask[..., None], self.skills[idx], -1)
        return (
            torch.from_numpy(skills),
            torch.from_numpy(np.where(mask, self.items[idx], 0)),
            torch.from_numpy(self.correct[idx] * mask),
            torch.from_numpy(self.feats[idx] * mask[..., None]),
            torch.from_numpy(mask),
            idx,
        )


class DeepTracer(EarlyStoppingTracer):
    """Fitting, prediction, online use and persistence of a recurrent network.

    A subclass stores its hyper-parameters in ``__init__`` (these names at least), builds its
    network in ``_network`` and may add count features (``_features`` for a whole log,
    ``_next_features``/``_count`` online, from the same counts).
    """

    uses_items: ClassVar[bool] = False
    n_features: ClassVar[int] = 0

    embed_size: int
    hidden_size: int
    layers: int
    dropout: float
    lr: float
    batch_size: int
    window: int
    max_epochs: int
    patience: int
    valid_fraction: float
    threads: int | None
    random_state: int | None
    verbose: bool | None

    net_: Recurrent

    # --- model-specific parts -----------------------------------------------------------

    def _network(self, n_skills: int, n_items: int) -> Recurrent:
        raise NotImplementedError

    def _features(self, log: InteractionLog) -> np.ndarray:
        return np.zeros((len(log), 0), dtype=np.float32)

    def _fit_features(self, data: _Encoded, rng: np.random.Generator) -> None:
        """Learn what the features need from the encoded training log (and adjust its
        features in place) before the held-out students are encoded."""

    def _next_features(
        self, state: StudentState, skills: tuple[str, ...], item: int
    ) -> list[float]:
        return []

    def _extra_weights(self) -> dict[str, np.ndarray]:
        return {}

    def _restore_extra(self, arrays: dict[str, np.ndarray]) -> None:
        pass

    def _count(self, state: StudentState, response: Response) -> StudentState:
        return state

    def _initial_counts(self) -> StudentState:
        return {}

    # --- encoding -----------------------------------------------------------------------

    def _index(self) -> None:
        self.skill_index_ = vocabulary(self.skills_)
        self.item_index_ = vocabulary(self.items_)

    def _encode(self, log: InteractionLog) -> _Encoded:
        n = len(log)
        per = np.diff(log.skill_ptr)
        width = int(per.max()) if n else 1
        rows, sk = log.expanded()
        skills = np.full((n, width), -1, dtype=np.int64)
        skills[rows, np.arange(len(rows)) - log.skill_ptr[rows]] = (
            map_codes(self.skill_index_, log.skills)[sk] + 1
        )
        items = np.zeros(n, dtype=np.int64)
        if self.uses_items and len(log.items):
            has = log.item >= 0
            items[has] = map_codes(self.item_index_, log.items)[log.item[has]] + 1
        starts = np.flatnonzero(log.first_of_sequence())
        return _Encoded(
            skills=skills,
            items=items,
            correct=log.correct.astype(np.float32),
            feats=self._features(log).astype(np.float32),
            starts=starts,
            lengths=np.diff(np.r_[starts, n]).astype(np.int64),
        )

    # --- fitting ------------------------------------------------------------------------

    def _split(self, log: InteractionLog, rng: np.random.Generator) -> tuple[InteractionLog, ...]:
        students = np.unique(log.student)
        n_valid = round(len(students) * self.valid_fraction)
        if n_valid < 1 or n_valid >= len(students):
            raise InvalidInputError(
                f"cannot hold out {self.valid_fraction:.0%} of {len(students)} students for "
                "early stopping; pass valid=LOG or change valid_fraction"
            )
        held = rng.permutation(students)[:n_valid]
        mask = np.isin(log.student, held)
        return log.take(np.flatnonzero(~mask)), log.take(np.flatnonzero(mask))

    def fit(self, log: InteractionLog, *, valid: InteractionLog | None = None) -> Self:
        torch = require_torch()
        self._check_log(log)
        started, cpu = time.perf_counter(), time.process_time()
        rng = np.random.default_rng(self.random_state)
        train = log
        if valid is None:
            train, valid = self._split(log, rng)
        self.skills_ = train.skills[np.unique(train.skill)]
        used = np.unique(train.item[train.item >= 0])
        self.items_ = train.items[used] if self.uses_items else train.items[:0]
        self._index()
        data = self._encode(train)
        self._fit_features(data, rng)
        held = self._encode(valid)
        scored = ~valid.first_of_sequence()
        seed = int(rng.integers(2**31))
        history: list[list[float]] = []
        with torch.random.fork_rng(devices=[]), _threads(torch, self.threads):
            torch.manual_seed(seed)
            net = self._network(len(self.skills_), len(self.items_))
            opt = torch.optim.Adam(net.parameters(), lr=self.lr)
            best_auc, best_epoch, best_weights = -math.inf, 0, None
            with self._progress(data) as bar:
                for epoch in range(1, self.max_epochs + 1):
                    net.train()
                    loss = self._epoch(torch, net, opt, data, rng, bar)
                    net.eval()
                    auc = _auc(valid.correct[scored], self._predict(torch, net, held)[scored])
                    history.append([epoch, round(loss, 5), round(auc, 5)])
                    if auc > best_auc:
                        best_auc, best_epoch = auc, epoch
                        best_weights = {k: v.clone() for k, v in net.state_dict().items()}
                    bar.epoch_done(epoch, loss, auc, best_auc, best_epoch)
                    if epoch - best_epoch >= self.patience:
                        break
            assert best_weights is not None
            net.load_state_dict(best_weights)
        net.eval()
        self.net_ = net
        self.__dict__.pop("_fast_net", None)
        self.info_ = fit_info(
            log,
            time.perf_counter() - started,
            fit_cpu_seconds=round(time.process_time() - cpu, 1),
            items=len(self.items_),
            valid_students=valid.n_students,
            epochs=len(history),
            best_epoch=best_epoch,
            valid_auc=round(best_auc, 5),
            history=history,
        )
        return self

    def _epoch(
        self,
        torch: ModuleType,
        net: Recurrent,
        opt: Any,
        data: _Encoded,
        rng: np.random.Generator,
        bar: _Bar,
    ) -> float:
        """One pass over the students; mean training loss per response."""
        n = len(data.lengths)
        order = np.argsort(data.lengths * rng.uniform(0.9, 1.1, n), kind="stable")
        batches = [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]
        rng.shuffle(batches)
        total, count = 0.0, 0
        for seqs in batches:
            seqs = seqs[np.argsort(-data.lengths[seqs], kind="stable")]
            state: tuple[Tensor, Tensor] | None = None
            for begin in range(0, int(data.lengths[seqs].max()), self.window):
                running = int(np.sum(data.lengths[seqs] > begin))
                if state is not None and running < state[0].shape[1]:
                    state = (state[0][:, :running], state[1][:, :running])
                skills, items, correct, feats, mask, _ = data.batch(
                    torch, seqs[:running], begin, begin + self.window
                )
                logits, after = net(skills, items, correct, feats, state)
                k = int(mask.sum())
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits[mask], correct[mask]
                )
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                state = (after[0].detach(), after[1].detach())
                total += float(loss.detach()) * k
                count += k
            bar.advance(len(seqs), total / max(count, 1))
        return total / max(count, 1)

    def _predict(self, torch: ModuleType, net: Recurrent, data: _Encoded) -> FloatArray:
        out = np.empty(len(data.correct), dtype=np.float64)
        order = np.argsort(data.lengths, kind="stable")
        with torch.no_grad():
            for i in range(0, len(order), 256):
                skills, items, correct, feats, mask, idx = data.batch(torch, order[i : i + 256])
                logits, _ = net(skills, items, correct, feats)
                m = mask.numpy()
                out[idx[m]] = torch.sigmoid(logits).numpy()[m]
        return out

    def predict_proba(self, log: InteractionLog) -> FloatArray:
        self._check_fitted()
        torch = require_torch()
        if len(log) == 0:
            return np.zeros(0)
        with _threads(torch, self.threads):
            return self._predict(torch, self.net_, self._encode(log))

    # --- online -------------------------------------------------------------------------

    def initial_state(self) -> StudentState:
        self._check_fitted()
        zeros = [[0.0] * self.hidden_size for _ in range(self.layers)]
        return {"h": zeros, "c": [list(z) for z in zeros], **self._initial_counts()}

    def _codes(
        self, skills: Iterable[str], item: str | None
    ) -> tuple[tuple[str, ...], list[int], int]:
        names = tuple(dict.fromkeys(skills))
        if not names:
            raise InvalidInputError("a response needs at least one skill")
        codes = [self.skill_index_.get(s, -1) + 1 for s in names]
        code = self.item_index_.get(item, -1) + 1 if self.uses_items and item is not None else 0
        return names, codes, code

    def _fast(self) -> NumpyNet:
        """The network's online step in numpy (built once per fitted or loaded model)."""
        fast = self.__dict__.get("_fast_net")
        if fast is None:
            weights = {k: v.detach().numpy() for k, v in self.net_.state_dict().items()}
            fast = self.__dict__["_fast_net"] = NumpyNet(type(self.net_).__name__, weights)
        return fast

    def predict_next(
        self, state: StudentState, *, skills: Iterable[str], item: str | None = None
    ) -> float:
        self._check_fitted()
        names, codes, code = self._codes(skills, item)
        feats = self._next_features(state, names, code)
        logit = self._fast().head(np.asarray(state["h"][-1]), codes, feats)
        return float(1.0 / (1.0 + math.exp(-logit)))

    def update(self, state: StudentState, response: Response) -> StudentState:
        self._check_fitted()
        names, codes, code = self._codes(response.skills, response.item)
        feats = self._next_features(state, names, code)
        score = min(1.0, max(0.0, float(response.correct)))
        fast = self._fast()
        h, c = fast.lstm(fast.embed(codes, score, feats), state["h"], state["c"])
        return self._count({**state, "h": h, "c": c}, response)

    # --- persistence --------------------------------------------------------------------

    def _weights(self) -> dict[str, np.ndarray]:
        return {
            "skills": self.skills_,
            "items": self.items_,
            **self._extra_weights(),
            **{f"net.{k}": v.detach().numpy() for k, v in self.net_.state_dict().items()},
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        torch = require_torch()
        self.skills_, self.items_ = arrays["skills"], arrays["items"]
        self._index()
        self._restore_extra(arrays)
        net = self._network(len(self.skills_), len(self.items_))
        net.load_state_dict(
            {k[4:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("net.")}
        )
        net.eval()
        self.net_ = net
        self.__dict__.pop("_fast_net", None)

    # --- progress -----------------------------------------------------------------------

    def _progress(self, data: _Encoded) -> _Bar:
        return _Bar(
            title=type(self).__name__,
            students=len(data.lengths),
            epochs=self.max_epochs,
            show=sys.stderr.isatty() if self.verbose is None else self.verbose,
        )


class _Bar:
    """A rich progress bar on stderr with the loss and validation AUC; silent off a TTY."""

    def __init__(self, *, title: str, students: int, epochs: int, show: bool) -> None:
        self.title, self.students, self.show = title, students, show
        self.epoch = 1
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress: Any = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.progress.add_task(
                f"{title} epoch 1", total=students, status="", start=True
            )

    def __enter__(self) -> _Bar:
        if self.show:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.show:
            self.progress.stop()

    def advance(self, n: int, loss: float) -> None:
        if self.show:
            self.progress.update(self.task, advance=n, status=f"loss {loss:.4f}")

    def epoch_done(self, epoch: int, loss: float, auc: float, best: float, at: int) -> None:
        if self.show:
            self.progress.console.print(
                f"{self.title} epoch {epoch}: loss {loss:.4f}, valid AUC {auc:.4f} "
                f"(best {best:.4f} at epoch {at})"
            )
            self.progress.reset(self.task, description=f"{self.title} epoch {epoch + 1}")


def _auc(y: np.ndarray, p: FloatArray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else 0.5
