"""The deep tracers (``ml`` extra): they learn, save, serve online and never see a label early."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from learnloop.errors import MissingExtraError, NotFittedError
from learnloop.tracing import (
    MODELS,
    InteractionLog,
    Response,
    load_model,
    make_model,
    read_sequences,
)
from learnloop.tracing.deep import DeepTracer
from learnloop.tracing.evaluate import metrics, scored

from .conftest import multi_skill_log, numeric, write_sequences

DEEP = sorted(name for name, cls in MODELS.items() if issubclass(cls, DeepTracer))
SMALL = {"embed_size": 16, "hidden_size": 32, "max_epochs": 8, "patience": 2, "threads": 1}


@pytest.fixture(scope="module")
def torch() -> object:
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def split() -> tuple[InteractionLog, InteractionLog]:
    log = multi_skill_log(n_students=300, length=30, seed=4)
    students = np.unique(log.student)
    return log.select_students(students[:220]), log.select_students(students[220:])


@pytest.fixture(scope="module")
def fitted(torch: object, split: tuple[InteractionLog, InteractionLog]) -> dict[str, DeepTracer]:
    out = {}
    for name in DEEP:
        model = make_model(name, **SMALL).fit(split[0])
        assert isinstance(model, DeepTracer)
        out[name] = model
    return out


def test_both_deep_models_are_registered() -> None:
    assert {"dkt", "dkt-rasch"} <= set(DEEP)


@pytest.mark.parametrize("name", DEEP)
def test_learns_better_than_chance(
    name: str, fitted: dict[str, DeepTracer], split: tuple[InteractionLog, InteractionLog]
) -> None:
    test = split[1]
    p = fitted[name].predict_proba(test)
    mask = scored(test)
    assert metrics(test.correct[mask], p[mask])["auc"] > 0.7
    assert fitted[name].info_["best_epoch"] >= 1


@pytest.mark.parametrize("name", DEEP)
def test_saved_directory_predicts_the_same(
    name: str,
    fitted: dict[str, DeepTracer],
    split: tuple[InteractionLog, InteractionLog],
    tmp_path: Path,
) -> None:
    path = fitted[name].save(tmp_path / name)
    assert {p.name for p in path.iterdir()} == {"config.json", "weights.npz", "README.md"}
    config = json.loads((path / "config.json").read_text())
    assert config["model"] == name
    assert config["library_versions"]["torch"] != "not installed"
    with np.load(path / "weights.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    loaded = load_model(path)
    np.testing.assert_array_equal(
        loaded.predict_proba(split[1]), fitted[name].predict_proba(split[1])
    )


@pytest.mark.parametrize("name", DEEP)
def test_online_updates_match_batch_predictions(
    name: str, fitted: dict[str, DeepTracer], split: tuple[InteractionLog, InteractionLog]
) -> None:
    model, test = fitted[name], split[1]
    batch = model.predict_proba(test)
    for code in np.unique(test.student)[:3]:
        state = model.initial_state()
        online = []
        for i in np.flatnonzero(test.student == code):
            response = test.response(int(i))
            online.append(model.predict_next(state, skills=response.skills, item=response.item))
            before = json.dumps(state)
            state = model.update(state, response)
            assert json.dumps(state) != before
        np.testing.assert_allclose(online, batch[test.student == code], atol=1e-5)


@pytest.mark.parametrize("name", DEEP)
def test_a_long_history_is_one_sequence_not_windows(name: str, torch: object) -> None:
    """Training cuts sequences into windows but carries the state across them, so a
    student's 60th answer is predicted from all 59 before it, online and in batch."""
    log = multi_skill_log(n_students=120, length=60, seed=5)
    model = make_model(name, **{**SMALL, "window": 16, "max_epochs": 2}).fit(log)
    p = model.predict_proba(log)
    code = log.student[0]
    state = model.initial_state()
    online = []
    for i in np.flatnonzero(log.student == code):
        r = log.response(int(i))
        online.append(model.predict_next(state, skills=r.skills, item=r.item))
        state = model.update(state, r)
    np.testing.assert_allclose(online, p[log.student == code], atol=1e-5)


