import pytest
from pathgraph import Graph, GraphError


def test_directed_edge_one_way():
    graph = Graph()
    graph.add_edge("x", "y", 3)
    assert graph.has_edge("x", "y")
    assert not graph.has_edge("y", "x")


def test_undirected_edge_both_ways(roads):
    assert roads.weight("b", "a") == 4


def test_negative_weight_rejected():
    with pytest.raises(GraphError):
        Graph().add_edge("x", "y", -1)


def test_nodes_in_insertion_order(roads):
    assert roads.nodes() == ["a", "b", "c", "d"]


def test_undirected_edges_listed_once(roads):
    assert len(roads.edges()) == 5


def test_remove_edge_undirected(roads):
    roads.remove_edge("b", "a")
    assert not roads.has_edge("a", "b")


def test_remove_missing_edge():
    with pytest.raises(GraphError):
        Graph().remove_edge("x", "y")


def test_remove_node_drops_incoming(tasks):
    tasks.remove_node("test")
    assert "test" not in tasks
    assert tasks.neighbours("build") == ["docs"]


def test_unknown_node_neighbours():
    with pytest.raises(GraphError):
        Graph().neighbours("ghost")


def test_weight_missing_edge(roads):
    with pytest.raises(GraphError):
        roads.weight("a", "d")


def test_degrees(tasks):
    assert tasks.out_degree("build") == 2
    assert tasks.in_degree("release") == 2
    assert tasks.in_degree("fetch") == 0


def test_reversed_directed(tasks):
    back = tasks.reversed()
    assert back.has_edge("release", "test")
    assert not back.has_edge("test", "release")


def test_total_weight(roads):
    assert roads.total_weight() == 20


def test_len_and_contains(roads):
    assert len(roads) == 4
    assert "d" in roads and "z" not in roads


def test_add_edge_replaces_weight():
    graph = Graph()
    graph.add_edge("x", "y", 3)
    graph.add_edge("x", "y", 7)
    assert graph.weight("x", "y") == 7
