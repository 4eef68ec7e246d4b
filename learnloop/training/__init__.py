"""Training and measuring learned free-text graders: labelled examples, readers for public
datasets and the platform's own labels, fine-tuning, calibration and metrics.

The fine-tuning parts need the ``ml`` extra (torch, transformers, peft); examples, readers and
metrics work with the core install.
"""

from __future__ import annotations

from learnloop.training.examples import (
    LABEL_SETS,
    GradingDataset,
    GradingExample,
    convert_label,
)

__all__ = ["LABEL_SETS", "GradingDataset", "GradingExample", "convert_label"]
