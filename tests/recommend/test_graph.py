"""The concept graph on small hand-built courses, where the right answer can be read off."""

from __future__ import annotations

import time

from learnloop.recommend.graph import CYCLES_PER_COMPONENT, ConceptGraph


def diamond() -> ConceptGraph:
    """a; b and c need a; d needs b and c; e needs a and d."""
    return ConceptGraph("abcde", {"b": ["a"], "c": ["a"], "d": ["c", "b"], "e": ["a", "d"]})


def chain(n: int, *, closed: bool = False) -> ConceptGraph:
    keys = [f"c{i}" for i in range(n)]
    needs = {keys[i]: [keys[i - 1]] for i in range(1, n)}
    if closed:
        needs[keys[0]] = [keys[-1]]
    return ConceptGraph(keys, needs)


def test_ready_concepts_are_unmastered_with_every_prerequisite_mastered() -> None:
    g = diamond()
    assert g.ready(set()) == ["a"]
    assert g.ready({"a"}) == ["b", "c"]
    assert g.ready({"a", "b"}) == ["c"]
    assert g.ready({"a", "b", "c"}) == ["d"]
    assert g.ready(set("abcde")) == []
    assert not g.is_ready("d", {"a", "b"})
    assert g.is_ready("d", {"b", "c"})


def test_direct_prerequisites_and_dependents_in_course_order() -> None:
    g = diamond()
    assert g.prerequisites("d") == ["b", "c"]
    assert g.dependents("a") == ["b", "c", "e"]
    assert g.prerequisites("a") == []


def test_depth_is_the_longest_chain_below() -> None:
    assert diamond().depth == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3}
    assert diamond().layers() == [["a"], ["b", "c"], ["d"], ["e"]]
    assert chain(4).depth == {"c0": 0, "c1": 1, "c2": 2, "c3": 3}
    assert ConceptGraph([], {}).layers() == []


def test_ancestors_and_descendants_follow_course_order_not_the_graph() -> None:
    # the course lists the goal first and its deepest prerequisite last
    g = ConceptGraph(["x", "b", "a"], {"x": ["b"], "b": ["a"]})
    assert g.ancestors("x") == ["b", "a"]
    assert g.descendants("a") == ["x", "b"]
    assert diamond().ancestors("e") == ["a", "b", "c", "d"]
    assert diamond().descendants("c") == ["d", "e"]


def test_path_to_a_goal_puts_prerequisites_first_and_skips_what_is_mastered() -> None:
    g = diamond()
    assert g.path_to("d") == ["a", "b", "c", "d"]
    assert g.path_to("d", {"a"}) == ["b", "c", "d"]
    # a mastered step does not hide an unmastered concept below it
    assert g.path_to("d", {"b"}) == ["a", "c", "d"]
    assert g.path_to("a") == ["a"]
    assert g.path_to("d", set("abcd")) == []


def test_path_to_a_goal_takes_shallow_concepts_first() -> None:
    # goal needs m and n, m needs k; course order alone would go k, m, n
    g = ConceptGraph(["m", "k", "n", "goal"], {"goal": ["m", "n"], "m": ["k"]})
    assert g.path_to("goal") == ["k", "n", "m", "goal"]


def test_weakest_prerequisite_is_the_weakest_cause_nearest_the_roots() -> None:
    g = diamond()
    assert g.weakest_prerequisite("d", {"a": 0.9, "b": 0.3, "c": 0.2}, below=0.8) == "c"
    # equally weak: the shallower one, then the earlier one in the course
    assert g.weakest_prerequisite("e", dict.fromkeys("abcd", 0.3), below=0.8) == "a"
    assert g.weakest_prerequisite("d", {"a": 0.9, "b": 0.3, "c": 0.3}, below=0.8) == "b"
    assert g.weakest_prerequisite("d", {"a": 0.9, "b": 0.9, "c": 0.85}, below=0.8) is None
    assert g.weakest_prerequisite("a", {}, below=0.8) is None
    # never practised counts as not mastered
    assert g.weakest_prerequisite("b", {}, below=0.8) == "a"


def test_unknown_prerequisites_are_ignored() -> None:
    g = ConceptGraph(["a", "b"], {"b": ["a", "ghost"], "ghost": ["a"]})
    assert len(g) == 2 and "ghost" not in g and "b" in g
    assert g.prerequisites("b") == ["a"]
    assert g.ready({"a"}) == ["b"]
    assert g.depth == {"a": 0, "b": 1}


def test_each_cycle_is_reported_once_from_its_earliest_concept() -> None:
    # what the course validator reports (tests/courses/test_pack_problems.py)
    g = ConceptGraph(
        ["halves", "quarters", "eighths"],
        {"halves": ["quarters"], "quarters": ["eighths"], "eighths": ["halves", "quarters"]},
    )
    assert g.cycles == [["halves", "quarters", "eighths"], ["quarters", "eighths"]]
    assert ConceptGraph(["a", "b"], {"b": ["b", "a"]}).cycles == [["b"]]
    assert diamond().cycles == []


def test_a_cycle_is_drawn_flat_and_does_not_break_a_path() -> None:
    g = ConceptGraph("abcd", {"b": ["a", "c"], "c": ["b"], "d": ["c"]})
    assert g.cycles == [["b", "c"]]
    assert g.depth == {"a": 0, "b": 1, "c": 0, "d": 1}
    assert g.path_to("d") == ["a", "c", "b", "d"]
    assert g.ready(set()) == ["a"]


def test_a_tangle_reports_a_bounded_few_short_cycles_quickly() -> None:
    keys = [f"k{i}" for i in range(40)]
    start = time.perf_counter()
    g = ConceptGraph(keys, {k: [p for p in keys if p != k] for k in keys})
    cycles = g.cycles
    assert time.perf_counter() - start < 5
    assert 0 < len(cycles) <= CYCLES_PER_COMPONENT
    assert len({tuple(c) for c in cycles}) == len(cycles)
    assert all(len(c) == 2 for c in cycles)
    assert cycles[0] == ["k0", "k1"]
    assert set(g.depth.values()) == {0}


def test_a_long_chain_is_fast_and_needs_no_recursion() -> None:
    start = time.perf_counter()
    g = chain(5_000)
    assert g.cycles == []
    assert g.depth["c4999"] == 4_999
    assert len(g.layers()) == 5_000
    assert g.path_to("c4999", {"c0"})[:2] == ["c1", "c2"]
    assert len(g.ancestors("c4999")) == 4_999
    assert g.ready({"c0", "c1"}) == ["c2"]
    assert g.weakest_prerequisite("c4999", {}, below=0.8) == "c0"
    loop = chain(5_000, closed=True).cycles
    assert len(loop) == 1 and loop[0][:3] == ["c0", "c4999", "c4998"]
    assert time.perf_counter() - start < 10
