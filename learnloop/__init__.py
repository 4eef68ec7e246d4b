"""learnloop: a self-hostable personalized-learning system.

An LLM tutor and an assessment engine joined in one closed loop. See README.md and docs/.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
