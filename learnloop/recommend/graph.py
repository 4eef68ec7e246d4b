"""The course's concept graph: which concepts are ready, how deep each one sits, what a goal
needs first. Every place that walks prerequisites (the recommender, the course map, the tutor's
focus, the course validator) asks this one class, which keeps a ``networkx`` graph with an edge
from each prerequisite to the concept that needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from itertools import islice

import networkx as nx

CYCLES_PER_COMPONENT = 20


class ConceptGraph:
    """Concepts (any hashable key: a pack's ids or database ids) in course order, and their
    prerequisites. Prerequisites naming unknown concepts are ignored, so a half-edited course
    still draws; a cycle is allowed here (``cycles`` reports it) and depths treat it as flat."""

    def __init__(self, concepts: Iterable[str], prerequisites: Mapping[str, Iterable[str]]) -> None:
        self.order: tuple[str, ...] = tuple(dict.fromkeys(concepts))
        self.rank = {c: n for n, c in enumerate(self.order)}
        g: nx.DiGraph[str] = nx.DiGraph()
        g.add_nodes_from(self.order)
        for concept, needs in prerequisites.items():
            if concept not in self.rank:
                continue
            for pre in needs:
                if pre in self.rank:
                    g.add_edge(pre, concept)
        self.g = g

    def __contains__(self, concept: object) -> bool:
        return concept in self.rank

    def __len__(self) -> int:
        return len(self.order)

    def _sorted(self, concepts: Iterable[str]) -> list[str]:
        return sorted(concepts, key=self.rank.__getitem__)

    def prerequisites(self, concept: str) -> list[str]:
        """Direct prerequisites in course order."""
        return self._sorted(self.g.predecessors(concept))

    def dependents(self, concept: str) -> list[str]:
        """Concepts that need ``concept`` directly, in course order."""
        return self._sorted(self.g.successors(concept))

    def ancestors(self, concept: str) -> list[str]:
        """Everything ``concept`` needs first, directly or not, in course order."""
        return self._sorted(nx.ancestors(self.g, concept))

    def descendants(self, concept: str) -> list[str]:
        return self._sorted(nx.descendants(self.g, concept))

    @cached_property
    def reach(self) -> dict[str, int]:
        """How many concepts need each one, directly or not (the recommender weighs by it on
        every choice, so it is counted once)."""
        return {c: len(nx.descendants(self.g, c)) for c in self.order}

    def is_ready(self, concept: str, mastered: set[str] | frozenset[str]) -> bool:
        return all(p in mastered for p in self.g.predecessors(concept))

    def ready(self, mastered: set[str] | frozenset[str]) -> list[str]:
        """Concepts not yet mastered whose every prerequisite is, in course order."""
        return [c for c in self.order if c not in mastered and self.is_ready(c, mastered)]

    @cached_property
    def cycles(self) -> list[list[str]]:
        """Each elementary cycle once, written concept -> prerequisite and starting at its
        earliest concept in course order. A tangle of prerequisites can hold exponentially many
        cycles; a strongly connected part with more than ``CYCLES_PER_COMPONENT`` reports
        instead the shortest cycle through each of its first concepts, enough to show a course
        author where to cut."""
        out: dict[tuple[str, ...], None] = {}
        for component in nx.strongly_connected_components(self.g):
            first = next(iter(component))
            if len(component) == 1 and not self.g.has_edge(first, first):
                continue
            sub = self.g.subgraph(component)
            found = list(islice(nx.simple_cycles(sub), CYCLES_PER_COMPONENT + 1))
            if len(found) > CYCLES_PER_COMPONENT:
                firsts = self._sorted(component)[:CYCLES_PER_COMPONENT]
                found = [self._shortest_cycle(sub, c) for c in firsts]
            for cycle in found:
                # the graph's edges point prerequisite -> concept; report concept -> prerequisite
                cycle = list(reversed(cycle))
                start = min(range(len(cycle)), key=lambda i: self.rank[cycle[i]])
                out[tuple(cycle[start:] + cycle[:start])] = None
        return sorted(map(list, out), key=lambda c: [self.rank[x] for x in c])

    @staticmethod
    def _shortest_cycle(g: nx.DiGraph[str], concept: str) -> list[str]:
        """The shortest cycle through ``concept`` (on one), along the graph's edges."""
        if g.has_edge(concept, concept):
            return [concept]
        parent = {}
        for u, v in nx.bfs_edges(g, concept):
            parent[v] = u
            if g.has_edge(v, concept):
                path = [v]
                while path[-1] != concept:
                    path.append(parent[path[-1]])
                return path[::-1]
        raise ValueError(f"{concept!r} is on no cycle")

    @cached_property
    def _acyclic(self) -> nx.DiGraph[str]:
        """The graph without the edges inside a cycle: every edge inside a strongly connected
        part lies on some cycle, so this drops exactly the edges of every cycle, in linear
        time however many cycles there are."""
        if nx.is_directed_acyclic_graph(self.g):
            return self.g
        part = {
            c: n
            for n, component in enumerate(nx.strongly_connected_components(self.g))
            for c in component
        }
        dag: nx.DiGraph[str] = nx.DiGraph()
        dag.add_nodes_from(self.order)
        dag.add_edges_from((a, b) for a, b in self.g.edges if part[a] != part[b])
        return dag

    @cached_property
    def depth(self) -> dict[str, int]:
        """Length of the longest prerequisite chain below each concept (0: needs nothing).
        Concepts on a cycle are treated as if the cycle's edges were not there."""
        g = self._acyclic
        depth: dict[str, int] = {}
        for c in nx.lexicographical_topological_sort(g, key=self.rank.__getitem__):
            depth[c] = max((depth[p] + 1 for p in g.predecessors(c)), default=0)
        return depth

    def layers(self) -> list[list[str]]:
        """Concepts grouped by depth, each layer in course order."""
        out: list[list[str]] = [[] for _ in range(max(self.depth.values(), default=-1) + 1)]
        for c in self.order:
            out[self.depth[c]].append(c)
        return out

    def path_to(self, goal: str, mastered: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """What to learn, in a good order, to reach ``goal``: its unmastered ancestors and the
        goal itself (if unmastered), each after its own prerequisites, shallow and early
        concepts first. Mastered concepts are skipped; their own prerequisites are still
        listed when unmastered, since the path must hold up on its own."""
        needed = {*nx.ancestors(self.g, goal), goal} - set(mastered)
        sub = self._acyclic.subgraph(needed)
        return list(
            nx.lexicographical_topological_sort(sub, key=lambda c: (self.depth[c], self.rank[c]))
        )

    def weakest_prerequisite(
        self, concept: str, mastery: Mapping[str, float], *, below: float
    ) -> str | None:
        """The ancestor of ``concept`` with the lowest mastery under ``below``, the deepest
        cause first: among equally weak ones, the one nearest the graph's roots."""
        weak = [a for a in nx.ancestors(self.g, concept) if mastery.get(a, 0.0) < below]
        if not weak:
            return None
        return min(weak, key=lambda a: (round(mastery.get(a, 0.0), 3), self.depth[a], self.rank[a]))
