"""Weighted shortest paths with Dijkstra's algorithm."""

from __future__ import annotations

import heapq


class NoPath(LookupError):
    """There is no path between the two nodes."""


def shortest_distances(graph, source):
    """Least total weight from ``source`` to every reachable node, and each node's predecessor."""
    graph.neighbours(source)
    distances = {source: 0}
    previous = {}
    heap = [(0, 0, source)]
    counter = 1  # tie-breaker so nodes themselves are never compared
    done = set()
    while heap:
        distance, _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for neighbour in graph.neighbours(node):
            candidate = distance + graph.weight(node, neighbour)
            if neighbour not in distances or candidate < distances[neighbour]:
                distances[neighbour] = candidate
                previous[neighbour] = node
                heapq.heappush(heap, (candidate, counter, neighbour))
                counter += 1
    return distances, previous


def shortest_path(graph, source, target):
    """(total weight, [source, ..., target]); raises :class:`NoPath` when target is unreachable."""
    if target not in graph:
        raise NoPath(f"{target!r} is not in the graph")
    distances, previous = shortest_distances(graph, source)
    if target not in distances:
        raise NoPath(f"no path from {source!r} to {target!r}")
    path = [target]
    while path[-1] != source:
        path.append(previous[path[-1]])
    path.reverse()
    return distances[target], path


def eccentricity(graph, node):
    """Largest shortest-path distance from ``node`` to any node it reaches."""
    distances, _ = shortest_distances(graph, node)
    return max(distances.values())
