"""RLVR on SWE instances: multi-turn agent rollouts in Docker sandboxes, rewarded by the instance's tests.

Built on TRL's ``GRPOTrainer(rollout_func=...)`` extension point (not ``tools`` /
``environment_factory``: those speak the chat template's JSON tool-call format, while this project's
policy answers ``<think>...</think>`` plus one action in the canonical ``<function=...>`` text).

One rollout (:func:`run_episodes`) plays each episode through the shared loop (:class:`agent.loop.
EpisodeState`, one per sandbox, every live episode's reply generated in one batched call per turn):
the policy sees the system prompt and the problem, writes a reply, the action runs in a
:class:`env.repo_env.RepoEnv`, the observation comes back as a user turn
(:func:`agent.prompts.observation_message`), until ``finish``, a malformed reply (no ``</think>``,
no or several calls, a reply cut by ``max_completion_length``), ``rlvr_max_turns`` actions or the
token budget. GRPO sees the whole episode as one completion: the policy's own tokens with
``env_mask`` 1 and the observation turns with 0, so the loss never falls on observations. The loop
keeps the policy's earlier replies in its context thought included (``keep_replies``; ``solve``
feeds back the canonical action only): the training sequence must be exactly what the policy was
conditioned on.

The reward (:class:`SweTestsReward`, a TRL reward function): the episode's patch (``git diff`` of
/testbed) is graded by the project's one grader (:func:`env.grading.grade`: a fresh container from
the instance image, swebench's grading, test-infrastructure changes reverted and flagged); 1.0 when
resolved, else 0.0. Every graded rollout is appended to ``rlvr_episodes.jsonl`` in the run folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.loop import EpisodeState, unlimited
from agent.prompts import observation_message, swe_first_messages
from agent.untrusted import neutralise
from env.instances import Instance

INSTANCE_KEY = "instance_id"  # carried on the problem message: rollout_func sees only the prompts
_REPLY = "\x00SRL-REPLY\x00"
_OBSERVATION = "\x00SRL-OBSERVATION\x00"


def load_rlvr_instances(path: str) -> dict[str, Instance]:
    """The instances of ``--rlvr-instances``; CliError when the file is missing, bad or empty."""
    from env.instances import InstanceError, read_instances
    from srl_trainer.errors import CliError

    try:
        instances = read_instances(path)
    except InstanceError as error:
        raise CliError(str(error)) from None
    if not instances:
        raise CliError(f"{path}: no instance")
    return instances


def rlvr_dataset(instances: dict[str, Instance]):
    """GRPO rows: the agent's first prompt (system + problem) per instance, plus its id."""
    from datasets import Dataset

    rows = []
    for instance in instances.values():
        system, problem = swe_first_messages(instance.problem_statement)
        prompt = [{**system, INSTANCE_KEY: ""}, {**problem, INSTANCE_KEY: instance.instance_id}]
        rows.append({"prompt": prompt, "instance_id": instance.instance_id})
    return Dataset.from_list(rows)


def prompt_instance_id(prompt: list[dict[str, Any]]) -> str:
    return next(m[INSTANCE_KEY] for m in prompt if m.get(INSTANCE_KEY))


class TurnLayout:
    """Token ids of the chat template's pieces: the first prompt and one observation turn.

    The observation turn is what the template puts between the end of an assistant reply (its EOS,
    which the policy generated) and the next assistant reply, with the observation as user content.
    """

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        eos = tokenizer.eos_token
        text = tokenizer.apply_chat_template(
            [
                {"role": "user", "content": "task"},
                {"role": "assistant", "content": _REPLY},
                {"role": "user", "content": _OBSERVATION},
            ],
            tokenize=False,
            add_generation_prompt=True,
        )
        after_reply = text[text.index(_REPLY) + len(_REPLY) :]
        if not after_reply.startswith(eos):
            raise ValueError(f"the chat template does not end an assistant turn with EOS ({eos!r})")
        self._before, self._after = after_reply[len(eos) :].split(_OBSERVATION)

    def prompt_ids(self, messages: list[dict[str, Any]]) -> list[int]:
        # The problem statement is repository text: its special-token strings stay text.
        plain = [{"role": m["role"], "content": neutralise(m["content"], self.tokenizer)} for m in messages]
        text = self.tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=True)
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def observation_ids(self, observation: str) -> list[int]:
        safe = neutralise(observation, self.tokenizer)  # a forged turn in a file stays text
        text = self._before + observation_message(safe) + self._after
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]


