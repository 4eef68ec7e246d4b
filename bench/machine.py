"""What every benchmark records beside its numbers: the machine it ran on and the versions."""

from __future__ import annotations

import contextlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

BASE_DISTRIBUTIONS = ("learnloop", "numpy", "scipy", "scikit-learn", "torch")


def machine() -> dict[str, Any]:
    """CPU model, cores, Python, platform and the load average at the start (the cores are
    shared, so a busy machine makes every time an upper bound)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": ", ".join(f"{v:.1f}" for v in os.getloadavg()),
    }


def versions(*extra: str) -> dict[str, str]:
    """Installed versions of learnloop's numeric stack and of ``extra`` distributions."""
    out = {}
    for dist in (*BASE_DISTRIBUTIONS, *extra):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def write_report(results: Path, name: str, report: dict[str, Any], markdown: str) -> Path:
    """``results/<name>-<date>.json`` (the report) and ``.md`` (``markdown``); the stem."""
    results.mkdir(parents=True, exist_ok=True)
    stem = results / f"{name}-{report['date'][:10]}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(markdown)
    return stem
