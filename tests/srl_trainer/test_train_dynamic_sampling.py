"""Dynamic sampling with the real tiny model and TRL's GRPOTrainer: flat groups out, batch refilled."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from datasets import Dataset  # noqa: E402
from trl import GRPOConfig  # noqa: E402

from srl_trainer.models import build_tiny_model, load_model  # noqa: E402
from srl_trainer.training.dynamic_sampling import (  # noqa: E402
    DynamicSamplingGRPOTrainer,
    group_is_informative,
    plan_batch,
    refill_group_count,
)

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


def test_refill_rounds_give_every_process_whole_rows():
    assert refill_group_count(1, 2.0, 4, 1) == 2
    assert refill_group_count(1, 1.0, 3, 2) == 2  # 1 group of 3 rows cannot split over 2 processes
    assert refill_group_count(3, 1.0, 4, 2) == 3  # 12 rows: 6 each
    assert refill_group_count(1, 1.0, 2, 8) == 4  # 8 rows: 1 each


def test_plan_batch_deals_groups_in_global_order_and_moves_only_what_it_must():
    # 2 processes, G=4, 2 rows each: the one group of round 0 spans both processes and is dropped;
    # round 1 refilled 2 groups (4 rows per process), its second group (rows 4-7, all on process 1)
    # is kept and must be split 2/2 over the processes.
    rows, exchange, moved = plan_batch([(1, 1)], 1, 4, [2, 4], 2)
    assert rows == [(1, 4, False), (1, 5, False), (1, 6, False), (1, 7, False)]
    assert exchange == {1} and moved == 2
    # Everything kept where it was generated: nothing to exchange.
    rows, exchange, moved = plan_batch([(0, 0), (0, 1)], 2, 2, [2], 2)
    assert exchange == set() and moved == 0
    # Rounds ran out: a dropped group fills the batch, flagged as filler.
    rows, _, _ = plan_batch([(0, 1), (0, 0)], 1, 2, [2], 2)
    assert [filler for _, _, filler in rows] == [False, False, True, True]


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