@dataclass
class TokenEpisode:
    """One rollout as GRPO sees it (token ids and mask), around the shared loop's episode state."""

    instance: Instance
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)  # 1: the policy's token, 0: an observation token
    state: EpisodeState | None = None  # set when the episode starts

    @property
    def turns(self) -> int:
        """Actions executed."""
        return self.state.episode.turns if self.state else 0

    @property
    def ended_by(self) -> str:
        """finish | format_error | truncated | turn_limit | token_limit | env_error."""
        ended = self.state.episode.ended_by if self.state else ""
        return "turn_limit" if ended == "step_limit" else ended  # the name rlvr_episodes.jsonl uses

    @property
    def patch(self) -> str:
        return self.state.episode.patch if self.state else ""


# contexts (token ids) and a token limit -> one reply (token ids, EOS included when generated) each
Generate = Callable[[list[list[int]], int], list[list[int]]]


def run_episodes(
    envs: Sequence,
    episodes: list[TokenEpisode],
    generate: Generate,
    layout: TurnLayout,
    eos_ids: Sequence[int],
    max_turns: int,
    max_new_tokens: int,
    max_tokens: int,
    max_observation_chars: int,
) -> list[TokenEpisode]:
    """Play ``episodes`` side by side, episode i in ``envs[i]``; each turn is one batched generation."""
    tokenizer = layout.tokenizer
    limits = unlimited(max_turns, max_observation_chars)

    def start(i: int) -> None:
        try:
            episodes[i].state = EpisodeState(envs[i], episodes[i].instance, limits, keep_replies=True)
        except Exception as error:  # no sandbox (engine hiccup): ends env_error at its first action
            episodes[i].state = EpisodeState(_NoEnv(error), episodes[i].instance, limits, keep_replies=True)

    def act(i: int, reply: list[int]) -> None:
        episode, state = episodes[i], episodes[i].state
        episode.completion_ids += reply
        episode.env_mask += [1] * len(reply)
        if reply[-1] not in eos_ids:  # cut by the token limit: never a complete reply
            state.end("truncated")
            return
        try:
            shown = state.advance(tokenizer.decode(reply, skip_special_tokens=True))
        except Exception:  # a broken sandbox ends this episode, not the run
            state.end("env_error")
            return
        if shown is None:  # ended (finish, malformed, the last turn's action ran)
            return
        ids = layout.observation_ids(shown)
        if len(episode.prompt_ids) + len(episode.completion_ids) + len(ids) >= max_tokens:
            state.end("token_limit")
            return
        episode.completion_ids += ids
        episode.env_mask += [0] * len(ids)

    def diff(i: int) -> None:
        try:
            episodes[i].state.close()
        except Exception:  # no diff to grade: the tests judge the untouched repository
            episodes[i].state.episode.patch = ""

    with ThreadPoolExecutor(max_workers=len(episodes)) as pool:
        list(pool.map(start, range(len(episodes))))
        live = list(range(len(episodes))) if max_turns > 0 else []
        while live:
            contexts = [episodes[i].prompt_ids + episodes[i].completion_ids for i in live]
            room = max_tokens - max(len(c) for c in contexts)
            if room <= 0:
                for i in live:
                    episodes[i].state.end("token_limit")
                break
            list(pool.map(act, live, generate(contexts, min(max_new_tokens, room))))
            live = [i for i in live if not episodes[i].state.ended]
        list(pool.map(diff, range(len(episodes))))
    return episodes


