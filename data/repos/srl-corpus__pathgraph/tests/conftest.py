import pytest
from pathgraph import Graph


@pytest.fixture
def roads():
    graph = Graph(directed=False)
    graph.add_edge("a", "b", 4)
    graph.add_edge("a", "c", 1)
    graph.add_edge("c", "b", 2)
    graph.add_edge("b", "d", 5)
    graph.add_edge("c", "d", 8)
    return graph


@pytest.fixture
def tasks():
    graph = Graph()
    graph.add_edge("fetch", "build")
    graph.add_edge("build", "test")
    graph.add_edge("build", "docs")
    graph.add_edge("test", "release")
    graph.add_edge("docs", "release")
    return graph
