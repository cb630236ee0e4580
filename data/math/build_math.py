"""Generate the embedded math step data: multi-step problems with computed, checked answers.

    python data/math/build_math.py [--out DIR] [--count 600] [--seed 20240601]

Writes ``train.jsonl`` and ``validation.jsonl`` (every 10th problem) next to this script, in the
s1K-1.1 layout: ``question``, ``deepseek_attempt`` (numbered steps ``1. **Title**: text``, one per
line, the last ending in ``\\boxed{answer}``), ``solution`` (the same text) and ``answer``. Families:
word problems, linear equations, systems of two equations, fractions, percentages, counting and
averages, each with several wordings. Every answer is computed with exact arithmetic
(``fractions.Fraction``, ``math.comb``) and checked by a second computation (substitution, brute
force or the inverse operation) before it is written. Output is deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from fractions import Fraction
from itertools import combinations, permutations
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ["Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca"]
ITEMS = [
    ("notebook", "notebooks"),
    ("pencil", "pencils"),
    ("apple", "apples"),
    ("ticket", "tickets"),
    ("candle", "candles"),
    ("sticker", "stickers"),
    ("mug", "mugs"),
    ("ball", "balls"),
]
WORDS = ["LEVEL", "BANANA", "PEPPER", "BALLOON", "COOKIE", "LETTER", "RADAR", "PUZZLE", "SUCCESS", "TATTOO"]


def latex(value: Fraction | int) -> str:
    """An exact number in the LaTeX form used inside ``\\boxed{}``."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def plain(value: Fraction | int) -> str:
    """An exact number as running text (``7/3``, ``-2``)."""
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def signed(term: int) -> str:
    """``+ 5`` or ``- 5`` for writing ``ax + b`` without ``+ -5``."""
    return f"+ {term}" if term >= 0 else f"- {-term}"


def term(coefficient: int, variable: str) -> str:
    """``3x``, ``x`` or ``-x``: a coefficient of 1 is not written."""
    if coefficient in (1, -1):
        return variable if coefficient == 1 else f"-{variable}"
    return f"{coefficient}{variable}"


# --- linear equations -------------------------------------------------------------------------


def linear_simple(rng: random.Random):
    a = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, -2, -3, -4])
    x = Fraction(rng.randint(-12, 15), rng.choice([1, 1, 1, 2, 3]))
    b = rng.randint(-30, 30)
    c = a * x + b
    if c.denominator != 1:
        return None
    c = int(c)
    question = rng.choice(
        [
            f"Solve for $x$: ${a}x {signed(b)} = {c}$.",
            f"Find the value of $x$ that satisfies ${a}x {signed(b)} = {c}$.",
            f"What is $x$ if ${a}x {signed(b)} = {c}$?",
        ]
    )
    solved = Fraction(c - b, a)
    assert a * solved + b == c
    steps = [
        ("Isolate the x-term", f"move the constant to the right side: {a}x = {c} {signed(-b)} = {c - b}."),
        ("Divide by the coefficient", f"x = {c - b} / {a} = {plain(solved)}."),
        ("Check", f"{a} * ({plain(solved)}) {signed(b)} = {c}, so $x = \\boxed{{{latex(solved)}}}$."),
    ]
    return "linear", question, steps, solved