class _NoEnv:
    """Stands in for an environment that could not be reset: the episode still gets its first
    reply (GRPO needs a completion), then ends ``env_error`` with an empty patch."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def reset(self, instance: Instance) -> str:
        return instance.problem_statement

    def step(self, action):
        raise RuntimeError(f"no environment: {self.error}")

    def patch(self) -> str:
        return ""


def _new_env(client, image_config, command_timeout: int = 120):
    from env.repo_env import RepoEnv, RepoEnvConfig

    config = RepoEnvConfig(reset_mode="fresh", command_timeout=command_timeout)
    return RepoEnv(client, image_config, config=config)


class EnvPool:
    """The RepoEnvs RLVR episodes run in, one per lane of a batch, kept across batches.

    Every episode starts in a fresh container from the instance image (``reset_mode="fresh"``), and
    :meth:`run` removes it as soon as the episode's diff is read. Why not a warm reset: it restores
    only /testbed and /tmp, and proving a reset complete would mean restoring the whole filesystem
    (site-packages, ``.pth`` hooks, /root, /var/tmp, /etc, git's global config), every process and
    IPC object; a policy optimised against the reward finds any gap by itself (an episode that
    rewrote pytest's installed files made later episodes' tests pass). A new container is the one
    complete restore, and it costs ~0.3-0.5 s per episode against seconds to minutes of generation.
    Removing it right after the episode also means no container idles with a leftover process
    while the trainer computes gradients.

    An env whose episode ended ``env_error`` (its sandbox broke: ``rm -rf /``, the disk limit) is
    dropped from the pool and a new env takes its lane, so a broken sandbox never reaches another
    batch.
    """

    def __init__(self, client, image_config) -> None:
        self.client = client
        self.image_config = image_config
        self.envs: list = []

    def take(self, count: int) -> list:
        while len(self.envs) < count:
            self.envs.append(_new_env(self.client, self.image_config))
        return self.envs[:count]

    def run(self, episodes: list[TokenEpisode], lanes: int, play: Callable[[list, list[TokenEpisode]], Any]):
        """Play ``episodes`` ``lanes`` at a time: ``play(envs, chunk)`` runs one chunk in the pool's
        envs; after each chunk every episode's container is removed."""
        lanes = max(1, lanes)
        for start in range(0, len(episodes), lanes):
            chunk = episodes[start : start + lanes]
            envs = self.take(len(chunk))
            try:
                play(envs, chunk)
            finally:
                self.release(envs, [episode.ended_by == "env_error" for episode in chunk])

    def release(self, envs: list, broken: list[bool]) -> None:
        """Remove the containers of ``envs`` (side by side: a removal takes ~0.1-0.3 s) and drop
        from the pool each env whose episode ``broken`` says ended with a broken sandbox."""
        with ThreadPoolExecutor(max_workers=max(1, len(envs))) as pool:
            list(pool.map(lambda env: env.close(), envs))
        dropped = {id(env) for env, bad in zip(envs, broken, strict=True) if bad}
        self.envs = [env for env in self.envs if id(env) not in dropped]

    def close(self) -> None:
        for env in self.envs:
            env.close()
        self.envs = []


class SweRollout:
    """``rollout_func`` for GRPOTrainer: one sandboxed multi-turn episode per prompt it is given."""

    def __init__(self, config, instances: dict[str, Instance], client, image_config, tokenizer) -> None:
        self.config = config
        self.instances = instances
        self.layout = TurnLayout(tokenizer)
        self.pool = EnvPool(client, image_config)

    def __call__(self, prompts: list[list[dict[str, Any]]], trainer) -> dict[str, Any]:
        import torch
        from trl.models import unwrap_model_for_generation

        config = self.config
        context = getattr(trainer.model.config, "max_position_embeddings", None)
        max_tokens = min(config.rlvr_max_episode_tokens, context or config.rlvr_max_episode_tokens)
        pad_id = trainer.processing_class.pad_token_id
        device = trainer.accelerator.device

        def generate(contexts: list[list[int]], max_new: int) -> list[list[int]]:
            width = max(len(c) for c in contexts)
            ids = torch.tensor([[pad_id] * (width - len(c)) + c for c in contexts], device=device)
            mask = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts], device=device)
            with (
                unwrap_model_for_generation(
                    trainer.model_wrapped,
                    trainer.accelerator,
                    gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
                    generation_kwargs=trainer.generation_kwargs,
                    gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs,
                ) as model,
                torch.no_grad(),
            ):
                out = model.generate(
                    input_ids=ids,
                    attention_mask=mask,
                    generation_config=trainer.generation_config,
                    max_new_tokens=max_new,
                )
            replies = []
            for row in out[:, width:].tolist():
                end = next((k for k, t in enumerate(row) if t in trainer.eos_token_ids), None)
                replies.append(row[: end + 1] if end is not None else row)
            return replies

        episodes = [
            TokenEpisode(self.instances[prompt_instance_id(p)], self.layout.prompt_ids(p)) for p in prompts
        ]

        def play(envs: list, chunk: list[TokenEpisode]) -> None:
            run_episodes(
                envs,
                chunk,
                generate,
                self.layout,
                trainer.eos_token_ids,
                config.rlvr_max_turns,
                config.max_completion_length,
                max_tokens,
                config.rlvr_max_observation_chars,
            )

        self.pool.run(episodes, config.rlvr_sandboxes, play)
        mode = "train" if trainer.model.training else "eval"
        metrics = trainer._metrics[mode]  # logged with TRL's own metrics (metrics.jsonl)
        n = len(episodes)
        metrics["swe/turns"].append(sum(e.turns for e in episodes) / n)
        metrics["swe/finished"].append(sum(e.ended_by == "finish" for e in episodes) / n)
        metrics["swe/format_errors"].append(
            sum(e.ended_by in ("format_error", "truncated") for e in episodes) / n
        )
        metrics["swe/nonempty_patch"].append(sum(bool(e.patch.strip()) for e in episodes) / n)
        # Episodes whose sandbox broke (rm -rf /, the disk limit, an engine error): they end with an
        # empty patch and training goes on, but a rising share means the sandboxes need a look.
        metrics["swe/env_errors"].append(sum(e.ended_by == "env_error" for e in episodes) / n)
        return {
            "prompt_ids": [e.prompt_ids for e in episodes],
            "completion_ids": [e.completion_ids for e in episodes],
            "logprobs": None,  # generated by the training model itself: no importance correction
            "env_mask": [e.env_mask for e in episodes],
            "patch": [e.patch for e in episodes],
            "turns": [e.turns for e in episodes],
            "ended_by": [e.ended_by for e in episodes],
        }

    def close(self) -> None:
        self.pool.close()


