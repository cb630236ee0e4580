"""The import graph of agent/, env/, srl_trainer/ and benchmarks/ keeps its shape.

Read with ``ast`` (nothing is imported), function-level imports included. The rules:

(a) no import cycle between modules; importing an ancestor package (its ``__init__``) does not
    count, since Python runs it before the module anyway;
(b) imports go one way, agent <- env <- srl_trainer: agent/ imports neither env/ nor srl_trainer/,
    env/ does not import srl_trainer/;
(c) only the entry point ``srl_trainer/swe.py`` and the modules of ``srl_trainer/cli`` import
    ``srl_trainer.cli``;
(d) no ``from x import _name`` of another project module's private name (a private name is the
    module's own business; make it public where another module needs it).

Each rule is shown to fail on a synthetic set of sources before the real repository is checked.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("agent", "env", "srl_trainer", "benchmarks")
CLI = "srl_trainer.cli"
CLI_ENTRY_POINT = "srl_trainer.swe"
# Who may not import whom (rule b): importer's top-level package -> forbidden top-level packages.
FORBIDDEN_LAYERS = {"agent": ("env", "srl_trainer"), "env": ("srl_trainer",)}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    target: str  # dotted module the statement names (the ``from`` part, or the ``import`` part)
    names: tuple[str, ...]  # names of ``from target import ...`` (empty for ``import target``)
    line: int


def module_name(path: str) -> tuple[str, bool]:
    """(dotted name, is a package) of a repo-relative ``.py`` path."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imports_of(module: str, is_package: bool, source: str) -> list[Import]:
    """Every import statement of ``source``, at any depth, relative ones resolved."""
    found = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([target] if target else [])])
            found.append(Import(module, target, tuple(a.name for a in node.names), node.lineno))
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def edges(imports: list[Import], modules: set[str]) -> dict[str, set[str]]:
    """Module -> project modules it imports. ``from p import m`` counts as importing the module
    ``p.m`` when that exists, else ``p``; an import of an ancestor package of the importer is dropped."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for item in imports:
        targets = [f"{item.target}.{n}" for n in item.names if f"{item.target}.{n}" in modules]
        if item.target in modules and len(targets) < len(item.names) or not item.names:
            targets.append(item.target)
        for target in targets:
            if target in modules and target != item.importer and not within(item.importer, target):
                graph[item.importer].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def check_sources(sources: dict[str, str]) -> list[str]:
    """The violations (one line each) of the sources, given as repo-relative path -> text."""
    named = {path: module_name(path) for path in sources}
    modules = {name for name, _ in named.values()}
    imports = [
        item
        for path, (name, package) in sorted(named.items())
        for item in imports_of(name, package, sources[path])
    ]
    problems = []
    for component in cycles(edges(imports, modules)):
        problems.append(f"(a) import cycle: {' <-> '.join(component)}")
    for item in imports:
        where = f"{item.importer}:{item.line}"
        top = item.importer.split(".")[0]
        forbidden = [f for f in FORBIDDEN_LAYERS.get(top, ()) if within(item.target, f)]
        if forbidden:
            problems.append(f"(b) {where} imports {item.target} ({top}/ must not import {forbidden[0]}/)")
        cli_targets = [item.target] + [f"{item.target}.{n}" for n in item.names]
        if any(within(t, CLI) for t in cli_targets) and not (
            within(item.importer, CLI) or item.importer == CLI_ENTRY_POINT
        ):
            problems.append(f"(c) {where} imports {item.target} (only {CLI_ENTRY_POINT} imports the CLI)")
        private = [n for n in item.names if is_private(n)]
        if private and item.target in modules and item.target != item.importer:
            problems.append(f"(d) {where} imports private {', '.join(private)} from {item.target}")
    return problems


def repo_sources() -> dict[str, str]:
    return {
        str(path.relative_to(REPO)): path.read_text(encoding="utf-8")
        for root in ROOTS
        for path in sorted((REPO / root).rglob("*.py"))
    }


# --- each rule can fail ---------------------------------------------------------------------------


def test_a_cycle_through_a_function_level_import_is_reported():
    problems = check_sources(
        {
            "srl_trainer/__init__.py": "",
            "srl_trainer/a.py": "from srl_trainer.b import thing\n",
            "srl_trainer/b.py": "def f():\n    from srl_trainer import a\n    return a\n",
        }
    )
    assert problems == ["(a) import cycle: srl_trainer.a <-> srl_trainer.b"]


def test_a_longer_cycle_and_relative_imports_are_reported():
    problems = check_sources(
        {
            "srl_trainer/__init__.py": "",
            "srl_trainer/data/__init__.py": "",
            "srl_trainer/data/x.py": "from .y import f\n",
            "srl_trainer/data/y.py": "from ..z import g\n",
            "srl_trainer/z.py": "import srl_trainer.data.x\n",
        }
    )
    assert problems == ["(a) import cycle: srl_trainer.data.x <-> srl_trainer.data.y <-> srl_trainer.z"]


def test_importing_the_own_package_init_is_no_cycle():
    problems = check_sources(
        {
            "srl_trainer/__init__.py": "from srl_trainer.models import load_model\n",
            "srl_trainer/models.py": "import srl_trainer\nfrom srl_trainer import errors\n",
            "srl_trainer/errors.py": "",
        }
    )
    assert problems == []


def test_lower_layers_importing_upper_layers_are_reported():
    problems = check_sources(
        {
            "agent/__init__.py": "",
            "agent/loop.py": "from env.sandbox import Sandbox\n",
            "agent/formats.py": "def f():\n    import srl_trainer.errors\n",
            "env/__init__.py": "",
            "env/sandbox.py": "from agent.actions import Action\nfrom srl_trainer.errors import CliError\n",
        }
    )
    assert problems == [
        "(b) agent.formats:2 imports srl_trainer.errors (agent/ must not import srl_trainer/)",
        "(b) agent.loop:1 imports env.sandbox (agent/ must not import env/)",
        "(b) env.sandbox:2 imports srl_trainer.errors (env/ must not import srl_trainer/)",
    ]


def test_importing_the_cli_from_outside_it_is_reported():
    problems = check_sources(
        {
            "srl_trainer/__init__.py": "",
            "srl_trainer/swe.py": "from srl_trainer.cli import main\n",
            "srl_trainer/cli/__init__.py": "from srl_trainer.cli.flags import parse\n",
            "srl_trainer/cli/flags.py": "",
            "srl_trainer/training/pipeline.py": "def f():\n    from srl_trainer.cli import flags\n",
            "benchmarks/bench.py": "import srl_trainer.cli.flags\n",
        }
    )
    assert problems == [
        "(c) benchmarks.bench:1 imports srl_trainer.cli.flags (only srl_trainer.swe imports the CLI)",
        "(c) srl_trainer.training.pipeline:2 imports srl_trainer.cli (only srl_trainer.swe imports the CLI)",
    ]


def test_importing_a_private_name_of_another_module_is_reported():
    problems = check_sources(
        {
            "srl_trainer/__init__.py": "",
            "srl_trainer/a.py": "from srl_trainer.b import public, _hidden\nfrom .b import __doc__\n",
            "srl_trainer/b.py": "from json import _default_decoder\n",
        }
    )
    assert problems == ["(d) srl_trainer.a:1 imports private _hidden from srl_trainer.b"]


# --- the repository ---------------------------------------------------------------------------------


def test_the_repository_keeps_its_import_rules():
    sources = repo_sources()
    assert "srl_trainer/training/pipeline.py" in sources
    assert check_sources(sources) == []
