"""Saved models: a directory with config, numpy weights and a card; identical after loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from learnloop.errors import InvalidInputError, NotFittedError
from learnloop.tracing import BKT, MODELS, InteractionLog, Response, load_model, make_model
from learnloop.tracing.deep import DeepTracer
from learnloop.tracing.stack import StackedTracer

CLASSIC = sorted(
    name
    for name, cls in MODELS.items()
    if not issubclass(cls, DeepTracer) and cls is not StackedTracer
)
"""Models of the core install; the deep ones (torch) are tested in test_deep.py."""


@pytest.mark.parametrize("name", CLASSIC)
def test_round_trip_gives_identical_predictions(
    name: str, tmp_path: Path, logistic_logs: tuple[InteractionLog, InteractionLog]
) -> None:
    train, test = logistic_logs
    params = {"forgets": True} if name == "bkt" else {}
    model = make_model(name, **params).fit(train)
    path = model.save(tmp_path / name)
    assert sorted(p.name for p in path.iterdir()) == ["README.md", "config.json", "weights.npz"]
    config = json.loads((path / "config.json").read_text())
    assert config["model"] == name
    assert {"numpy", "scipy", "python", "learnloop"} <= set(config["library_versions"])
    with np.load(path / "weights.npz", allow_pickle=False) as weights:
        assert weights.files
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(test), model.predict_proba(test))
    response = test.response(0)
    state = loaded.update(loaded.initial_state(), response)
    assert loaded.predict_next(state, skills=response.skills, item=response.item) == (
        model.predict_next(
            model.update(model.initial_state(), response),
            skills=response.skills,
            item=response.item,
        )
    )


def test_loading_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a saved tracing model"):
        load_model(tmp_path)


def test_loading_with_the_wrong_class(tmp_path: Path, bkt_log: InteractionLog) -> None:
    make_model("pfa").fit(bkt_log).save(tmp_path / "m")
    with pytest.raises(InvalidInputError, match="holds a 'pfa' model"):
        BKT.load(tmp_path / "m")


def test_saving_an_unfitted_model_fails(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        BKT().save(tmp_path / "m")


def test_unknown_model_name() -> None:
    with pytest.raises(InvalidInputError, match="choose one of bkt, pfa, irt, dkt"):
        make_model("lstm")
    with pytest.raises(InvalidInputError, match="bad hyper-parameter"):
        make_model("bkt", nonsense=1)


def test_states_are_json(logistic_logs: tuple[InteractionLog, InteractionLog]) -> None:
    for name in CLASSIC:
        model = make_model(name).fit(logistic_logs[0])
        state = model.update(model.initial_state(), Response(skills=("k0", "k1"), correct=1))
        assert json.loads(json.dumps(state)) == json.loads(json.dumps(state))


def test_a_save_that_fails_midway_leaves_the_saved_config_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The config is what a running server watches: it is replaced whole or not at all, so a
    reader never loads half a file (a background re-fit saving while answers are read)."""
    from learnloop.tracing import io

    path = io.save_model_dir(
        tmp_path / "m",
        model="bkt",
        hyperparameters={},
        arrays={"a": np.zeros(2)},
        info={"responses": 1},
        card="first",
    )
    before = (path / "config.json").read_text()
    write_text = Path.write_text

    def crash_midway(self: Path, data: str, *args: object, **kwargs: object) -> int:
        if self.name.startswith("config.json"):  # the process dies half-way through
            write_text(self, data[: len(data) // 2])
            raise OSError("no space left on device")
        return write_text(self, data)

    monkeypatch.setattr(Path, "write_text", crash_midway)
    with pytest.raises(OSError):
        io.save_model_dir(
            path,
            model="bkt",
            hyperparameters={},
            arrays={"a": np.ones(2)},
            info={"responses": 2},
            card="second",
        )
    assert (path / "config.json").read_text() == before
