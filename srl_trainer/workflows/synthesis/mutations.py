"""Single-site bug injection for Python source: every mutation changes one spot in one function.

:func:`find_mutations` walks a module's AST and lists :class:`Mutation` candidates (operator swap,
comparison flip, off-by-one, wrong constant, dropped branch, swapped arguments, wrong default,
boolean-operator swap, dropped ``not``). Each one is applied as a text edit of the original source
(only the characters of the mutated spot change), so the fix diff is as small as a human bug fix
and the rest of the file keeps its formatting.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass

BINOP_SWAPS = {
    ast.Add: ("+", "-"),
    ast.Sub: ("-", "+"),
    ast.Mult: ("*", "+"),
    ast.Div: ("/", "//"),
    ast.FloorDiv: ("//", "/"),
    ast.Mod: ("%", "//"),
    ast.Pow: ("**", "*"),
}
COMPARE_FLIPS = {  # op -> (token, comparison-flip token, off-by-one token or None)
    ast.Lt: ("<", ">", "<="),
    ast.LtE: ("<=", ">=", "<"),
    ast.Gt: (">", "<", ">="),
    ast.GtE: (">=", "<=", ">"),
    ast.Eq: ("==", "!=", None),
    ast.NotEq: ("!=", "==", None),
    ast.In: ("in", "not in", None),
    ast.NotIn: ("not in", "in", None),
    ast.Is: ("is", "is not", None),
    ast.IsNot: ("is not", "is", None),
}


@dataclass(frozen=True)
class Mutation:
    """One bug: the function it lives in, what kind it is, and the edit that makes it."""

    function: str  # qualified name, e.g. "Stack.push"
    kind: str
    description: str  # for the maintainer's log only; never shown to the agent
    line: int
    start: int  # character offsets into the original source
    end: int
    replacement: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.replacement + source[self.end :]


class _Offsets:
    """(line, column) -> character offset; ast columns are UTF-8 byte offsets."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def __call__(self, line: int, col: int) -> int:
        text = self.lines[line - 1].encode("utf-8")[:col].decode("utf-8", errors="replace")
        return self.starts[line - 1] + len(text)


def _span(node: ast.AST, offset: _Offsets) -> tuple[int, int]:
    return offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)


def _replace_token(source: str, start: int, end: int, token: str, new: str) -> tuple[int, int, str] | None:
    """The edit replacing the single occurrence of ``token`` in the gap ``source[start:end]``."""
    gap = source[start:end]
    code = gap.split("#", 1)[0]
    index = code.find(token)
    if index < 0 or code.find(token, index + 1) >= 0:
        return None
    if token.isalpha() or " " in token:  # keyword operators need word boundaries
        before = code[index - 1] if index else " "
        after = code[index + len(token)] if index + len(token) < len(code) else " "
        if before.isalnum() or after.isalnum():
            return None
    return start + index, start + index + len(token), new


def _wrong_constant(value: object) -> tuple[str, str] | None:
    """(kind, literal) of a plausible wrong value for a constant, or None."""
    if isinstance(value, bool):
        return "wrong_constant", repr(not value)
    if isinstance(value, int):
        return ("off_by_one", repr(value + 1)) if value in (0, 1, -1) else ("wrong_constant", repr(value - 1))
    if isinstance(value, float):
        return "wrong_constant", repr(value * 2 if value else 1.0)
    if isinstance(value, str) and 1 <= len(value) <= 20 and value.isprintable():
        if len(value) == 1:
            return "wrong_constant", repr("_" if value != "_" else "-")
        return "wrong_constant", repr(value[:-1])
    return None


