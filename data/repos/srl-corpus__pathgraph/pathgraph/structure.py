"""Structure of a graph: topological order, components, cycles and minimum spanning trees."""

from __future__ import annotations

from pathgraph.graph import Graph, GraphError


def topological_order(graph):
    """Kahn's algorithm; ready nodes are taken in insertion order. Raises on a cycle."""
    if not graph.directed:
        raise GraphError("topological order needs a directed graph")
    indegree = {node: graph.in_degree(node) for node in graph.nodes()}
    ready = [node for node in graph.nodes() if indegree[node] == 0]
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for neighbour in graph.neighbours(node):
            indegree[neighbour] -= 1
            if indegree[neighbour] == 0:
                ready.append(neighbour)
    if len(order) != len(graph):
        raise GraphError("graph has a cycle")
    return order


def has_cycle(graph):
    """True when a directed graph has a directed cycle, or an undirected one a cycle."""
    if graph.directed:
        try:
            topological_order(graph)
        except GraphError:
            return True
        return False
    parent = {}
    for source, target, _ in graph.edges():
        if source == target:
            return True
        root_source, root_target = _find(parent, source), _find(parent, target)
        if root_source == root_target:
            return True
        parent[root_source] = root_target
    return False


def components(graph):
    """Connected components (weakly connected for directed graphs), each sorted by insertion order."""
    parent = {}
    for node in graph.nodes():
        _find(parent, node)
    for source, target, _ in graph.edges():
        root_source, root_target = _find(parent, source), _find(parent, target)
        if root_source != root_target:
            parent[root_source] = root_target
    groups = {}
    for node in graph.nodes():
        groups.setdefault(_find(parent, node), []).append(node)
    return list(groups.values())


def minimum_spanning_tree(graph):
    """Kruskal's algorithm on an undirected graph: a new Graph holding the tree (or forest)."""
    if graph.directed:
        raise GraphError("a spanning tree needs an undirected graph")
    tree = Graph(directed=False)
    for node in graph.nodes():
        tree.add_node(node)
    parent = {}
    for source, target, weight in sorted(graph.edges(), key=lambda edge: edge[2]):
        root_source, root_target = _find(parent, source), _find(parent, target)
        if root_source != root_target:
            parent[root_source] = root_target
            tree.add_edge(source, target, weight)
    return tree


def _find(parent, node):
    """Union-find root of ``node`` with path halving."""
    parent.setdefault(node, node)
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node
