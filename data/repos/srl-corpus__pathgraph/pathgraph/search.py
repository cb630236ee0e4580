"""Unweighted traversals: breadth-first and depth-first order, reachability, hop counts."""

from __future__ import annotations

from collections import deque


def bfs_order(graph, start):
    """Nodes reachable from ``start`` in breadth-first order (neighbours in insertion order)."""
    graph.neighbours(start)  # raises for an unknown start
    order = [start]
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for neighbour in graph.neighbours(node):
            if neighbour not in seen:
                seen.add(neighbour)
                order.append(neighbour)
                queue.append(neighbour)
    return order


def dfs_order(graph, start):
    """Nodes reachable from ``start`` in depth-first preorder (neighbours in insertion order)."""
    graph.neighbours(start)
    order = []
    seen = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        for neighbour in reversed(graph.neighbours(node)):
            if neighbour not in seen:
                stack.append(neighbour)
    return order


def has_path(graph, source, target):
    if source not in graph or target not in graph:
        return False
    return target in bfs_order(graph, source)


def hop_distances(graph, start):
    """Fewest edges from ``start`` to each reachable node."""
    distances = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for neighbour in graph.neighbours(node):
            if neighbour not in distances:
                distances[neighbour] = distances[node] + 1
                queue.append(neighbour)
    return distances
