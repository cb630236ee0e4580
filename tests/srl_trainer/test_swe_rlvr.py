"""RLVR on SWE: reward from real sandbox test runs, multi-turn episodes, `train --method rlvr/srl-rlvr`.

Everything is real: the demo calc task (a git repository and its SWE-bench instance), Docker
sandboxes, the embedded tokenizer and tiny model, TRL's GRPOTrainer. The episode test drives the
rollout machinery with scripted replies (the expert's actions as token ids) in place of sampling, so
its outcome is known; the train tests sample from the tiny model.
"""

from __future__ import annotations

import json

import pytest

from env.demo_task import WRONG_PATCH
from srl_trainer.swe import main
from tests.env import signals
from tests.env.hostile import (
    ATTACK,
    FAKE_PASSED,
    FORCE_EXIT_0,
    FORCE_PASS_CONFTEST,
    calc_patch,
    new_file_patch,
)

pytestmark = pytest.mark.docker

FIX = (
    "<think>\nadd subtracts.\n</think>\n<function=str_replace_editor>\n"
    "<parameter=command>str_replace</parameter>\n<parameter=path>/testbed/calc/__init__.py</parameter>\n"
    '<parameter=old_str>"""Sum of a and b."""\n    return a - b</parameter>\n'
    '<parameter=new_str>"""Sum of a and b."""\n    return a + b</parameter>\n</function>'
)
FINISH = "<think>\nDone.\n</think>\n<function=finish>\n</function>"


def _instances(demo):
    return {demo[0].instance_id: demo[0]}


def _reward_beside_gold(patch, docker_client, image_config, task, tmp_path):
    """The RLVR reward of ``patch`` and of the gold patch in one batch: (rewards, episode log, metrics)."""
    from srl_trainer.training.swe_rlvr import SweTestsReward

    instance = task[0]
    log = tmp_path / "episodes.jsonl"
    metrics = {}
    reward = SweTestsReward(_instances(task), docker_client, image_config, sandboxes=2, log_path=log)
    values = reward(
        [None] * 2,
        [None] * 2,
        instance_id=[instance.instance_id] * 2,
        patch=[patch, instance.patch],
        log_metric=lambda name, value: metrics.setdefault(name, value),
    )
    return values, [json.loads(line) for line in log.read_text().splitlines()], metrics


def test_reward_is_one_for_the_gold_patch_and_zero_otherwise(
    docker_client, instance_image, image_config, task, tmp_path
):
    from srl_trainer.training.swe_rlvr import SweTestsReward

    instance = task[0]
    log = tmp_path / "episodes.jsonl"
    reward = SweTestsReward(_instances(task), docker_client, image_config, sandboxes=2, log_path=log)
    try:
        patches = [instance.patch, "", WRONG_PATCH, instance.patch]
        values = reward([None] * 4, [None] * 4, instance_id=[instance.instance_id] * 4, patch=patches)
    finally:
        reward.close()
    assert values == [1.0, 0.0, 0.0, 1.0]
    assert reward.test_runs == 3  # the duplicate gold patch is graded once
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["reward"] for r in records] == values
    assert records[0]["fail_to_pass"] == {"tests/test_add.py::test_add": True}
    assert records[1]["fail_to_pass"] == {"tests/test_add.py::test_add": False}  # the no-op really ran
    assert records[1]["pass_to_pass"] == {"tests/test_sub.py::test_sub": True}
    assert records[0]["apply_command"] == "git apply --verbose" and records[0]["tampered"] == []


def test_the_reward_and_the_evaluate_verdict_agree_on_the_same_patches(
    docker_client, instance_image, image_config, task, tmp_path
):
    from env.images import instance_image as image_of
    from srl_trainer.evaluation.swe import SweEvalConfig, evaluate_predictions
    from srl_trainer.training.swe_rlvr import SweTestsReward

    instance = task[0]
    patches = {"gold": instance.patch, "empty": "", "wrong": WRONG_PATCH}
    reward = SweTestsReward(_instances(task), docker_client, image_config, sandboxes=3)
    values = reward(
        [None] * 3, [None] * 3, instance_id=[instance.instance_id] * 3, patch=list(patches.values())
    )
    rewarded = dict(zip(patches, values, strict=True))
    verdicts = {}
    for name, patch in patches.items():
        prediction = {"instance_id": instance.instance_id, "model_name_or_path": name, "model_patch": patch}
        config = SweEvalConfig(timeout=120, run_id="agree", log_dir=str(tmp_path))
        image_for = lambda item: image_of(docker_client, item, image_config)  # noqa: E731
        (outcome,) = evaluate_predictions(docker_client, _instances(task), [prediction], image_for, config)
        verdicts[name] = outcome.status
    assert rewarded == {"gold": 1.0, "empty": 0.0, "wrong": 0.0}
    assert verdicts == {"gold": "resolved", "empty": "empty_patch", "wrong": "unresolved"}
    assert {k: v == 1.0 for k, v in rewarded.items()} == {k: v == "resolved" for k, v in verdicts.items()}