@pytest.mark.parametrize("name", DEEP)
def test_unseen_skills_and_items_still_get_a_prediction(
    name: str, fitted: dict[str, DeepTracer]
) -> None:
    model = fitted[name]
    state = model.initial_state()
    p = model.predict_next(state, skills=["never-seen"], item="new-item")
    state = model.update(state, Response(skills=("never-seen", "k1"), correct=1.0))
    q = model.predict_next(state, skills=["k1"], item="i3")
    assert 0.0 < p < 1.0 and 0.0 < q < 1.0


@pytest.mark.parametrize("name", DEEP)
def test_flipping_a_label_does_not_change_its_prediction(
    name: str, fitted: dict[str, DeepTracer], split: tuple[InteractionLog, InteractionLog]
) -> None:
    model, log = fitted[name], split[1]
    starts = np.flatnonzero(log.first_of_sequence())
    pos = np.arange(len(log)) - np.repeat(starts, np.diff(np.r_[starts, len(log)]))
    flipped = InteractionLog(
        **{
            **log.__dict__,
            "correct": np.where(pos >= 10, 1 - log.correct, log.correct).astype(np.int8),
        }
    )
    before, after = model.predict_proba(log), model.predict_proba(flipped)
    np.testing.assert_array_equal(before[pos <= 10], after[pos <= 10])
    assert not np.allclose(before[pos > 10], after[pos > 10])


@pytest.mark.parametrize("name", DEEP)
def test_expanded_multi_skill_rows_do_not_leak(name: str, torch: object, tmp_path: Path) -> None:
    """Coin-flip labels on multi-skill items written one row per skill: copying the first
    copy's label would score AUC 1 on the copies; read back as one response each, the model
    is at chance on them."""
    log = numeric(multi_skill_log(n_students=200, random=True, seed=2))
    students = np.unique(log.student)
    train = read_sequences(write_sequences(tmp_path / "a", log.select_students(students[:120])))
    test = read_sequences(write_sequences(tmp_path / "b", log.select_students(students[120:])))
    assert (np.diff(test.skill_ptr) > 1).all()
    p = make_model(name, **SMALL).fit(train).predict_proba(test)
    mask = scored(test)
    assert metrics(test.correct[mask], p[mask])["auc"] < 0.58


@pytest.mark.parametrize("name", DEEP)
def test_fit_uses_given_validation_students(
    name: str, torch: object, split: tuple[InteractionLog, InteractionLog]
) -> None:
    train, valid = split
    model = make_model(name, **{**SMALL, "max_epochs": 1})
    assert isinstance(model, DeepTracer)
    model.fit(train, valid=valid)
    assert model.info_["valid_students"] == valid.n_students
    assert model.info_["students"] == train.n_students


@pytest.mark.parametrize("name", DEEP)
def test_not_fitted_until_fit(name: str, split: tuple[InteractionLog, InteractionLog]) -> None:
    model = make_model(name)
    with pytest.raises(NotFittedError):
        model.predict_proba(split[1])
    with pytest.raises(NotFittedError):
        model.initial_state()
    with pytest.raises(NotFittedError):
        model.save("unused")


@pytest.mark.parametrize("name", DEEP)
def test_same_seed_same_model(
    name: str, torch: object, split: tuple[InteractionLog, InteractionLog]
) -> None:
    params = {**SMALL, "max_epochs": 2, "random_state": 3}
    a = make_model(name, **params).fit(split[0]).predict_proba(split[1])
    b = make_model(name, **params).fit(split[0]).predict_proba(split[1])
    np.testing.assert_array_equal(a, b)


def test_without_torch_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, split: tuple[InteractionLog, InteractionLog]
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'learnloop\[ml\]'"):
        make_model("dkt").fit(split[0])