class SweTestsReward:
    """TRL reward function: 1.0 when the instance's tests pass on the rollout's patch, else 0.0.

    Grading is the project's one grader (:func:`env.grading.grade`, swebench's log parsing and
    grading, as ``evaluate`` uses): each distinct patch in a FRESH container from the instance
    image, removed afterwards, so nothing one rollout's patch did at test time can reach another
    grade. A patch that changes test infrastructure (test-patch files, any conftest.py, pytest
    configuration, test-folder __init__.py, listed test files, modules shadowing the runner,
    packaging metadata and .pth files, symbolic links: env.grading.tampered_paths) is graded with
    those changes reverted and flagged ``tampered`` in
    rlvr_episodes.jsonl and the ``swe/tampered`` metric; a grade whose test log is not pytest's own
    report (env.grading.forged_log_reasons) is reward 0.0, its reasons logged as ``forged`` and
    counted in ``swe/forged``. Identical (instance, patch) pairs of one batch (a group that changed
    nothing, say) are graded once. A grade that fails (a container error, a timeout) is reward 0.0
    with its ``grade_error`` logged; training goes on.
    """

    __name__ = "swe_tests_resolved"

    def __init__(
        self,
        instances: dict[str, Instance],
        client,
        image_config,
        sandboxes: int = 1,
        test_timeout: int = 600,
        log_path: Path | None = None,
    ) -> None:
        self.instances = instances
        self.client = client
        self.image_config = image_config
        self.sandboxes = max(1, sandboxes)
        self.test_timeout = test_timeout
        self.log_path = log_path
        self.test_runs = 0
        self._images: dict[str, str] = {}

    def grade(self, instance: Instance, patch: str):
        """The :class:`env.grading.Verdict` of ``patch`` (tampering reverted); never raises."""
        from env.grading import Verdict, grade
        from env.images import instance_image

        try:
            image = self._images.get(instance.instance_id)
            if image is None:
                image = self._images[instance.instance_id] = instance_image(
                    self.client, instance, self.image_config
                )
            verdict = grade(
                self.client, image, instance, patch, timeout=self.test_timeout, revert_tampered=True
            )
        except Exception as error:  # one broken grade is reward 0, not the end of training
            return Verdict(error=f"{type(error).__name__}: {error}"[:500])
        self.test_runs += 1
        return verdict

    def grade_all(self, pairs: list[tuple[str, str]]) -> dict:
        """Verdicts of the distinct (instance_id, patch) pairs, ``sandboxes`` grades at a time."""
        todo = list(dict.fromkeys(pairs))
        with ThreadPoolExecutor(max_workers=min(self.sandboxes, len(todo))) as pool:
            verdicts = pool.map(lambda pair: self.grade(self.instances[pair[0]], pair[1]), todo)
            return dict(zip(todo, verdicts, strict=True))

    def __call__(self, prompts, completions, instance_id, patch=None, **kwargs) -> list[float]:
        patches = list(patch) if patch is not None else [""] * len(instance_id)
        pairs = list(zip(instance_id, patches, strict=True))
        verdicts = self.grade_all(pairs)
        rewards = [1.0 if verdicts[pair].resolved else 0.0 for pair in pairs]
        if "log_metric" in kwargs:
            kwargs["log_metric"]("swe/test_runs", float(len(verdicts)))
            tampered = sum(bool(verdicts[pair].tampered) for pair in pairs)
            kwargs["log_metric"]("swe/tampered", tampered / max(1, len(pairs)))
            forged = sum(bool(verdicts[pair].forged) for pair in pairs)
            kwargs["log_metric"]("swe/forged", forged / max(1, len(pairs)))
        if self.log_path is not None:
            self._log(pairs, rewards, verdicts, kwargs)
        return rewards

    def _log(self, pairs: list[tuple[str, str]], rewards: list[float], verdicts: dict, kwargs: dict) -> None:
        """Append one rlvr_episodes.jsonl record per graded rollout."""
        state = kwargs.get("trainer_state")
        turns = kwargs.get("turns") or [None] * len(rewards)
        ended_by = kwargs.get("ended_by") or [None] * len(rewards)
        with open(self.log_path, "a") as file:
            for k, pair in enumerate(pairs):
                verdict = verdicts[pair]
                record = {
                    "step": state.global_step if state is not None else None,
                    "instance_id": pair[0],
                    "reward": rewards[k],
                    "turns": turns[k],
                    "ended_by": ended_by[k],
                    "patch_sha": hashlib.sha256(pair[1].encode()).hexdigest()[:12],
                    "patch": pair[1],
                    "patch_applied": verdict.patch_applied,
                    "apply_command": verdict.apply_command,
                    "tampered": verdict.tampered,
                    "forged": verdict.forged,
                    "fail_to_pass": verdict.fail_to_pass,
                    "pass_to_pass": verdict.pass_to_pass,
                    "grade_error": verdict.error,
                    "grade_seconds": round(verdict.seconds, 2),
                }
                file.write(json.dumps(record) + "\n")

    def close(self) -> None:
        """Nothing is kept between grades (each container is removed with its grade)."""


@dataclass
class SweRlvrParts:
    """What grpo_phase hands GRPOTrainer for SWE RLVR, and closes afterwards."""

    dataset: Any
    rollout: SweRollout
    reward: SweTestsReward

    def close(self) -> None:
        self.rollout.close()
        self.reward.close()


def swe_rlvr_parts(config, tokenizer, run_dir: Path, write_log: bool = True) -> SweRlvrParts:
    from env.images import ImageConfig
    from srl_trainer.engine import START_ENGINE, docker_client

    instances = load_rlvr_instances(config.rlvr_instances)
    client = docker_client(f"rlvr --domain swe runs its rollouts in sandboxes: {START_ENGINE}")
    image_config = ImageConfig(repos=config.rlvr_repos, image_source=config.rlvr_image_source)
    rollout = SweRollout(config, instances, client, image_config, tokenizer)
    reward = SweTestsReward(
        instances,
        client,
        image_config,
        sandboxes=config.rlvr_sandboxes,
        test_timeout=config.rlvr_test_timeout,
        log_path=run_dir / "rlvr_episodes.jsonl" if write_log else None,
    )
    return SweRlvrParts(rlvr_dataset(instances), rollout, reward)
