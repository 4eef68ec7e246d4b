"""The stacked model: better than its members, honest about labels, saved and served online."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from learnloop.errors import InvalidInputError
from learnloop.tracing import InteractionLog, StackedTracer, load_model, make_model, read_sequences
from learnloop.tracing.evaluate import metrics, scored
from learnloop.tracing.trees import TreeEnsemble

from .conftest import multi_skill_log, numeric, write_sequences

CORE = ("bkt", "pfa", "irt")
"""Members of the core install; the default stack adds dkt-rasch (torch)."""


@pytest.fixture(scope="module")
def split() -> tuple[InteractionLog, InteractionLog]:
    log = multi_skill_log(n_students=400, length=30, seed=5)
    students = np.unique(log.student)
    return log.select_students(students[:300]), log.select_students(students[300:])


@pytest.fixture(scope="module")
def stack(split: tuple[InteractionLog, InteractionLog]) -> StackedTracer:
    model = make_model("stack", members=CORE).fit(split[0])
    assert isinstance(model, StackedTracer)
    return model


def _auc(model, log: InteractionLog) -> float:  # type: ignore[no-untyped-def]
    mask = scored(log)
    return metrics(log.correct[mask], model.predict_proba(log)[mask])["auc"]


def test_predicts_as_well_as_its_best_member(
    stack: StackedTracer, split: tuple[InteractionLog, InteractionLog]
) -> None:
    test = split[1]
    best = max(_auc(m, test) for m in stack.members_.values())
    assert _auc(stack, test) > 0.65
    assert _auc(stack, test) >= best - 0.01


def test_saved_directory_holds_every_member_and_predicts_the_same(
    stack: StackedTracer, split: tuple[InteractionLog, InteractionLog], tmp_path: Path
) -> None:
    path = stack.save(tmp_path / "stack")
    assert sorted(p.name for p in (path / "members").iterdir()) == sorted(CORE)
    config = json.loads((path / "config.json").read_text())
    assert config["model"] == "stack" and config["hyperparameters"]["members"] == list(CORE)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(split[1]), stack.predict_proba(split[1]))


def test_online_updates_match_batch_predictions(
    stack: StackedTracer, split: tuple[InteractionLog, InteractionLog]
) -> None:
    test = split[1]
    batch = stack.predict_proba(test)
    for code in np.unique(test.student)[:3]:
        state = stack.initial_state()
        for i in np.flatnonzero(test.student == code):
            r = test.response(i)
            online = stack.predict_next(state, skills=r.skills, item=r.item)
            assert online == pytest.approx(batch[i], abs=1e-9)
            state = stack.update(state, r)
    assert json.loads(json.dumps(state)) == state


def test_flipping_a_label_does_not_change_its_prediction(stack: StackedTracer) -> None:
    log = multi_skill_log(n_students=60, seed=9)
    starts = np.flatnonzero(log.first_of_sequence())
    pos = np.arange(len(log)) - np.repeat(starts, np.diff(np.r_[starts, len(log)]))
    flipped = InteractionLog(
        **{
            **log.__dict__,
            "correct": np.where(pos >= 10, 1 - log.correct, log.correct).astype(np.int8),
        }
    )
    before, after = stack.predict_proba(log), stack.predict_proba(flipped)
    np.testing.assert_array_equal(before[pos <= 10], after[pos <= 10])
    assert not np.allclose(before[pos > 10], after[pos > 10])


def test_expanded_multi_skill_rows_do_not_leak(tmp_path: Path) -> None:
    log = numeric(multi_skill_log(n_students=240, random=True, seed=2))
    students = np.unique(log.student)
    train = read_sequences(
        write_sequences(tmp_path / "train.csv", log.select_students(students[:160]))
    )
    test = read_sequences(
        write_sequences(tmp_path / "test.csv", log.select_students(students[160:]))
    )
    p = make_model("stack", members=CORE).fit(train).predict_proba(test)
    mask = scored(test)
    assert metrics(test.correct[mask], p[mask])["auc"] < 0.58


def test_trees_as_arrays_score_like_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 5))
    x[rng.random(x.shape) < 0.05] = np.nan
    y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) ** 2 + rng.normal(size=2000) > 1).astype(
        int
    )
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(x, y)
    trees = TreeEnsemble.from_arrays(TreeEnsemble.from_sklearn(model).arrays())
    np.testing.assert_allclose(trees.decision(x), model.decision_function(x), atol=1e-9)
    assert trees.decision_one(list(x[3])) == pytest.approx(model.decision_function(x[3:4])[0])


def test_bad_settings_are_refused(split: tuple[InteractionLog, InteractionLog]) -> None:
    with pytest.raises(InvalidInputError, match="blend_fraction"):
        make_model("stack", members=CORE, blend_fraction=1.5).fit(split[0])
    with pytest.raises(InvalidInputError, match="unknown tracing model 'lstm'"):
        make_model("stack", members=("bkt", "lstm")).fit(split[0])
    with pytest.raises(InvalidInputError, match="more students"):
        make_model("stack", members=CORE).fit(split[0].select_students(np.arange(4)))


def test_tree_blender_saves_and_serves_online(
    split: tuple[InteractionLog, InteractionLog], tmp_path: Path
) -> None:
    """Big platforms get the tree blender; it must load and run online like the linear one."""
    model = make_model("stack", members=CORE, blender="trees").fit(split[0])
    assert model.info_["blender"] == "trees" and model.info_["trees"] > 0
    test = split[1]
    loaded = load_model(model.save(tmp_path / "stack"))
    batch = model.predict_proba(test)
    np.testing.assert_array_equal(loaded.predict_proba(test), batch)
    state = loaded.initial_state()
    for i in np.flatnonzero(test.student == test.student[0]):
        r = test.response(i)
        assert loaded.predict_next(state, skills=r.skills, item=r.item) == pytest.approx(
            batch[i], abs=1e-9
        )
        state = loaded.update(state, r)


def test_the_default_stack_with_deep_members(
    split: tuple[InteractionLog, InteractionLog], tmp_path: Path
) -> None:
    """The default members (with torch): each saved in its folder, the stack served online."""
    pytest.importorskip("torch")
    small = {"embed_size": 8, "hidden_size": 16, "max_epochs": 2, "patience": 1}
    model = make_model("stack", member_params={"dkt": small, "dkt-rasch": small}, threads=1).fit(
        split[0]
    )
    assert set(model.members_) == {"bkt", "pfa", "irt", "dkt", "dkt-rasch"}
    loaded = load_model(model.save(tmp_path / "stack"))
    test = split[1]
    batch = loaded.predict_proba(test)
    np.testing.assert_array_equal(batch, model.predict_proba(test))
    state = loaded.initial_state()
    for i in np.flatnonzero(test.student == test.student[0]):
        r = test.response(i)
        assert loaded.predict_next(state, skills=r.skills, item=r.item) == pytest.approx(
            batch[i], abs=1e-4
        )
        state = loaded.update(state, r)
