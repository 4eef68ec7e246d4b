"""One student's next step through a fitted deep tracer, in numpy.

Online, the live system feeds one answer at a time; a PyTorch call per answer costs about half a
millisecond in dispatch alone, and several at the tail. These functions do the same arithmetic
as ``nets.py`` (in evaluation mode: no dropout) on the network's weights as numpy arrays, in
tens of microseconds. ``test_deep.py`` checks them against the batch predictions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Weights = dict[str, np.ndarray]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick(pair: np.ndarray, score: float) -> np.ndarray:
    d = pair.shape[-1] // 2
    return pair[:d] * (1.0 - score) + pair[d:] * score


class NumpyNet:
    """The online step of a ``DKTNet`` or ``RaschDKTNet`` from its ``state_dict``."""

    def __init__(self, kind: str, weights: Weights) -> None:
        if kind not in ("DKTNet", "RaschDKTNet"):
            raise ValueError(f"no numpy path for {kind}")
        self.kind = kind
        self.w = {k: v.astype(np.float64) for k, v in weights.items()}
        self.layers = sum(1 for k in weights if k.startswith("lstm.weight_ih_l"))
        self._means: dict[str, np.ndarray] = {
            name: self.w[name].mean(0)
            for name in (
                "interaction",
                "out",
                "concept",
                "variation",
                "response",
                "response_variation",
            )
            if name in self.w
        }

    def _mean(self, name: str, codes: Sequence[int]) -> np.ndarray:
        table, mean = self.w[name], self._means[name]
        rows = [mean if c == 0 else table[c - 1] for c in codes]
        return rows[0] if len(rows) == 1 else np.mean(rows, axis=0)

    def _question(self, codes: Sequence[int], mu: float) -> np.ndarray:
        return self._mean("concept", codes) + mu * self._mean("variation", codes)

    def embed(self, codes: Sequence[int], score: float, feats: Sequence[float]) -> np.ndarray:
        if self.kind == "DKTNet":
            return _pick(self._mean("interaction", codes), score)
        mu = float(feats[-1])
        return (
            self._question(codes, mu)
            + _pick(self._mean("response", codes), score)
            + mu * _pick(self._mean("response_variation", codes), score)
        )

    def head(self, h: np.ndarray, codes: Sequence[int], feats: Sequence[float]) -> float:
        if self.kind == "DKTNet":
            w = self._mean("out", codes)
            return float(h @ w[:-1] + w[-1])
        f = np.asarray(feats, dtype=np.float64)
        x = np.concatenate([h, self._question(codes, float(f[-1])), f])
        hidden = np.maximum(self.w["mlp.0.weight"] @ x + self.w["mlp.0.bias"], 0.0)
        logit = self.w["mlp.3.weight"] @ hidden + self.w["mlp.3.bias"]
        return float(logit[0] + self.w["skip.weight"][0] @ f)

    def lstm(
        self, x: np.ndarray, h: list[list[float]], c: list[list[float]]
    ) -> tuple[list[list[float]], list[list[float]]]:
        """One step of every layer; PyTorch's gate order (input, forget, cell, output)."""
        new_h, new_c = [], []
        for layer in range(self.layers):
            hp, cp = np.asarray(h[layer]), np.asarray(c[layer])
            gates = (
                self.w[f"lstm.weight_ih_l{layer}"] @ x
                + self.w[f"lstm.bias_ih_l{layer}"]
                + self.w[f"lstm.weight_hh_l{layer}"] @ hp
                + self.w[f"lstm.bias_hh_l{layer}"]
            )
            i, f, g, o = np.split(gates, 4)
            cn = _sigmoid(f) * cp + _sigmoid(i) * np.tanh(g)
            hn = _sigmoid(o) * np.tanh(cn)
            new_h.append(hn.tolist())
            new_c.append(cn.tolist())
            x = hn
        return new_h, new_c
