"""Deep Knowledge Tracing (Piech et al. 2015): an LSTM over (skill, correctness) pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from learnloop.tracing.deep import DeepTracer

if TYPE_CHECKING:
    from learnloop.tracing.nets import Recurrent


class DKT(DeepTracer):
    """DKT with multi-skill responses: a response feeds the mean of its skills'
    (skill, correctness) embeddings, and is predicted by the mean of its skills' output
    logits from the state before it. Items are not used."""

    name = "dkt"
    title = "Deep Knowledge Tracing"
    summary = (
        "An LSTM over each student's (skill, correctness) responses; the next response is "
        "predicted from the state before it and the next item's skills (PyTorch, Adam, "
        "early stopping on held-out students)."
    )

    def __init__(
        self,
        *,
        embed_size: int = 64,
        hidden_size: int = 128,
        layers: int = 1,
        dropout: float = 0.2,
        lr: float = 2e-3,
        batch_size: int = 32,
        window: int = 200,
        max_epochs: int = 30,
        patience: int = 3,
        valid_fraction: float = 0.1,
        threads: int | None = None,
        random_state: int | None = 0,
        verbose: bool | None = None,
    ) -> None:
        self.embed_size = embed_size
        self.hidden_size = hidden_size
        self.layers = layers
        self.dropout = dropout
        self.lr = lr
        self.batch_size = batch_size
        self.window = window
        self.max_epochs = max_epochs
        self.patience = patience
        self.valid_fraction = valid_fraction
        self.threads = threads
        self.random_state = random_state
        self.verbose = verbose

    def _network(self, n_skills: int, n_items: int) -> Recurrent:
        from learnloop.tracing.nets import DKTNet

        return DKTNet(
            n_skills,
            embed=self.embed_size,
            hidden=self.hidden_size,
            layers=self.layers,
            dropout=self.dropout,
        )
