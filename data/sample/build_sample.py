"""Rebuild the small hand-written sample in this folder (deterministic, no network).

    python data/sample/build_sample.py

Writes ``trajectories.json`` (3 expert trajectories in SWE-Gym's native tool-call format, on a tiny
``textstats`` package) and ``math.jsonl`` (6 problems in the s1K-1.1 layout). The trajectories are
written by hand; file views are rendered from the source below the way OpenHands prints them, test
output is typed in. This sample exists so every command has a default input before the full
embedded corpus is generated.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
ROOT = "/testbed"

WORDS_PY = '''"""Counting words in plain text."""


def count_words(text):
    """Number of whitespace-separated words in text."""
    return len(text.split(" "))


def longest_word(text):
    """The longest word; the first one wins a tie."""
    best = ""
    for word in text.split():
        if len(word) > len(best):
            best = word
    return best
'''

TEMPERATURE_PY = '''"""Temperature conversions."""


def to_fahrenheit(celsius):
    return celsius * 9 / 5 + 23


def to_celsius(fahrenheit):
    return (fahrenheit - 32) * 5 / 9
'''

STOCK_PY = '''"""A tiny stock ledger."""


class Stock:
    def __init__(self):
        self.items = {}

    def add(self, name, quantity):
        self.items[name] = self.items.get(name, 0) + quantity

    def remove(self, name, quantity):
        have = self.items.get(name, 0)
        if quantity > have:
            raise ValueError(f"only {have} {name} in stock")
        self.items[name] = have - quantity

    def total(self):
        return sum(self.items.values()) - 1
'''


def cat_n(text: str, start: int = 1) -> str:
    return "\n".join(f"{i:6}\t{line}" for i, line in enumerate(text.splitlines(), start))


def view(path: str, text: str) -> str:
    return f"Here's the result of running `cat -n` on {path}:\n{cat_n(text)}\n"


def edited(path: str, new_text: str, changed_line: int) -> str:
    lines = new_text.splitlines()
    first = max(1, changed_line - 4)
    snippet = "\n".join(lines[first - 1 : changed_line + 4])
    return (
        f"The file {path} has been edited. Here's the result of running `cat -n` on a snippet of "
        f"{path}:\n{cat_n(snippet, first)}\nReview the changes and make sure they are as expected. "
        "Edit the file again if necessary."
    )


TREE = f"""Here's the files and directories up to 2 levels deep in {ROOT}, excluding hidden items:
{ROOT}
{ROOT}/README.md
{ROOT}/pyproject.toml
{ROOT}/tests
{ROOT}/tests/test_stock.py
{ROOT}/tests/test_temperature.py
{ROOT}/tests/test_words.py
{ROOT}/textstats
{ROOT}/textstats/__init__.py
{ROOT}/textstats/stock.py
{ROOT}/textstats/temperature.py
{ROOT}/textstats/words.py
"""


def bash(command: str, output: str, code: int = 0) -> tuple[dict, str]:
    footer = f"\n[Current working directory: {ROOT}]\n[Command finished with exit code {code}]"
    return {"name": "execute_bash", "arguments": {"command": command}}, output + footer


def editor(output: str, **arguments) -> tuple[dict, str]:
    return {"name": "str_replace_editor", "arguments": arguments}, output


def finish() -> tuple[dict, str]:
    return {"name": "finish", "arguments": {}}, ""


def problem(text: str) -> str:
    return (
        f"<uploaded_files>\n{ROOT}\n</uploaded_files>\nI've uploaded a python code repository in the "
        f"directory {ROOT}. Consider the following issue:\n\n<issue_description>\n{text}\n"
        "</issue_description>\n\nMake the minimal change to non-test files so the issue is resolved."
    )


def record(instance_id: str, issue: str, turns: list[tuple[str, list]]) -> dict:
    """Build one record; each turn is (assistant text, [(call, observation), ...])."""
    messages = [
        {"role": "system", "content": "You are a helpful assistant that can interact with a computer."},
        {"role": "user", "content": problem(issue)},
    ]
    call_number = 0
    for text, calls in turns:
        tool_calls = []
        observations = []
        for call, observation in calls:
            call_number += 1
            call_id = f"call_{instance_id.split('-')[-1]}_{call_number:02d}"
            tool_calls.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
                }
            )
            observations.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "name": call["name"],
                    "content": f"OBSERVATION:\n{observation}",
                }
            )
        messages.append({"role": "assistant", "content": text, "tool_calls": tool_calls})
        messages.extend(observations)
    return {"instance_id": instance_id, "run_id": "handwritten", "resolved": True, "messages": messages}


def words_record() -> dict:
    path = f"{ROOT}/textstats/words.py"
    fixed = WORDS_PY.replace('len(text.split(" "))', "len(text.split())")
    return record(
        "textstats__textstats-1",
        'count_words("hello  world") returns 3 instead of 2, and count_words("") returns 1.',
        [
            ("Let me look at the repository layout first.", [editor(TREE, command="view", path=ROOT)]),
            ("", [editor(view(path, WORDS_PY), command="view", path=path)]),
            (
                "Reproduce the report before changing anything.",
                [
                    bash(
                        'cd /testbed && python3 -c "from textstats.words import count_words; '
                        "print(count_words('hello  world'), count_words(''))\"",
                        "3 1",
                    )
                ],
            ),
            (
                "split(' ') keeps empty strings between repeated spaces; split() does not.",
                [
                    editor(
                        edited(path, fixed, 6),
                        command="str_replace",
                        path=path,
                        old_str='    return len(text.split(" "))',
                        new_str="    return len(text.split())",
                    )
                ],
            ),
            (
                "",
                [
                    bash(
                        "cd /testbed && python3 -m pytest tests/test_words.py -q",
                        "....                                                                     [100%]\n"
                        "4 passed in 0.02s",
                    )
                ],
            ),
            ("Both cases are fixed and the tests pass.", [finish()]),
        ],
    )


def temperature_record() -> dict:
    path = f"{ROOT}/textstats/temperature.py"
    fixed = TEMPERATURE_PY.replace("+ 23", "+ 32")
    failing = (
        "F.                                                                       [100%]\n"
        "=================================== FAILURES ===================================\n"
        "_____________________________ test_boiling_point _____________________________\n"
        "    def test_boiling_point():\n"
        ">       assert to_fahrenheit(100) == 212\n"
        "E       assert 203.0 == 212\n"
        "E        +  where 203.0 = to_fahrenheit(100)\n\n"
        "tests/test_temperature.py:5: AssertionError\n"
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_temperature.py::test_boiling_point - assert 203.0 == 212\n"
        "1 failed, 1 passed in 0.03s"
    )
    return record(
        "textstats__textstats-2",
        "to_fahrenheit(100) gives 203.0; water boils at 212 F.",
        [
            (
                "Find where the conversion is defined.",
                [bash("grep -rn 'def to_fahrenheit' /testbed", f"{path}:4:def to_fahrenheit(celsius):")],
            ),
            ("", [editor(view(path, TEMPERATURE_PY), command="view", path=path)]),
            ("", [bash("cd /testbed && python3 -m pytest tests/test_temperature.py -q", failing, 1)]),
            (
                "The offset must be 32, not 23.",
                [
                    editor(
                        edited(path, fixed, 5),
                        command="str_replace",
                        path=path,
                        old_str="    return celsius * 9 / 5 + 23",
                        new_str="    return celsius * 9 / 5 + 32",
                    )
                ],
            ),
            (
                "",
                [
                    bash(
                        "cd /testbed && python3 -m pytest tests/test_temperature.py -q",
                        "..                                                                       [100%]\n"
                        "2 passed in 0.02s",
                    )
                ],
            ),
            ("", [finish()]),
        ],
    )


def stock_record() -> dict:
    path = f"{ROOT}/textstats/stock.py"
    fixed = STOCK_PY.replace("sum(self.items.values()) - 1", "sum(self.items.values())")
    return record(
        "textstats__textstats-3",
        "Stock.total() is one less than the number of items added: add('pen', 2) then total() gives 1.",
        [
            (
                "I will read the ledger and the tests together.",
                [
                    editor(view(path, STOCK_PY), command="view", path=path),
                    bash(
                        "grep -n 'total' /testbed/tests/test_stock.py",
                        "9:    assert stock.total() == 2\n15:    assert Stock().total() == 0",
                    ),
                ],
            ),
            (
                "total() subtracts one for no reason.",
                [
                    editor(
                        edited(path, fixed, 19),
                        command="str_replace",
                        path=path,
                        old_str="        return sum(self.items.values()) - 1",
                        new_str="        return sum(self.items.values())",
                    )
                ],
            ),
            (
                "",
                [
                    bash(
                        "cd /testbed && python3 -m pytest -q",
                        "........                                                                 [100%]\n"
                        "8 passed in 0.04s",
                    )
                ],
            ),
            ("", [finish()]),
        ],
    )


MATH = [
    {
        "id": "sample-linear-1",
        "question": "Solve for x: 3x + 7 = 22.",
        "deepseek_attempt": "1. **Isolate the term with x**: subtract 7 from both sides, 3x = 15.\n"
        "2. **Divide by the coefficient**: x = 15 / 3 = 5.\n"
        "3. **Check**: 3 * 5 + 7 = 22, so the answer is \\boxed{5}.",
    },
    {
        "id": "sample-percent-2",
        "question": "A jacket costs $80 and is sold at a 25% discount. What is the sale price?",
        "deepseek_attempt": "1. **Discount amount**: 25% of 80 is 0.25 * 80 = 20.\n"
        "2. **Sale price**: 80 - 20 = 60.\n"
        "3. **Answer**: the jacket costs \\boxed{60} dollars.",
    },
    {
        "id": "sample-fractions-3",
        "question": "Compute 2/3 + 3/4.",
        "deepseek_attempt": "1. **Common denominator**: lcm(3, 4) = 12.\n"
        "2. **Rewrite**: 2/3 = 8/12 and 3/4 = 9/12.\n"
        "3. **Add**: 8/12 + 9/12 = 17/12, which is \\boxed{\\frac{17}{12}}.",
    },
    {
        "id": "sample-counting-4",
        "question": "How many ways can 3 books be chosen from 6 different books?",
        "deepseek_attempt": "1. **Order does not matter**, so count combinations C(6, 3).\n"
        "2. **Compute**: C(6, 3) = 6 * 5 * 4 / (3 * 2 * 1) = 120 / 6 = 20.\n"
        "3. **Answer**: \\boxed{20}.",
    },
    {
        "id": "sample-word-5",
        "question": "Tom has 4 boxes with 12 apples each. He gives away 15 apples. How many are left?",
        "solution": "Tom starts with 4 boxes of 12 apples, that is 4 * 12 = 48 apples.\n\n"
        "After giving away 15 he has 48 - 15 = 33.\n\n"
        "So \\boxed{33} apples are left.",
    },
    {
        "id": "sample-linear-6",
        "question": "The sum of two consecutive integers is 41. What is the larger one?",
        "deepseek_attempt": "1. **Name them**: n and n + 1, so n + (n + 1) = 41.\n"
        "2. **Solve**: 2n + 1 = 41 gives n = 20.\n"
        "3. **Larger integer**: n + 1 = \\boxed{21}.",
    },
]


def main() -> None:
    records = [words_record(), temperature_record(), stock_record()]
    (HERE / "trajectories.json").write_text(json.dumps(records, indent=1) + "\n")
    with open(HERE / "math.jsonl", "w") as out:
        for item in MATH:
            out.write(json.dumps(item) + "\n")


if __name__ == "__main__":
    main()
