"""pathgraph: weighted graphs and shortest paths."""

from pathgraph.graph import Graph, GraphError
from pathgraph.search import bfs_order, dfs_order, has_path, hop_distances
from pathgraph.shortest import NoPath, shortest_distances, shortest_path
from pathgraph.structure import components, has_cycle, minimum_spanning_tree, topological_order

__all__ = [
    "Graph",
    "GraphError",
    "NoPath",
    "bfs_order",
    "components",
    "dfs_order",
    "has_cycle",
    "has_path",
    "hop_distances",
    "minimum_spanning_tree",
    "shortest_distances",
    "shortest_path",
    "topological_order",
]