def test_a_patch_that_tampers_with_the_tests_is_graded_reverted_and_flagged(
    docker_client, instance_image, image_config, task, tmp_path
):
    forced = new_file_patch("conftest.py", FORCE_PASS_CONFTEST)  # reports every test as passed
    values, records, metrics = _reward_beside_gold(forced, docker_client, image_config, task, tmp_path)
    assert values == [0.0, 1.0]
    assert records[0]["tampered"] == ["conftest.py"] and records[1]["tampered"] == []
    assert records[0]["fail_to_pass"] == {"tests/test_add.py::test_add": False}  # the real test ran
    assert metrics["swe/tampered"] == 0.5 and metrics["swe/test_runs"] == 2.0


def test_a_rollout_whose_test_log_is_forged_gets_reward_zero_and_is_logged_forged(
    docker_client, instance_image, image_config, task, tmp_path
):
    from env.demo_task import BUGGY

    forged = calc_patch(FAKE_PASSED.format(exit=FORCE_EXIT_0) + BUGGY)  # the official harness resolves it
    values, records, metrics = _reward_beside_gold(forged, docker_client, image_config, task, tmp_path)
    assert values == [0.0, 1.0]
    assert any("but the recorded exit status is 0" in reason for reason in records[0]["forged"])
    assert records[1]["forged"] == [] and metrics["swe/forged"] == 0.5


def test_a_rollout_that_poisons_its_grading_container_cannot_raise_a_later_reward(
    docker_client, instance_image, image_config, task
):
    from env.demo_task import BUGGY
    from srl_trainer.training.swe_rlvr import SweTestsReward

    instance = task[0]
    # Test-time code that rewrites pytest's entry point to print passing verdicts, drops a .pth hook,
    # writes /root and /var/tmp, adds git config and leaves a process (tests/env/hostile.py).
    hostile = calc_patch(ATTACK + BUGGY)
    reward = SweTestsReward(_instances(task), docker_client, image_config)
    ids = [instance.instance_id]
    assert reward([None], [None], instance_id=ids, patch=[hostile]) == [0.0]
    assert reward([None], [None], instance_id=ids, patch=[""]) == [0.0]
    assert reward([None], [None], instance_id=ids, patch=[instance.patch]) == [1.0]


def test_episodes_step_the_sandbox_and_mask_observations(docker_client, instance_image, image_config, task):
    from transformers import AutoTokenizer

    from srl_trainer.data.embedded import default_tokenizer_dir
    from srl_trainer.training.swe_rlvr import (
        SweTestsReward,
        TokenEpisode,
        TurnLayout,
        _new_env,
        prompt_instance_id,
        rlvr_dataset,
        run_episodes,
    )

    tokenizer = AutoTokenizer.from_pretrained(str(default_tokenizer_dir()))
    eos = tokenizer.eos_token_id
    layout = TurnLayout(tokenizer)
    prompt = rlvr_dataset(_instances(task))[0]["prompt"]
    assert prompt_instance_id(prompt) == task[0].instance_id
    scripts = [[FIX, FINISH], ["I just answer without thinking."]]  # expert, then a malformed reply

    def reply_ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"] + [eos]

    calls = []

    def generate(contexts, max_new):
        calls.append(len(contexts))
        turn = len(calls) - 1
        return [reply_ids(scripts[i][turn]) for i in range(len(contexts))]

    envs = [_new_env(docker_client, image_config) for _ in range(2)]
    reward = SweTestsReward(_instances(task), docker_client, image_config)
    try:
        episodes = [TokenEpisode(task[0], layout.prompt_ids(prompt)) for _ in range(2)]
        run_episodes(envs, episodes, generate, layout, [eos], 5, 200, 4096, 2000)
        values = reward(
            [prompt] * 2, [None] * 2, instance_id=[task[0].instance_id] * 2, patch=[e.patch for e in episodes]
        )
    finally:
        for env in envs:
            env.close()
        reward.close()
    expert, broken = episodes
    assert calls == [2, 1]  # both episodes generated in one batch, then only the live one
    assert (expert.ended_by, expert.turns) == ("finish", 2)
    assert (broken.ended_by, broken.turns, broken.patch) == ("format_error", 0, "")
    assert "return a + b" in expert.patch
    assert values == [1.0, 0.0]
    # The policy's tokens (mask 1) are exactly its two replies; the observation (mask 0) sits between.
    own = [t for t, m in zip(expert.completion_ids, expert.env_mask, strict=True) if m]
    assert own == reply_ids(FIX) + reply_ids(FINISH)
    observation = [t for t, m in zip(expert.completion_ids, expert.env_mask, strict=True) if not m]
    text = tokenizer.decode(observation)
    assert "OBSERVATION:" in text and "has been edited" in text
    mask = [1] * len(reply_ids(FIX)) + [0] * len(observation) + [1] * len(reply_ids(FINISH))
    assert expert.env_mask == mask


