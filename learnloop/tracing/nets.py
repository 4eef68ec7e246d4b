"""The PyTorch networks behind the deep tracers (imported only once torch is known to exist).

Every network is an LSTM over a student's responses: ``embed`` turns a response (its skills,
item and correctness) into the LSTM input, ``head`` turns the state *before* a response and
that response's skills, item and count features into a logit. The state before response
``t`` never holds response ``t``, so no label reaches its own prediction.

Skill codes: ``-1`` pads a response's skill slots, ``0`` is a skill not seen in training
(it gets the mean of the known skills' parameters), ``1..K`` are known skills. Item codes:
``0`` is no item or an unseen one, ``1..J`` known items.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

State = tuple[Tensor, Tensor]


def skill_mean(table: Tensor, skills: Tensor) -> Tensor:
    """Mean of ``table``'s rows over each response's skills: ``[..., S] -> [..., D]``."""
    full = torch.cat([table.mean(0, keepdim=True), table])
    mask = (skills >= 0).to(table.dtype).unsqueeze(-1)
    rows = F.embedding(skills.clamp(min=0), full) * mask
    return rows.sum(-2) / mask.sum(-2).clamp(min=1.0)


def pick(pair: Tensor, correct: Tensor) -> Tensor:
    """The wrong-answer half of ``[..., 2D]`` rows mixed with the right-answer half by the
    score (a partial score mixes both)."""
    d = pair.shape[-1] // 2
    c = correct.unsqueeze(-1)
    return pair[..., :d] * (1.0 - c) + pair[..., d:] * c


def _table(rows: int, cols: int, std: float) -> nn.Parameter:
    return nn.Parameter(torch.randn(rows, cols) * std)


class Recurrent(nn.Module):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            input_size,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(dropout)

    def embed(self, skills: Tensor, items: Tensor, correct: Tensor, feats: Tensor) -> Tensor:
        raise NotImplementedError

    def head(self, h: Tensor, skills: Tensor, items: Tensor, feats: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(
        self,
        skills: Tensor,
        items: Tensor,
        correct: Tensor,
        feats: Tensor,
        state: State | None = None,
    ) -> tuple[Tensor, State]:
        """Logits ``[B, T]`` of every response from the state before it, and the state after
        the last one (``state`` is the state before the first; zeros when ``None``)."""
        x = self.drop(self.embed(skills, items, correct, feats))
        out, after = self.lstm(x, state)
        first = state[0][-1] if state is not None else out.new_zeros(out.shape[0], out.shape[2])
        before = torch.cat([first.unsqueeze(1), out[:, :-1]], dim=1)
        return self.head(self.drop(before), skills, items, feats), after


class DKTNet(Recurrent):
    """Piech et al. (2015): one embedding per (skill, correctness), one output unit per skill.
    A multi-skill response feeds the mean of its skills' embeddings and is predicted by the
    mean of its skills' output logits."""

    def __init__(self, n_skills: int, *, embed: int, hidden: int, layers: int, dropout: float):
        super().__init__(embed, hidden, layers, dropout)
        self.interaction = _table(n_skills, 2 * embed, 0.1)
        self.out = nn.Parameter(
            torch.cat([torch.randn(n_skills, hidden) * hidden**-0.5, torch.zeros(n_skills, 1)], 1)
        )

    def embed(self, skills: Tensor, items: Tensor, correct: Tensor, feats: Tensor) -> Tensor:
        return pick(skill_mean(self.interaction, skills), correct)

    def head(self, h: Tensor, skills: Tensor, items: Tensor, feats: Tensor) -> Tensor:
        w = skill_mean(self.out, skills)
        return (h * w[..., :-1]).sum(-1) + w[..., -1]


class RaschDKTNet(Recurrent):
    """DKT with AKT's Rasch item embeddings and PFA's practice counts.

    An item is its skills' concept vector moved along a per-skill variation vector by the
    item's scalar difficulty ``mu`` (Ghosh et al. 2020); the response adds a (skill,
    correctness) vector moved the same way. ``mu`` is the last feature: estimated in closed
    form from the training log (not learnt here), so a rare item cannot be memorised. The
    output is an MLP over the state, the next item's vector and the features, plus a linear
    term in the features.
    """

    def __init__(
        self,
        n_skills: int,
        n_features: int,
        *,
        embed: int,
        hidden: int,
        layers: int,
        dropout: float,
        mlp: int,
    ) -> None:
        super().__init__(embed, hidden, layers, dropout)
        self.concept = _table(n_skills, embed, 0.1)
        self.variation = _table(n_skills, embed, 0.1)
        self.response = _table(n_skills, 2 * embed, 0.1)
        self.response_variation = _table(n_skills, 2 * embed, 0.1)
        self.mlp = nn.Sequential(
            nn.Linear(hidden + embed + n_features, mlp),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(mlp, 1),
        )
        self.skip = nn.Linear(n_features, 1, bias=False)
        nn.init.zeros_(self.skip.weight)

    def question(self, skills: Tensor, mu: Tensor) -> Tensor:
        return skill_mean(self.concept, skills) + mu * skill_mean(self.variation, skills)

    def embed(self, skills: Tensor, items: Tensor, correct: Tensor, feats: Tensor) -> Tensor:
        mu = feats[..., -1:]
        return (
            self.question(skills, mu)
            + pick(skill_mean(self.response, skills), correct)
            + mu * pick(skill_mean(self.response_variation, skills), correct)
        )

    def head(self, h: Tensor, skills: Tensor, items: Tensor, feats: Tensor) -> Tensor:
        q = self.question(skills, feats[..., -1:])
        logit = self.mlp(torch.cat([h, q, feats], dim=-1)) + self.skip(feats)
        return logit.squeeze(-1)