class _FunctionMutator(ast.NodeVisitor):
    def __init__(self, source: str, function: str, offset: _Offsets) -> None:
        self.source = source
        self.function = function
        self.offset = offset
        self.found: list[Mutation] = []
        self.docstrings: set[int] = set()

    def add(self, kind: str, description: str, node: ast.AST, edit: tuple[int, int, str] | None) -> None:
        if edit is None:
            return
        start, end, text = edit
        if self.source[start:end] == text:
            return
        self.found.append(Mutation(self.function, kind, description, node.lineno, start, end, text))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Nested functions belong to the enclosing one; decorators and annotations are left alone.
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.docstrings.add(id(body[0].value))
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            if isinstance(default, ast.Constant):
                wrong = _wrong_constant(default.value)
                if wrong is not None:
                    self.docstrings.add(id(default))
                    start, end = _span(default, self.offset)
                    self.add(
                        "wrong_default",
                        f"default {default.value!r} -> {wrong[1]}",
                        default,
                        (start, end, wrong[1]),
                    )
        for statement in body:
            self.visit(statement)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = BINOP_SWAPS.get(type(node.op))
        if swap is not None:
            gap_start = self.offset(node.left.end_lineno, node.left.end_col_offset)
            gap_end = self.offset(node.right.lineno, node.right.col_offset)
            self.add(
                "operator_swap",
                f"{swap[0]} -> {swap[1]}",
                node,
                _replace_token(self.source, gap_start, gap_end, swap[0], swap[1]),
            )
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        swap = BINOP_SWAPS.get(type(node.op))
        if swap is not None:
            gap_start = self.offset(node.target.end_lineno, node.target.end_col_offset)
            gap_end = self.offset(node.value.lineno, node.value.col_offset)
            self.add(
                "operator_swap",
                f"{swap[0]}= -> {swap[1]}=",
                node,
                _replace_token(self.source, gap_start, gap_end, swap[0] + "=", swap[1] + "="),
            )
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            flips = COMPARE_FLIPS.get(type(op))
            if flips is not None:
                token, flipped, off_by_one = flips
                gap_start = self.offset(left.end_lineno, left.end_col_offset)
                gap_end = self.offset(right.lineno, right.col_offset)
                if off_by_one:
                    self.add(
                        "off_by_one",
                        f"{token} -> {off_by_one}",
                        node,
                        _replace_token(self.source, gap_start, gap_end, token, off_by_one),
                    )
                self.add(
                    "comparison_flip",
                    f"{token} -> {flipped}",
                    node,
                    _replace_token(self.source, gap_start, gap_end, token, flipped),
                )
            left = right
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        token, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        gap_start = self.offset(node.values[0].end_lineno, node.values[0].end_col_offset)
        gap_end = self.offset(node.values[1].lineno, node.values[1].col_offset)
        self.add(
            "boolean_swap",
            f"{token} -> {new}",
            node,
            _replace_token(self.source, gap_start, gap_end, token, new),
        )
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            start, end = _span(node, self.offset)
            operand_start, operand_end = _span(node.operand, self.offset)
            text = self.source[operand_start:operand_end]
            if isinstance(node.operand, ast.BoolOp | ast.Compare):
                text = f"({text})" if not text.startswith("(") else text
            self.add("dropped_not", "not x -> x", node, (start, end, text))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self.docstrings:
            return
        wrong = _wrong_constant(node.value)
        if wrong is not None:
            start, end = _span(node, self.offset)
            if self.source[start:end] == repr(node.value) or not isinstance(node.value, str):
                self.add(wrong[0], f"{node.value!r} -> {wrong[1]}", node, (start, end, wrong[1]))

    def visit_Call(self, node: ast.Call) -> None:
        args = node.args
        if len(args) >= 2 and not any(isinstance(a, ast.Starred) for a in args[:2]):
            first = _span(args[0], self.offset)
            second = _span(args[1], self.offset)
            a, b = self.source[first[0] : first[1]], self.source[second[0] : second[1]]
            if a != b and "\n" not in a + b:
                middle = self.source[first[1] : second[0]]
                self.add(
                    "swapped_arguments",
                    f"({a}, {b}) -> ({b}, {a})",
                    node,
                    (first[0], second[1], b + middle + a),
                )
        self.generic_visit(node)


def _dropped_branches(function: ast.AST, qualname: str, source: str, offset: _Offsets) -> list[Mutation]:
    """Remove an ``if`` without ``else`` (whole lines) when its block keeps other statements."""
    found = []
    for node in ast.walk(function):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list) or len(block) < 2:
                continue
            for statement in block:
                if not isinstance(statement, ast.If) or statement.orelse:
                    continue
                start = offset(statement.lineno, 0)
                end = offset(statement.end_lineno, 0) + len(offset.lines[statement.end_lineno - 1])
                if source[start : offset(statement.lineno, statement.col_offset)].strip():
                    continue  # something else shares the first line
                condition = ast.get_source_segment(source, statement.test) or "..."
                found.append(
                    Mutation(
                        qualname,
                        "dropped_branch",
                        f"drop `if {condition[:40]}`",
                        statement.lineno,
                        start,
                        end,
                        "",
                    )
                )
    return found


def iter_functions(tree: ast.Module):
    """``(qualified name, node)`` of every function and method, outermost first."""

    def walk(nodes, prefix):
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield prefix + node.name, node
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body, prefix + node.name + ".")

    yield from walk(tree.body, "")


def find_mutations(source: str) -> list[Mutation]:
    """Every candidate mutation of every top-level function and method in ``source``.

    Raises ``SyntaxError`` for a file that does not parse.
    """
    tree = ast.parse(source)
    offset = _Offsets(source)
    out: list[Mutation] = []
    for qualname, function in iter_functions(tree):
        visitor = _FunctionMutator(source, qualname, offset)
        visitor.visit(function)
        candidates = visitor.found + _dropped_branches(function, qualname, source, offset)
        for mutation in candidates:
            mutated = mutation.apply(source)
            try:
                compile(mutated, "<mutant>", "exec")
            except SyntaxError:
                continue
            out.append(mutation)
    # One site may be reached twice (a constant that is also a default): keep the first.
    unique: dict[tuple[int, int, str], Mutation] = {}
    for mutation in out:
        unique.setdefault((mutation.start, mutation.end, mutation.replacement), mutation)
    return list(unique.values())


def pick_one_per_function(mutations: list[Mutation], rng: random.Random) -> list[list[Mutation]]:
    """Candidates grouped by function, each group shuffled, groups in a seeded order."""
    groups: dict[str, list[Mutation]] = {}
    for mutation in mutations:
        groups.setdefault(mutation.function, []).append(mutation)
    ordered = [groups[name] for name in sorted(groups)]
    for group in ordered:
        rng.shuffle(group)
    rng.shuffle(ordered)
    return ordered
