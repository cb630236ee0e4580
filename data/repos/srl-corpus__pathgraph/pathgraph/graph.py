"""The graph type: nodes, weighted edges, directed or undirected."""

from __future__ import annotations


class GraphError(ValueError):
    """Unknown node, negative weight, or an operation the graph kind does not allow."""


class Graph:
    """Adjacency map ``node -> {neighbour: weight}``; nodes keep their insertion order."""

    def __init__(self, directed=True):
        self.directed = directed
        self._adjacent = {}

    def add_node(self, node):
        self._adjacent.setdefault(node, {})

    def add_edge(self, source, target, weight=1):
        """Add or replace an edge; undirected graphs store it both ways."""
        if weight < 0:
            raise GraphError(f"negative weight {weight} on {source}->{target}")
        self.add_node(source)
        self.add_node(target)
        self._adjacent[source][target] = weight
        if not self.directed:
            self._adjacent[target][source] = weight

    def remove_edge(self, source, target):
        if target not in self._adjacent.get(source, {}):
            raise GraphError(f"no edge {source}->{target}")
        del self._adjacent[source][target]
        if not self.directed:
            del self._adjacent[target][source]

    def remove_node(self, node):
        self._require(node)
        del self._adjacent[node]
        for neighbours in self._adjacent.values():
            neighbours.pop(node, None)

    def _require(self, node):
        if node not in self._adjacent:
            raise GraphError(f"unknown node {node!r}")

    def nodes(self):
        return list(self._adjacent)

    def neighbours(self, node):
        self._require(node)
        return list(self._adjacent[node])

    def weight(self, source, target):
        try:
            return self._adjacent[source][target]
        except KeyError:
            raise GraphError(f"no edge {source}->{target}") from None

    def has_edge(self, source, target):
        return target in self._adjacent.get(source, {})

    def edges(self):
        """(source, target, weight) triples; an undirected edge is listed once."""
        seen = set()
        result = []
        for source, neighbours in self._adjacent.items():
            for target, weight in neighbours.items():
                key = (source, target) if self.directed else frozenset((source, target))
                if key in seen:
                    continue
                seen.add(key)
                result.append((source, target, weight))
        return result

    def out_degree(self, node):
        self._require(node)
        return len(self._adjacent[node])

    def in_degree(self, node):
        self._require(node)
        return sum(1 for neighbours in self._adjacent.values() if node in neighbours)

    def reversed(self):
        """A copy with every edge turned around (an undirected graph is its own reverse)."""
        copy = Graph(self.directed)
        for node in self._adjacent:
            copy.add_node(node)
        for source, target, weight in self.edges():
            if self.directed:
                copy.add_edge(target, source, weight)
            else:
                copy.add_edge(source, target, weight)
        return copy

    def total_weight(self):
        return sum(weight for _, _, weight in self.edges())

    def __len__(self):
        return len(self._adjacent)

    def __contains__(self, node):
        return node in self._adjacent
