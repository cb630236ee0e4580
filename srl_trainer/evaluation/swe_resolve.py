"""Task-level SWE score: the resolve rate of an in-memory model on held-out SWE-bench-format instances.

The first ``count`` instances (sorted by id, so every call scores the same set) are played once each
by the shared agent loop (agent.loop, greedy) in a RepoEnv, exactly as ``solve`` plays them, and
their final patches are graded by the SWE-bench evaluator (evaluation.swe, swebench's grading).
``train`` calls it with the model it holds before and after training, so the model is used as it
is (no save and reload) and is left in the mode it was in.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from agent.loop import AgentConfig, Complete, Episode, Policy
from env.instances import Instance

MODEL_NAME = "resolve-rate"  # the predictions' model_name_or_path (names the evaluator's log folder)


def resolve_rate(
    model,
    tokenizer,
    instances_path: str = "",
    repos: str = "",
    count: int = 10,
    agent_config: AgentConfig | None = None,
    *,
    image_source: str = "build",
    workers: int = 1,
    max_new_tokens: int = 512,
    complete: Policy | Complete | None = None,
) -> dict:
    """{"instances", "resolved", "resolve_rate", "nonempty_patches", "ended_by"} of one greedy pass.

    ``instances_path`` empty: the embedded corpus's held-out instances (and its task repositories).
    ``count`` 0 or less: every instance. ``workers``: instances graded in parallel (the episodes run
    one at a time: there is one model). ``complete`` (messages -> reply text, or an agent.loop
    Policy) plays in place of ``model``/``tokenizer``, which may then be None: an endpoint, or a
    scripted policy in tests. Raises CliError when no Docker engine is reachable.
    """
    from env.images import ImageConfig
    from srl_trainer.engine import docker_client
    from srl_trainer.workflows.solving import play_episodes

    instances, repos = first_instances(instances_path, repos, count)
    client = docker_client()
    image_config = ImageConfig(repos=repos, image_source=image_source)
    policy = complete or model_completer(model, tokenizer, max_new_tokens)
    with generation_mode(model if complete is None else None):
        episodes = play_episodes(client, image_config, instances, policy, agent_config or AgentConfig())
    resolved = resolved_ids(client, image_config, instances, episodes, workers)
    return score(episodes, resolved)


def first_instances(instances_path: str, repos: str, count: int) -> tuple[list[Instance], str]:
    """The first ``count`` instances by id (a fixed set, whatever the file order) and the repos folder."""
    from srl_trainer.workflows.solving import read_task_instances

    instances, repos = read_task_instances(instances_path, repos)
    instances = sorted(instances, key=lambda instance: instance.instance_id)
    return (instances[:count] if count > 0 else instances), repos


def model_completer(model, tokenizer, max_new_tokens: int) -> Complete:
    """messages -> the model's greedy reply, generated on whichever device the model is on."""
    from srl_trainer.models import generate_completions

    def complete(messages: list[dict[str, str]]) -> str:
        [[reply]] = generate_completions(model, tokenizer, [messages], max_new_tokens, batch_size=1)
        return reply

    return complete


@contextmanager
def generation_mode(model) -> Iterator[None]:
    """The model in eval mode (no dropout: greedy replies are reproducible), its own mode restored."""
    if model is None:
        yield
        return
    training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(training)


def resolved_ids(client, image_config, instances: list[Instance], episodes: list[Episode], workers: int):
    """Ids of the instances whose final patch the evaluator finds resolved (empty patches are not)."""
    from env.images import instance_image
    from srl_trainer.evaluation.swe import SweEvalConfig, evaluate_predictions

    predictions = [
        {"instance_id": e.instance_id, "model_name_or_path": MODEL_NAME, "model_patch": e.patch}
        for e in episodes
    ]
    # A fresh log folder per call: the evaluator resumes instances whose logs it finds, which would
    # hand the "after" score the "before" verdicts.
    with tempfile.TemporaryDirectory(prefix="srl-resolve-") as logs:
        config = SweEvalConfig(workers=workers, log_dir=logs, report_dir=logs)
        outcomes = evaluate_predictions(
            client,
            {instance.instance_id: instance for instance in instances},
            predictions,
            lambda instance: instance_image(client, instance, image_config),
            config,
        )
    return {outcome.instance_id for outcome in outcomes if outcome.status == "resolved"}


def score(episodes: list[Episode], resolved: set[str]) -> dict:
    from srl_trainer.workflows.solving import ended_by_counts

    total = len(episodes)
    return {
        "instances": total,
        "resolved": len(resolved),
        "resolve_rate": len(resolved) / total if total else 0.0,
        "nonempty_patches": sum(bool(episode.patch.strip()) for episode in episodes),
        "ended_by": ended_by_counts(episodes),
    }
