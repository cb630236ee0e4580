import pytest
from pathgraph import (
    Graph,
    GraphError,
    NoPath,
    bfs_order,
    components,
    dfs_order,
    has_cycle,
    has_path,
    hop_distances,
    minimum_spanning_tree,
    shortest_distances,
    shortest_path,
    topological_order,
)
from pathgraph.shortest import eccentricity


def test_bfs_order(roads):
    assert bfs_order(roads, "a") == ["a", "b", "c", "d"]


def test_dfs_order(roads):
    assert dfs_order(roads, "a") == ["a", "b", "c", "d"]


def test_dfs_order_directed(tasks):
    assert dfs_order(tasks, "fetch") == ["fetch", "build", "test", "release", "docs"]


def test_bfs_unknown_start():
    with pytest.raises(GraphError):
        bfs_order(Graph(), "x")


def test_has_path_directed(tasks):
    assert has_path(tasks, "fetch", "release")
    assert not has_path(tasks, "release", "fetch")


def test_has_path_unknown_node(tasks):
    assert not has_path(tasks, "fetch", "deploy")


def test_hop_distances(tasks):
    assert hop_distances(tasks, "fetch") == {"fetch": 0, "build": 1, "test": 2, "docs": 2, "release": 3}


def test_shortest_path_prefers_lighter_route(roads):
    assert shortest_path(roads, "a", "b") == (3, ["a", "c", "b"])


def test_shortest_path_longer(roads):
    assert shortest_path(roads, "a", "d") == (8, ["a", "c", "b", "d"])


def test_shortest_path_to_self(roads):
    assert shortest_path(roads, "d", "d") == (0, ["d"])


def test_shortest_path_unreachable(tasks):
    with pytest.raises(NoPath):
        shortest_path(tasks, "release", "fetch")


def test_shortest_path_unknown_target(roads):
    with pytest.raises(NoPath):
        shortest_path(roads, "a", "zzz")


def test_shortest_distances_all(roads):
    distances, _ = shortest_distances(roads, "a")
    assert distances == {"a": 0, "b": 3, "c": 1, "d": 8}


def test_eccentricity(roads):
    assert eccentricity(roads, "a") == 8


def test_topological_order(tasks):
    assert topological_order(tasks) == ["fetch", "build", "test", "docs", "release"]


def test_topological_order_cycle(tasks):
    tasks.add_edge("release", "fetch")
    with pytest.raises(GraphError):
        topological_order(tasks)


def test_topological_order_undirected(roads):
    with pytest.raises(GraphError):
        topological_order(roads)


def test_has_cycle_directed(tasks):
    assert not has_cycle(tasks)
    tasks.add_edge("docs", "build")
    assert has_cycle(tasks)


def test_has_cycle_undirected(roads):
    assert has_cycle(roads)


def test_tree_has_no_cycle():
    graph = Graph(directed=False)
    graph.add_edge(1, 2)
    graph.add_edge(2, 3)
    assert not has_cycle(graph)


def test_self_loop_is_cycle():
    graph = Graph(directed=False)
    graph.add_edge(1, 1)
    assert has_cycle(graph)


def test_components():
    graph = Graph(directed=False)
    graph.add_edge(1, 2)
    graph.add_edge(3, 4)
    graph.add_node(5)
    assert sorted(sorted(c) for c in components(graph)) == [[1, 2], [3, 4], [5]]


def test_components_directed_are_weak(tasks):
    assert len(components(tasks)) == 1


def test_minimum_spanning_tree(roads):
    tree = minimum_spanning_tree(roads)
    assert tree.total_weight() == 8
    assert len(tree.edges()) == 3


def test_minimum_spanning_tree_directed(tasks):
    with pytest.raises(GraphError):
        minimum_spanning_tree(tasks)
