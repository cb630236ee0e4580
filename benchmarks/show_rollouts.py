"""Print what a checkpoint writes: its greedy step-by-step solutions on a few problems of a family.

    python benchmarks/show_rollouts.py runs/probe-start24/final --problems data/chains/validation.jsonl

The same rollout as ``train``'s final-answer accuracy (srl_trainer.evaluation.math_rollout: step k
written after the model's own steps 1..k-1, until a ``\\boxed{}`` answer, a format error or the step
cap), with every written step shown, so a score can be read next to the text behind it. Problems are
picked as the run's report picks them: spread evenly over the number of steps.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a checkpoint folder (a train run's final/) or a packaged model name")
    parser.add_argument("--problems", default="data/chains/validation.jsonl", help="a math JSONL file")
    parser.add_argument("--count", type=int, default=8, help="problems to roll out (spread over lengths)")
    parser.add_argument("--max-steps", type=int, default=10, help="steps written at most per solution")
    parser.add_argument(
        "--max-new-tokens", type=int, default=64, help="tokens per step reply (the student preset's 64)"
    )
    parser.add_argument("--bf16", action="store_true", help="generate under bf16 autocast (CPU with bf16)")
    options = parser.parse_args(argv)

    import torch

    from srl_trainer.data.math_steps import parse_math_record
    from srl_trainer.evaluation.math_rollout import pick_problems, roll_out_solutions
    from srl_trainer.model_sources import local_model_path
    from srl_trainer.models import generate_texts, load_model

    path = local_model_path(options.model)
    model, tokenizer = load_model(path)
    model.eval()
    lines = Path(options.problems).read_text(encoding="utf-8").splitlines()
    records = pick_problems(
        [parse_math_record(json.loads(line), i) for i, line in enumerate(lines)], options.count
    )

    def generate(prompts: list[list[dict[str, str]]]) -> list[str]:
        return generate_texts(
            model,
            tokenizer,
            prompts,
            options.max_new_tokens,
            64,
            samples=0,
            eos_token_id=tokenizer.eos_token_id,
        )

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=options.bf16):
        rollouts = roll_out_solutions(records, generate, options.max_steps)
    for rollout, record in zip(rollouts, records, strict=True):
        verdict = "right" if rollout.correct else "wrong"
        print(f"== {record.question}  (gold {record.answer}; {verdict}, ended by {rollout.ended_by})")
        for step in rollout.steps:
            print(f"   {step}")
    right = sum(r.correct for r in rollouts)
    print(
        f"{right}/{len(rollouts)} right; {sum(r.ended_by == 'answer' for r in rollouts)} ended with an answer"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