def test_swe_rlvr_given_instances_needs_their_repos(capsys):
    # (With neither flag the embedded corpus and its rebuilt repositories are the default.)
    assert main(["train", "--method", "srl-rlvr", "--domain", "swe", "--rlvr-instances", "x.jsonl"]) == 1
    err = capsys.readouterr().err
    assert "--rlvr-instances" in err and "--rlvr-repos" in err and len(err.strip().splitlines()) == 1


def test_swe_rlvr_missing_instances_or_repos_is_one_line_before_training(tmp_path, capsys):
    # srl-rlvr trains SFT and SRL before its RLVR phase: a wrong path must stop it before any of that.
    args = ["train", "--method", "srl-rlvr", "--out", str(tmp_path / "run")]
    missing = tmp_path / "tasks.jsonl"
    assert main([*args, "--rlvr-instances", str(missing), "--rlvr-repos", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "tasks.jsonl does not exist" in err and len(err.strip().splitlines()) == 1
    from srl_trainer.data.corpus import with_corpus_defaults

    instances, _ = with_corpus_defaults("", "", "train")
    assert main([*args, "--rlvr-instances", instances, "--rlvr-repos", str(tmp_path / "repos")]) == 1
    err = capsys.readouterr().err
    assert "--rlvr-repos" in err and "not a directory" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


TINY = ["--sft-epochs", "1", "--max-steps", "1", "--max-completion-length", "24", "--num-generations", "2"]
TINY += ["--prompts-per-step", "2", "--rlvr-prompts-per-step", "1", "--per-device-batch-size", "2"]
TINY += ["--ds-max-rounds", "0", "--rlvr-max-turns", "2", "--rlvr-sandboxes", "2", "--max-train-steps", "16"]
TINY += ["--eval-fraction", "0.05", "--eval-max-new-tokens", "2"]  # the before/after step scores cost most
TINY += ["--eval-resolve", "0"]


@pytest.mark.slow
def test_srl_rlvr_on_swe_trains_on_rewards_from_sandbox_test_runs(
    docker_client, instance_image, task, tmp_path
):
    instance, repos = task
    instances = signals.write_instances(tmp_path / "instances.jsonl", [instance])
    out = tmp_path / "run"
    # The embedded sample steps are a small warm-up / SRL set.
    assert main(signals.swe_train_args("srl-rlvr", out, instances, repos, *TINY)) == 0

    summary = json.loads((out / "summary.json").read_text())
    assert summary["phases_done"] == ["sft", "srl", "rlvr"]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rlvr = [m for m in metrics if m["phase"] == "rlvr" and "rewards/swe_tests_resolved/mean" in m]
    assert rlvr, "the RLVR phase logged no test reward"
    assert rlvr[0]["rewards/swe_tests_resolved/mean"] in (0.0, 0.5, 1.0)
    assert "swe/turns" in rlvr[0] and rlvr[0]["swe/test_runs"] >= 1 and "swe/tampered" in rlvr[0]
    episodes = [json.loads(line) for line in (out / "rlvr_episodes.jsonl").read_text().splitlines()]
    assert len(episodes) == 2  # G=2 rollouts of the one instance, one optimizer step
    for episode in episodes:
        assert episode["instance_id"] == instance.instance_id
        assert episode["ended_by"] in ("finish", "format_error", "truncated", "turn_limit", "token_limit")
        # Graded by a real pytest run: both listed tests have a verdict.
        assert set(episode["fail_to_pass"]) == {"tests/test_add.py::test_add"}
        passed = episode["pass_to_pass"] == {"tests/test_sub.py::test_sub": True}
        assert passed or not episode["patch_applied"]
        assert episode["reward"] == float(all(episode["fail_to_pass"].values()))
        assert isinstance(episode["tampered"], list) and not episode["grade_error"]
    assert (out / "final" / "config.json").exists()
    from env.sandbox import SESSION, SESSION_LABEL

    # The rollout and grading sandboxes are gone once the phase ends.
    assert not docker_client.containers.list(all=True, filters={"label": f"{SESSION_LABEL}={SESSION}"})