def linear_both_sides(rng: random.Random):
    a, c = rng.sample([2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 2)
    x = rng.randint(-10, 12)
    b = rng.randint(-20, 20)
    d = a * x + b - c * x
    question = rng.choice(
        [
            f"Solve ${a}x {signed(b)} = {c}x {signed(d)}$ for $x$.",
            f"For which $x$ is ${a}x {signed(b)}$ equal to ${c}x {signed(d)}$?",
        ]
    )
    solved = Fraction(d - b, a - c)
    assert a * solved + b == c * solved + d and solved == x
    steps = [
        ("Collect the x-terms", f"subtract {c}x from both sides: {a - c}x {signed(b)} = {d}."),
        ("Move the constant", f"{a - c}x = {d} {signed(-b)} = {d - b}."),
        ("Divide", f"x = {d - b} / {a - c} = {plain(solved)}."),
        ("Verify", f"both sides equal {a * x + b} at x = {x}, so $x = \\boxed{{{latex(solved)}}}$."),
    ]
    return "linear", question, steps, solved


def linear_brackets(rng: random.Random):
    a = rng.choice([2, 3, 4, 5, 6])
    b = rng.randint(1, 9)
    x = rng.randint(-5, 15)
    c = a * (x - b)
    question = rng.choice([f"Solve ${a}(x - {b}) = {c}$.", f"If ${a}(x - {b}) = {c}$, what is $x$?"])
    solved = Fraction(c, a) + b
    assert a * (solved - b) == c
    steps = [
        ("Divide both sides", f"by {a}: x - {b} = {c} / {a} = {plain(Fraction(c, a))}."),
        ("Add back", f"x = {plain(Fraction(c, a))} + {b} = {plain(solved)}."),
        ("Answer", f"$x = \\boxed{{{latex(solved)}}}$."),
    ]
    return "linear", question, steps, solved


def linear_number_puzzle(rng: random.Random):
    k = rng.choice([2, 3, 4, 5])
    n = rng.randint(3, 40)
    change = rng.randint(1, 25)
    add = rng.random() < 0.5
    result = k * n + change if add else k * n - change
    times = {2: "Twice", 3: "Three times", 4: "Four times", 5: "Five times"}[k]
    verb = rng.choice(["increased by", "plus"]) if add else rng.choice(["decreased by", "minus"])
    question = rng.choice(
        [
            f"{times} a number, {verb} {change}, equals {result}. What is the number?",
            f"I think of a number. {times} my number {verb} {change} gives {result}. What is my number?",
        ]
    )
    sign = "+" if add else "-"
    steps = [
        ("Write an equation", f"let the number be n; then {k}n {sign} {change} = {result}."),
        ("Undo the constant", f"{k}n = {result} {'-' if add else '+'} {change} = {k * n}."),
        ("Divide", f"n = {k * n} / {k} = {n}."),
        ("Check", f"{k} * {n} {sign} {change} = {result}, so the number is \\boxed{{{n}}}."),
    ]
    assert (k * n + change if add else k * n - change) == result
    return "linear", question, steps, Fraction(n)


def linear_system(rng: random.Random):
    x, y = rng.randint(-6, 12), rng.randint(-6, 12)
    a, b, c, d = (rng.randint(1, 7) for _ in range(4))
    if a * d - b * c == 0:
        return None
    e, f = a * x + b * y, c * x + d * y
    target = rng.choice(["x", "y", "x + y"])
    first, second = f"{term(a, 'x')} + {term(b, 'y')} = {e}", f"{term(c, 'x')} + {term(d, 'y')} = {f}"
    question = rng.choice(
        [
            f"Solve the system ${first}$ and ${second}$. What is ${target}$?",
            f"Given ${first}$ and ${second}$, find ${target}$.",
        ]
    )
    det = a * d - b * c
    sx, sy = Fraction(e * d - b * f, det), Fraction(a * f - e * c, det)
    assert a * sx + b * sy == e and c * sx + d * sy == f and (sx, sy) == (x, y)
    answer = {"x": sx, "y": sy, "x + y": sx + sy}[target]
    steps = [
        (
            "Eliminate y",
            f"multiply the first equation by {d} and the second by {b}: "
            f"{term(a * d, 'x')} + {term(b * d, 'y')} = {e * d} and "
            f"{term(b * c, 'x')} + {term(b * d, 'y')} = {b * f}.",
        ),
        ("Solve for x", f"subtracting gives {det}x = {e * d - b * f}, so x = {plain(sx)}."),
        ("Back-substitute", f"{b}y = {e} - {a} * {plain(sx)} = {plain(e - a * sx)}, so y = {plain(sy)}."),
        ("Answer", f"${target} = \\boxed{{{latex(answer)}}}$."),
    ]
    return "linear_system", question, steps, answer


# --- fractions --------------------------------------------------------------------------------


def random_fraction(rng: random.Random) -> Fraction:
    denominator = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
    return Fraction(rng.randint(1, 2 * denominator), denominator)


def fraction_arithmetic(rng: random.Random):
    p, q = random_fraction(rng), random_fraction(rng)
    op = rng.choice(["+", "-", "*", "/"])
    pt, qt = f"\\frac{{{p.numerator}}}{{{p.denominator}}}", f"\\frac{{{q.numerator}}}{{{q.denominator}}}"
    symbol = {"+": "+", "-": "-", "*": "\\times", "/": "\\div"}[op]
    question = rng.choice(
        [
            f"Compute ${pt} {symbol} {qt}$ and simplify.",
            f"Evaluate ${pt} {symbol} {qt}$. Give the answer as a fraction in lowest terms.",
            f"What is ${pt} {symbol} {qt}$?",
        ]
    )
    if op in "+-":
        lcm = math.lcm(p.denominator, q.denominator)
        pn, qn = p.numerator * (lcm // p.denominator), q.numerator * (lcm // q.denominator)
        raw = pn + qn if op == "+" else pn - qn
        answer = Fraction(raw, lcm)
        assert answer == (p + q if op == "+" else p - q)
        steps = [
            ("Common denominator", f"lcm({p.denominator}, {q.denominator}) = {lcm}."),
            ("Rewrite", f"{plain(p)} = {pn}/{lcm} and {plain(q)} = {qn}/{lcm}."),
            ("Combine", f"{pn} {op} {qn} = {raw}, giving {raw}/{lcm}."),
            ("Simplify", f"{raw}/{lcm} = {plain(answer)}, so the result is $\\boxed{{{latex(answer)}}}$."),
        ]
    elif op == "*":
        answer = p * q
        num, den = p.numerator * q.numerator, p.denominator * q.denominator
        assert Fraction(num, den) == answer
        steps = [
            ("Multiply numerators", f"{p.numerator} * {q.numerator} = {num}."),
            ("Multiply denominators", f"{p.denominator} * {q.denominator} = {den}."),
            ("Simplify", f"{num}/{den} = {plain(answer)}, so the product is $\\boxed{{{latex(answer)}}}$."),
        ]
    else:
        answer = p / q
        assert answer * q == p
        steps = [
            (
                "Invert the divisor",
                f"dividing by {plain(q)} is multiplying by {q.denominator}/{q.numerator}.",
            ),
            (
                "Multiply",
                f"{plain(p)} * {q.denominator}/{q.numerator} = "
                f"{p.numerator * q.denominator}/{p.denominator * q.numerator}.",
            ),
            ("Simplify", f"that is {plain(answer)}, so the quotient is $\\boxed{{{latex(answer)}}}$."),
        ]
    return "fractions", question, steps, answer


def mixed_numbers(rng: random.Random):
    w1, w2 = rng.randint(1, 5), rng.randint(1, 4)
    d = rng.choice([3, 4, 5, 6, 8])
    p, q = Fraction(rng.randint(1, d - 1), d), Fraction(1, rng.choice([2, 3, 4, 6]))
    first, second = w1 + p, w2 + q
    question = rng.choice(
        [
            f"{rng.choice(NAMES)} walks {w1} {p.numerator}/{p.denominator} km in the morning and "
            f"{w2} {q.numerator}/{q.denominator} km in the evening. How many kilometres in total?",
            f"Add the mixed numbers {w1} {p.numerator}/{p.denominator} and "
            f"{w2} {q.numerator}/{q.denominator}.",
        ]
    )
    answer = first + second
    assert answer - second == first
    steps = [
        (
            "Convert to improper fractions",
            f"{w1} {plain(p)} = {plain(first)} and {w2} {plain(q)} = {plain(second)}.",
        ),
        (
            "Common denominator",
            f"lcm({first.denominator}, {second.denominator}) = "
            f"{math.lcm(first.denominator, second.denominator)}.",
        ),
        ("Add", f"{plain(first)} + {plain(second)} = {plain(answer)}."),
        ("Answer", f"the total is $\\boxed{{{latex(answer)}}}$."),
    ]
    return "fractions", question, steps, answer


def fraction_of_remaining(rng: random.Random):
    first = Fraction(1, rng.choice([2, 3, 4, 5]))
    second = Fraction(1, rng.choice([2, 3, 4]))
    total = first.denominator * second.denominator * rng.randint(2, 12)
    name, (_, items) = rng.choice(NAMES), rng.choice(ITEMS)
    question = rng.choice(
        [
            f"{name} has {total} {items}. {name} gives away {plain(first)} of them, "
            f"then sells {plain(second)} of the rest. How many {items} are left?",
            f"A box holds {total} {items}. First {plain(first)} of them are used, "
            f"and then {plain(second)} of what remains. How many are still in the box?",
        ]
    )
    given = total * first
    rest = total - given
    sold = rest * second
    left = rest - sold
    assert left == total * (1 - first) * (1 - second)
    steps = [
        ("First share", f"{plain(first)} of {total} is {plain(given)}."),
        ("Remaining", f"{total} - {plain(given)} = {plain(rest)}."),
        ("Second share", f"{plain(second)} of {plain(rest)} is {plain(sold)}."),
        ("Left over", f"{plain(rest)} - {plain(sold)} = \\boxed{{{latex(left)}}}."),
    ]
    return "word", question, steps, left


# --- percentages ------------------------------------------------------------------------------


def percent_discount(rng: random.Random):
    price = 20 * rng.randint(2, 30)
    discount = 5 * rng.randint(1, 12)
    tax = rng.choice([0, 0, 5, 10])
    name = rng.choice(NAMES)
    item = rng.choice(["jacket", "lamp", "bicycle helmet", "backpack", "printer", "chair"])
    question = f"A {item} costs ${price} and is on sale for {discount}% off."
    if tax:
        question += f" A {tax}% sales tax is added to the sale price. How much does {name} pay?"
    else:
        question += rng.choice([" What is the sale price?", f" How much does {name} pay for it?"])
    off = Fraction(price * discount, 100)
    sale = price - off
    paid = sale * (100 + tax) / 100
    assert paid == Fraction(price) * (1 - Fraction(discount, 100)) * (1 + Fraction(tax, 100))
    steps = [
        ("Discount amount", f"{discount}% of {price} is {price} * {discount}/100 = {plain(off)}."),
        ("Sale price", f"{price} - {plain(off)} = {plain(sale)}."),
    ]
    if tax:
        steps.append(
            ("Add tax", f"{tax}% of {plain(sale)} is {plain(sale * tax / 100)}, total {plain(paid)}.")
        )
    steps.append(("Answer", f"the amount is \\boxed{{{latex(paid)}}} dollars."))
    return "percentages", question, steps, paid


def percent_change(rng: random.Random):
    old = 10 * rng.randint(2, 60)
    pct = rng.choice([5, 10, 15, 20, 25, 30, 40, 50, 60, 75])
    up = rng.random() < 0.6
    new = Fraction(old * (100 + pct if up else 100 - pct), 100)
    thing = rng.choice(
        ["the population of a village", "a monthly rent", "the number of club members", "a salary"]
    )
    question = rng.choice(
        [
            f"Last year {thing} was {old}; this year it is {plain(new)}. By what percent did it change? "
            "Give a negative number for a decrease.",
            f"A value goes from {old} to {plain(new)}. What is the percent change (negative for a decrease)?",
        ]
    )
    answer = (new - old) / old * 100
    assert answer == (pct if up else -pct)
    steps = [
        ("Difference", f"{plain(new)} - {old} = {plain(new - old)}."),
        ("Relative change", f"{plain(new - old)} / {old} = {plain((new - old) / old)}."),
        ("As a percent", f"multiply by 100: the change is \\boxed{{{latex(answer)}}} percent."),
    ]
    return "percentages", question, steps, answer


def percent_reverse(rng: random.Random):
    original = 20 * rng.randint(1, 40)
    pct = rng.choice([10, 20, 25, 50, 5, 15])
    after = Fraction(original * (100 + pct), 100)
    question = rng.choice(
        [
            f"After a {pct}% price increase a game costs ${plain(after)}. "
            "What was the price before the increase?",
            f"A number increased by {pct}% is {plain(after)}. What is the number?",
        ]
    )
    factor = Fraction(100 + pct, 100)
    answer = after / factor
    assert answer * factor == after and answer == original
    steps = [
        ("Growth factor", f"a {pct}% increase multiplies by {plain(factor)}."),
        ("Undo it", f"original = {plain(after)} / {plain(factor)}."),
        (
            "Compute",
            f"{plain(after)} * {factor.denominator}/{factor.numerator} = \\boxed{{{latex(answer)}}}.",
        ),
    ]
    return "percentages", question, steps, answer


def percent_successive(rng: random.Random):
    price = 100 * rng.randint(1, 9)
    first, second = rng.choice([10, 20, 25, 50]), rng.choice([10, 20, 25, 50])
    question = (
        f"A store marks a ${price} television down by {first}%, and later takes a further {second}% off the "
        "reduced price. What is the final price?"
    )
    after_first = Fraction(price * (100 - first), 100)
    final = after_first * (100 - second) / 100
    assert final == price * Fraction(100 - first, 100) * Fraction(100 - second, 100)
    steps = [
        ("First markdown", f"{price} * {100 - first}/100 = {plain(after_first)}."),
        ("Second markdown", f"{plain(after_first)} * {100 - second}/100 = {plain(final)}."),
        ("Answer", f"the final price is \\boxed{{{latex(final)}}} dollars."),
    ]
    return "percentages", question, steps, final


def percent_of_whole(rng: random.Random):
    whole = rng.choice([20, 25, 40, 50, 80, 120, 200, 250, 400])
    pct = rng.choice([5, 10, 15, 20, 30, 35, 45, 60, 70, 85])
    part = Fraction(whole * pct, 100)
    if part.denominator != 1:
        return None
    question = rng.choice(
        [
            f"In a class of {whole} students, {plain(part)} walk to school. What percent of the class walks?",
            f"{plain(part)} is what percent of {whole}?",
        ]
    )
    answer = part / whole * 100
    assert answer * whole / 100 == part
    steps = [
        ("Set up the ratio", f"part / whole = {plain(part)}/{whole} = {plain(part / whole)}."),
        ("Convert to percent", f"{plain(part / whole)} * 100 = {plain(answer)}."),
        ("Answer", f"\\boxed{{{latex(answer)}}} percent."),
    ]
    return "percentages", question, steps, answer


# --- counting ---------------------------------------------------------------------------------


def count_committee(rng: random.Random):
    n = rng.randint(5, 14)
    k = rng.randint(2, min(5, n - 1))
    group = rng.choice(["students", "volunteers", "players", "engineers"])
    question = rng.choice(
        [
            f"In how many ways can a committee of {k} be chosen from {n} {group}?",
            f"A coach must pick {k} of {n} {group} for a team; order does not matter. "
            "How many choices are there?",
        ]
    )
    answer = math.comb(n, k)
    numerator = math.perm(n, k)
    assert answer == sum(1 for _ in combinations(range(n), k))
    steps = [
        ("Order does not matter", f"count combinations C({n}, {k})."),
        ("Ordered selections", f"{n} * ... * {n - k + 1} = {numerator}."),
        ("Divide by orderings", f"{numerator} / {k}! = {numerator} / {math.factorial(k)} = {answer}."),
        ("Answer", f"\\boxed{{{answer}}}."),
    ]
    return "counting", question, steps, Fraction(answer)


def count_officers(rng: random.Random):
    n = rng.randint(4, 12)
    roles = rng.sample(["president", "vice-president", "secretary", "treasurer"], rng.randint(2, 3))
    k = len(roles)
    question = (
        f"A club of {n} members elects a {', a '.join(roles[:-1])} and a {roles[-1]}; "
        "nobody holds two posts. How many outcomes are possible?"
    )
    answer = math.perm(n, k)
    factors = [n - i for i in range(k)]
    assert answer == math.prod(factors)
    steps = [
        ("Order matters", f"the posts are different, so count ordered choices of {k} from {n}."),
        ("Choices per post", ", ".join(f"{roles[i]}: {factors[i]}" for i in range(k)) + "."),
        ("Multiply", f"{' * '.join(map(str, factors))} = \\boxed{{{answer}}}."),
    ]
    return "counting", question, steps, Fraction(answer)


def count_word_arrangements(rng: random.Random):
    word = rng.choice(WORDS)
    counts = Counter(word)
    repeated = {letter: c for letter, c in sorted(counts.items()) if c > 1}
    answer = math.factorial(len(word))
    for c in counts.values():
        answer //= math.factorial(c)
    if len(word) <= 7:
        assert answer == len(set(permutations(word)))
    question = rng.choice(
        [
            f"How many distinct arrangements of the letters of {word} are there?",
            f"How many different strings can be made by rearranging all the letters of the word {word}?",
        ]
    )
    denominator = " * ".join(f"{c}!" for c in repeated.values()) or "1"
    steps = [
        (
            "Count letters",
            f"{word} has {len(word)} letters; repeated: "
            + (", ".join(f"{letter} x{c}" for letter, c in repeated.items()) or "none")
            + ".",
        ),
        ("All orderings", f"{len(word)}! = {math.factorial(len(word))}."),
        (
            "Remove duplicates",
            f"divide by {denominator}: {math.factorial(len(word))} / "
            f"{math.factorial(len(word)) // answer} = {answer}.",
        ),
        ("Answer", f"\\boxed{{{answer}}}."),
    ]
    return "counting", question, steps, Fraction(answer)


def count_at_least_one(rng: random.Random):
    women, men = rng.randint(2, 7), rng.randint(3, 8)
    k = rng.randint(2, 4)
    question = (
        f"A panel of {k} is chosen from {women} women and {men} men. "
        "How many panels include at least one woman?"
    )
    total, none = math.comb(women + men, k), math.comb(men, k)
    answer = total - none
    assert answer == sum(math.comb(women, w) * math.comb(men, k - w) for w in range(1, k + 1))
    steps = [
        ("All panels", f"C({women + men}, {k}) = {total}."),
        ("Panels with no woman", f"C({men}, {k}) = {none}."),
        ("Complement", f"{total} - {none} = {answer}."),
        ("Answer", f"\\boxed{{{answer}}}."),
    ]
    return "counting", question, steps, Fraction(answer)


def count_outfits(rng: random.Random):
    shirts, trousers, shoes = rng.randint(2, 8), rng.randint(2, 6), rng.randint(1, 4)
    name = rng.choice(NAMES)
    question = (
        f"{name} owns {shirts} shirts, {trousers} pairs of trousers and {shoes} pairs of shoes. "
        "An outfit is one of each. How many outfits are possible?"
    )
    answer = shirts * trousers * shoes
    assert answer == len([(a, b, c) for a in range(shirts) for b in range(trousers) for c in range(shoes)])
    steps = [
        ("Multiplication principle", "choices for independent parts multiply."),
        ("Shirts and trousers", f"{shirts} * {trousers} = {shirts * trousers}."),
        ("Add shoes", f"{shirts * trousers} * {shoes} = \\boxed{{{answer}}}."),
    ]
    return "counting", question, steps, Fraction(answer)


def count_handshakes(rng: random.Random):
    n = rng.randint(4, 30)
    question = rng.choice(
        [
            f"At a meeting, each of {n} people shakes hands with every other person once. "
            "How many handshakes?",
            f"In a round-robin tournament with {n} teams, every pair of teams plays once. How many games?",
        ]
    )
    answer = n * (n - 1) // 2
    assert answer == math.comb(n, 2)
    steps = [
        ("Count ordered pairs", f"each of the {n} picks one of the other {n - 1}: {n * (n - 1)}."),
        ("Each pair counted twice", f"{n * (n - 1)} / 2 = {answer}."),
        ("Answer", f"\\boxed{{{answer}}}."),
    ]
    return "counting", question, steps, Fraction(answer)


# --- word problems and averages ---------------------------------------------------------------


def word_shopping(rng: random.Random):
    name = rng.choice(NAMES)
    (one_a, many_a), (one_b, many_b) = rng.sample(ITEMS, 2)
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    pa, pb = rng.randint(1, 12), rng.randint(1, 15)
    total = a * pa + b * pb
    bill = next(v for v in (20, 50, 100, 200) if v >= total)
    question = rng.choice(
        [
            f"{name} buys {a} {many_a} at ${pa} each and {b} {many_b} at ${pb} each, "
            f"paying with a ${bill} bill. How much change does {name} get?",
            f"{a} {many_a} cost ${pa} apiece and {b} {many_b} cost ${pb} apiece. {name} pays for all of them "
            f"with ${bill}. What is the change?",
        ]
    )
    answer = bill - total
    assert answer + a * pa + b * pb == bill and answer >= 0
    steps = [
        (f"Cost of the {many_a}", f"{a} * {pa} = {a * pa}."),
        (f"Cost of the {many_b}", f"{b} * {pb} = {b * pb}."),
        ("Total", f"{a * pa} + {b * pb} = {total}."),
        ("Change", f"{bill} - {total} = \\boxed{{{answer}}} dollars."),
    ]
    return "word", question, steps, Fraction(answer)


def word_speed(rng: random.Random):
    speed1, speed2 = rng.choice([40, 50, 60, 80, 90]), rng.choice([30, 45, 60, 75, 100])
    t1, t2 = rng.randint(1, 4), rng.randint(1, 3)
    d1, d2 = speed1 * t1, speed2 * t2
    vehicle = rng.choice(["car", "bus", "train", "truck"])
    question = rng.choice(
        [
            f"A {vehicle} travels {d1} km in {t1} hours and then {d2} km in {t2} hours. What is its average "
            "speed in km/h for the whole trip?",
            f"A {vehicle} drives {t1} hours at {speed1} km/h and then {t2} hours at {speed2} km/h. "
            "What is the average speed over the whole trip, in km/h?",
        ]
    )
    answer = Fraction(d1 + d2, t1 + t2)
    assert answer * (t1 + t2) == speed1 * t1 + speed2 * t2
    steps = [
        ("Total distance", f"{d1} + {d2} = {d1 + d2} km."),
        ("Total time", f"{t1} + {t2} = {t1 + t2} hours."),
        ("Average speed", f"{d1 + d2} / {t1 + t2} = \\boxed{{{latex(answer)}}} km/h."),
    ]
    return "word", question, steps, answer


def word_work_rate(rng: random.Random):
    a, b = rng.sample([2, 3, 4, 5, 6, 8, 10, 12], 2)
    question = rng.choice(
        [
            f"One pipe fills a tank in {a} hours and another fills it in {b} hours. "
            "Working together, how many hours do they take?",
            f"{rng.choice(NAMES)} can paint a fence in {a} hours and {rng.choice(NAMES)} in {b} hours. "
            "How long does it take them together, in hours?",
        ]
    )
    rate = Fraction(1, a) + Fraction(1, b)
    answer = 1 / rate
    assert answer * Fraction(1, a) + answer * Fraction(1, b) == 1
    steps = [
        ("Individual rates", f"1/{a} and 1/{b} of the job per hour."),
        ("Combined rate", f"1/{a} + 1/{b} = {plain(rate)} of the job per hour."),
        ("Time", f"1 / ({plain(rate)}) = \\boxed{{{latex(answer)}}} hours."),
    ]
    return "word", question, steps, answer


def word_ages(rng: random.Random):
    younger = rng.randint(3, 30)
    gap = rng.randint(1, 25)
    first, second = rng.sample(NAMES, 2)
    total = 2 * younger + gap
    ask_older = rng.random() < 0.5
    question = (
        f"{first} is {gap} years older than {second}. The sum of their ages is {total}. "
        f"How old is {first if ask_older else second}?"
    )
    older = younger + gap
    answer = older if ask_older else younger
    assert older + younger == total and older - younger == gap
    steps = [
        ("Name the unknown", f"let {second} be y years old, so {first} is y + {gap}."),
        ("Equation", f"y + (y + {gap}) = {total}, so 2y = {total - gap} and y = {younger}."),
        ("Answer", f"{first if ask_older else second} is \\boxed{{{answer}}} years old."),
    ]
    return "word", question, steps, Fraction(answer)


def word_ratio_share(rng: random.Random):
    parts = rng.sample(range(1, 8), 3)
    unit = rng.randint(2, 25)
    total = unit * sum(parts)
    names = rng.sample(NAMES, 3)
    which = rng.randrange(3)
    prize = rng.choice(["dollars", "marbles", "stickers", "points"])
    question = (
        f"{names[0]}, {names[1]} and {names[2]} share {total} {prize} in the ratio "
        f"{parts[0]}:{parts[1]}:{parts[2]}. How many {prize} does {names[which]} get?"
    )
    answer = Fraction(total * parts[which], sum(parts))
    assert sum(Fraction(total * p, sum(parts)) for p in parts) == total
    steps = [
        ("Total parts", f"{parts[0]} + {parts[1]} + {parts[2]} = {sum(parts)}."),
        ("One part", f"{total} / {sum(parts)} = {unit}."),
        (f"{names[which]}'s share", f"{parts[which]} * {unit} = \\boxed{{{latex(answer)}}}."),
    ]
    return "word", question, steps, answer


def word_consecutive(rng: random.Random):
    count = rng.choice([3, 4, 5])
    start = rng.randint(-10, 60)
    step = rng.choice([1, 2])
    numbers = [start + step * i for i in range(count)]
    if step == 2:
        kind = "consecutive even integers" if start % 2 == 0 else "consecutive odd integers"
    else:
        kind = "consecutive integers"
    ask = rng.choice(["smallest", "largest"])
    question = f"The sum of {count} {kind} is {sum(numbers)}. What is the {ask} of them?"
    offsets = step * count * (count - 1) // 2
    smallest = Fraction(sum(numbers) - offsets, count)
    assert smallest == start
    answer = smallest if ask == "smallest" else smallest + step * (count - 1)
    steps = [
        (
            "Write the numbers",
            f"n, n + {step}, ..., n + {step * (count - 1)}; their sum is {count}n + {offsets}.",
        ),
        (
            "Solve",
            f"{count}n = {sum(numbers)} - {offsets} = {sum(numbers) - offsets}, so n = {plain(smallest)}.",
        ),
        ("Answer", f"the {ask} is \\boxed{{{latex(answer)}}}."),
    ]
    return "word", question, steps, answer


def average_new_value(rng: random.Random):
    count = rng.randint(3, 9)
    old_mean = rng.randint(50, 95)
    new_value = rng.randint(30, 100)
    new_total = count * old_mean + new_value
    if new_total % (count + 1):
        return None
    new_mean = new_total // (count + 1)
    name = rng.choice(NAMES)
    question = (
        f"{name}'s average score on {count} tests is {old_mean}. "
        f"After one more test the average is {new_mean}. What did {name} score on the last test?"
    )
    answer = (count + 1) * new_mean - count * old_mean
    assert answer == new_value
    steps = [
        ("Old total", f"{count} * {old_mean} = {count * old_mean}."),
        ("New total", f"{count + 1} * {new_mean} = {(count + 1) * new_mean}."),
        ("Last score", f"{(count + 1) * new_mean} - {count * old_mean} = \\boxed{{{answer}}}."),
    ]
    return "averages", question, steps, Fraction(answer)


def average_weighted(rng: random.Random):
    n1, n2 = rng.randint(5, 30), rng.randint(5, 30)
    m1, m2 = rng.randint(55, 95), rng.randint(55, 95)
    question = rng.choice(
        [
            f"One class of {n1} students averaged {m1} on an exam and another class of {n2} "
            f"students averaged {m2}. What is the average of all {n1 + n2} students?",
            f"{n1} boxes weigh {m1} kg on average and {n2} other boxes weigh {m2} kg on average. What is the "
            "average weight of all the boxes, in kg?",
        ]
    )
    answer = Fraction(n1 * m1 + n2 * m2, n1 + n2)
    assert answer * (n1 + n2) == n1 * m1 + n2 * m2
    steps = [
        ("First total", f"{n1} * {m1} = {n1 * m1}."),
        ("Second total", f"{n2} * {m2} = {n2 * m2}."),
        ("Combined average", f"({n1 * m1} + {n2 * m2}) / {n1 + n2} = {plain(answer)}."),
        ("Answer", f"\\boxed{{{latex(answer)}}}."),
    ]
    return "averages", question, steps, answer


GENERATORS = [
    linear_simple,
    linear_both_sides,
    linear_brackets,
    linear_number_puzzle,
    linear_system,
    fraction_arithmetic,
    mixed_numbers,
    fraction_of_remaining,
    percent_discount,
    percent_change,
    percent_reverse,
    percent_successive,
    percent_of_whole,
    count_committee,
    count_officers,
    count_word_arrangements,
    count_at_least_one,
    count_outfits,
    count_handshakes,
    word_shopping,
    word_speed,
    word_work_rate,
    word_ages,
    word_ratio_share,
    word_consecutive,
    average_new_value,
    average_weighted,
]


def render(steps: list[tuple[str, str]]) -> str:
    return "\n".join(f"{number}. **{title}**: {text}" for number, (title, text) in enumerate(steps, start=1))


def generate(count: int, seed: int) -> list[dict]:
    """``count`` distinct problems, cycling through the generators so every family is represented."""
    rng = random.Random(seed)
    records: list[dict] = []
    seen: set[str] = set()
    attempts = 0
    while len(records) < count:
        attempts += 1
        if attempts > 50 * count:
            raise RuntimeError(f"only {len(records)} distinct problems after {attempts} attempts")
        generator = GENERATORS[attempts % len(GENERATORS)]
        made = generator(rng)
        if made is None:
            continue
        family, question, steps, answer = made
        if question in seen:
            continue
        seen.add(question)
        text = render(steps)
        assert f"\\boxed{{{latex(answer)}}}" in steps[-1][1], generator.__name__
        records.append(
            {
                "id": f"gen-{family}-{len(records) + 1:04d}",
                "family": family,
                "template": generator.__name__,
                "question": question,
                "deepseek_attempt": text,
                "solution": text,
                "answer": latex(answer),
            }
        )
    return records


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for train.jsonl and validation.jsonl")
    parser.add_argument("--count", type=int, default=600, help="number of problems in all")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed")
    args = parser.parse_args(argv)
    records = generate(args.count, args.seed)
    validation = records[9::10]
    train = [record for index, record in enumerate(records) if index % 10 != 9]
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "train.jsonl", train)
    write_jsonl(args.out / "validation.jsonl", validation)
    families = Counter(record["family"] for record in records)
    print(f"wrote {len(train)} train and {len(validation)} validation problems to {args.out}")
    print("families: " + ", ".join(f"{name} {n}" for name, n in sorted(families.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
