"""Look inside a chain-arithmetic checkpoint: does it know single facts, and what does it write?

    python benchmarks/chain_probe.py runs/paper-table/seed0/midtrain/final          # facts
    python benchmarks/chain_probe.py runs/paper-table/seed1/start/final --rollouts   # + solutions
    python benchmarks/chain_probe.py runs/chains-base/final --raw                     # + raw format

Facts: 60 seeded random ``a + d =`` / ``a - d =`` prompts of the family (bare text, no chat template,
the way mid-training saw them), greedy, right when the first generated number is the result. This is
the gate of the paper's regime: a student that cannot do single steps cannot chain them either.
Rollouts: four held-out test problems (2 and 4 steps) solved step after step, the steps printed.
Raw: the first 40 validation problems in mid-training's question-answer text (``Question: ...
Answer: ``), the whole answer written greedily and graded by math-verify: does the base copy the
problem's numbers into its steps in the format it was mid-trained on, before any chat format?
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = "3 + 4 = 7.<|im_end|>"  # one fact and the separator packing puts between documents


def fact_accuracy(model, tokenizer, count: int = 60, seed: int = 1) -> tuple[int, int]:
    import torch

    rng, right = random.Random(seed), 0
    for _ in range(count):
        a, op, d = rng.randint(0, 20), rng.choice("+-"), rng.randint(1, 5)
        if op == "-" and a - d < 0:
            op = "+"
        if op == "+" and a + d > 20:
            op = "-"
        gold = a + d if op == "+" else a - d
        # After another fact, as mid-training's packed text shows them: alone at position 0 the
        # tiny model completes far fewer (mid-b base: 38/60 alone, 60/60 after a fact).
        prompt = f"{CONTEXT}{a} {op} {d} ="
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **ids, max_new_tokens=5, do_sample=False, pad_token_id=tokenizer.pad_token_id
            )
        text = tokenizer.decode(out[0, ids["input_ids"].shape[1] :]).strip()
        right += text.split(".")[0].split()[0:1] == [str(gold)]
    return right, count


def raw_accuracy(model, tokenizer, count: int = 40) -> tuple[int, int, dict[int, list[bool]]]:
    import torch

    from srl_trainer.evaluation.math_grading import is_math_answer_correct
    from srl_trainer.training.midtrain import qa_text

    rows = [json.loads(line) for line in (ROOT / "data" / "chains" / "validation.jsonl").open()][:count]
    by_steps: dict[int, list[bool]] = {}
    for row in rows:
        text = qa_text(row["question"], "")
        ids = tokenizer(CONTEXT + text, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **ids, max_new_tokens=120, do_sample=False, pad_token_id=tokenizer.pad_token_id
            )
        answer = tokenizer.decode(out[0, ids["input_ids"].shape[1] :]).split("<|im_end|>")[0]
        by_steps.setdefault(row["steps"], []).append(is_math_answer_correct(answer, row["answer"]))
    right = sum(sum(v) for v in by_steps.values())
    return right, len(rows), by_steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a weights folder (train's runs/NAME/final)")
    parser.add_argument("--rollouts", action="store_true", help="also print four held-out solutions")
    parser.add_argument("--raw", action="store_true", help="also solve 40 validation problems in raw QA text")
    args = parser.parse_args(argv)
    from srl_trainer.data.math_steps import parse_math_record
    from srl_trainer.evaluation.math_rollout import roll_out_solutions
    from srl_trainer.models import generate_texts, load_model

    model, tokenizer = load_model(args.checkpoint)
    model.eval()
    right, count = fact_accuracy(model, tokenizer)
    print(f"{args.checkpoint}: single facts right {right}/{count}")
    if args.raw:
        right, count, by_steps = raw_accuracy(model, tokenizer)
        levels = ", ".join(f"{k} steps {sum(v)}/{len(v)}" for k, v in sorted(by_steps.items()))
        print(f"{args.checkpoint}: raw question-answer format solved {right}/{count} ({levels})")
    if args.rollouts:
        rows = [json.loads(line) for line in (ROOT / "data" / "chains" / "test.jsonl").open()]
        records = [parse_math_record(r, i) for i, r in enumerate(rows) if r["steps"] in (2, 4)][::20][:4]

        def greedy(prompts):
            return generate_texts(model, tokenizer, prompts, 64, 16)

        for record, rollout in zip(records, roll_out_solutions(records, greedy, 6), strict=True):
            print(f"{record.question}  (gold {record.answer}; {rollout.ended_by})")
            for step in rollout.steps:
                print(f"    {step}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
