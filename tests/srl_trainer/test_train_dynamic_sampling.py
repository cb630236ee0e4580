"""Dynamic sampling with the real tiny model and TRL's GRPOTrainer: flat groups out, batch refilled."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from datasets import Dataset  # noqa: E402
from trl import GRPOConfig  # noqa: E402

from srl_trainer.dynamic_sampling import DynamicSamplingGRPOTrainer, group_is_informative  # noqa: E402
from srl_trainer.tiny_model import build_tiny_model, load_model  # noqa: E402

G = 2


def spread_unless_flat(prompts, completions, flat, **_):
    """Constant reward for `flat` prompts (zero spread), 0, 0.5, 0, 0.5... for the others."""
    return [0.3 if f else 0.5 * (i % G) for i, f in enumerate(flat)]


def row(text: str, flat: bool) -> dict:
    return {"prompt": [{"role": "user", "content": text}], "flat": flat}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = build_tiny_model(tmp_path_factory.mktemp("tiny") / "base", hidden_size=32)
    return load_model(str(path))


def make_trainer(tiny, tmp_path, rows, max_rounds=2):
    model, tokenizer = tiny
    args = GRPOConfig(
        output_dir=str(tmp_path),
        num_generations=G,
        per_device_train_batch_size=2 * G,
        max_completion_length=6,
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        max_steps=1,
        seed=0,
        bf16=False,
    )
    trainer = DynamicSamplingGRPOTrainer(
        model=model,
        reward_funcs=spread_unless_flat,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        epsilon=0.01,
        max_rounds=max_rounds,
        oversample=1.0,
    )
    trainer.model.train()
    return trainer


def test_group_std_at_or_below_epsilon_is_not_informative():
    rewards = torch.tensor([0.5, 0.5, 0.2, 0.9, 0.300, 0.305])
    assert group_is_informative(rewards, 2, 0.01).tolist() == [False, True, False]


def test_zero_spread_groups_are_dropped_and_the_batch_refilled(tiny, tmp_path):
    trainer = make_trainer(tiny, tmp_path, [row("fix the bug", False), row("run the tests", False)])
    inputs = [row("flat prompt", True)] * G + [row("fix the bug", False)] * G
    out = trainer._generate_and_score_completions(inputs)

    stats = trainer.ds_history[-1]
    assert stats.target_groups == 2 and stats.filled_groups == 2
    assert stats.rounds == 1 and stats.extra_generations == G  # one missing group, oversample 1
    assert stats.kept_fraction == pytest.approx(2 / 3)
    assert stats.reward_mean_before == pytest.approx((0.3 * 2 + 0.25 * 4) / 6)
    assert stats.reward_mean_after == pytest.approx(0.25)
    assert out["completion_ids"].shape[0] == 2 * G
    assert bool((out["completion_mask"].sum(dim=1) > 0).all())  # every row is a kept rollout
    assert int(out["num_items_in_batch"]) == int(out["completion_mask"].sum())
    assert trainer._metrics["train"]["dynamic_sampling/kept_fraction"][-1] == pytest.approx(2 / 3)


def test_when_refill_rounds_run_out_flat_groups_carry_no_tokens(tiny, tmp_path):
    trainer = make_trainer(tiny, tmp_path, [row("flat a", True), row("flat b", True)], max_rounds=1)
    inputs = [row("flat a", True)] * G + [row("flat b", True)] * G
    out = trainer._generate_and_score_completions(inputs)

    stats = trainer.ds_history[-1]
    assert stats.filled_groups == 0 and stats.rounds == 1
    assert out["completion_ids"].shape[0] == 2 * G
    assert int(out["completion_mask"].sum()) == 0 and int(out["num_items_in_batch"]) == 0
    assert float(out["advantages"].abs().sum()) == 0.0


def test_a_training_step_with_dynamic_sampling_logs_its_metrics(tiny, tmp_path):
    rows = [row("fix the bug", False), row("flat", True), row("run the tests", False)]
    trainer = make_trainer(tiny, tmp_path, rows)
    trainer.train()
    logged = trainer.state.log_history[0]
    for key in ("kept_fraction", "extra_generations", "reward_mean_before", "reward_std_before"):
        assert f"dynamic_sampling/{key}" in logged
    assert trainer.ds_history and trainer.ds_history[0].filled_groups == 2
