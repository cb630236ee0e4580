"""The agent on a list of task instances: one episode each, in one RepoEnv, for `solve` and the resolve rate.

``solve`` writes each episode's prediction as it finishes (``on_episode``); the resolve rate grades
the returned episodes' patches afterwards. Both read their instances the same way: a SWE-bench-format
file, or by default the embedded corpus's held-out split and its task repositories.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from agent.loop import AgentConfig, Complete, Episode, Policy, run_agent
from env.images import ImageConfig
from env.instances import Instance, read_instances


def read_task_instances(instances_path: str, repos: str) -> tuple[list[Instance], str]:
    """(instances in file order, repos folder); no ``instances_path``: the embedded held-out corpus.

    Raises env.instances.InstanceError for a missing or malformed file.
    """
    from srl_trainer.data.corpus import with_corpus_defaults

    instances_path, repos = with_corpus_defaults(instances_path, repos, "heldout")
    return list(read_instances(instances_path).values()), repos


def play_episode(
    env, instance: Instance, policy: Policy | Complete, config: AgentConfig, oracle_files: bool
) -> Episode:
    """One episode, or an episode ended by ``error`` (empty patch) when the image or container broke."""
    try:
        return run_agent(env, instance, policy, config, oracle_files=oracle_files)
    except Exception as error:  # one broken instance (image, container) must not end the run
        return Episode(
            problem="",
            instance_id=instance.instance_id,
            ended_by="error",
            error=f"{type(error).__name__}: {error}",
        )


def play_episodes(
    client,
    image_config: ImageConfig,
    instances: Iterable[Instance],
    policy: Policy | Complete,
    config: AgentConfig,
    oracle_files: bool = False,
    on_episode: Callable[[Episode], None] | None = None,
) -> list[Episode]:
    """One episode of ``policy`` per instance, in order, in one RepoEnv (warm containers are reused).

    ``on_episode`` sees each episode as soon as it ends, so a caller can save it before the next one
    starts. Every container the env opened is closed on return, and on any exception.
    """
    from env.repo_env import RepoEnv

    env = RepoEnv(client, image_config)
    episodes = []
    try:
        for instance in instances:
            episode = play_episode(env, instance, policy, config, oracle_files)
            episodes.append(episode)
            if on_episode is not None:
                on_episode(episode)
    finally:
        env.close()
    return episodes


def ended_by_counts(episodes: Iterable[Episode]) -> dict[str, int]:
    """How many episodes ended which way (finish, step_limit, ..., error), sorted by the reason."""
    return dict(sorted(Counter(episode.ended_by for episode in episodes).items()))
