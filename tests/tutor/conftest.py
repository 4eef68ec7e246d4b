"""Tiny stand-ins for the model part packages: real packages on sys.path, a few bytes each."""

from __future__ import annotations

import hashlib
import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from learnloop.tutor import weights
from learnloop.tutor.weights import LocalModel


@dataclass
class TinyModel:
    spec: LocalModel
    chunks: list[bytes]

    @property
    def content(self) -> bytes:
        return b"".join(self.chunks)


@pytest.fixture
def tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., TinyModel]:
    """Installs part packages holding ``chunks`` and registers them as local model ``name``
    (replacing a real one keeps the CLI's choices valid)."""

    def make(
        name: str = "tiny",
        chunks: tuple[bytes, ...] = (b"GGUF-part-one|", b"part-two|", b"three"),
        *,
        sha256: str | None = None,
        missing: int | None = None,
    ) -> TinyModel:
        site = tmp_path / "site"
        prefix = f"tinypart_{uuid.uuid4().hex[:8]}"
        modules = []
        for i, chunk in enumerate(chunks, start=1):
            module = f"{prefix}_part{i}"
            modules.append(module)
            if i == missing:
                continue
            package = site / module
            (package / "data").mkdir(parents=True)
            (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
            (package / "__init__.py").write_text(
                "import os\n"
                "def get_part_path():\n"
                "    base_dir = os.path.dirname(os.path.abspath(__file__))\n"
                f"    return os.path.join(base_dir, 'data', 'part{i:02d}.bin')\n"
            )
        monkeypatch.syspath_prepend(str(site))
        importlib.invalidate_caches()
        content = b"".join(chunks)
        spec = LocalModel(
            name=name,
            title=f"{name} test model",
            parts=tuple(modules),
            file_name=f"{name}.gguf",
            size=len(content),
            sha256=sha256 or hashlib.sha256(content).hexdigest(),
        )
        monkeypatch.setitem(weights.LOCAL_MODELS, name, spec)
        return TinyModel(spec, list(chunks))

    return make
