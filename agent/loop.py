"""The episode loop of the trained agent: observe, think, emit one action, until finish or a limit.

The conversation has the layout the SRL step data trains on (agent.prompts): system prompt, the
problem, then each action in its canonical text as an assistant turn and its observation as a user
turn (the model's private ``<think>`` text is not fed back, as in training). A reply that breaks the
think-then-one-action format costs a step and is answered with the format error, so a weak model
ends by the step limit rather than by crashing the run.

``complete`` is any function from chat messages to the reply text: a local transformers model, vLLM,
or an OpenAI-compatible endpoint. ``env`` is anything with ``reset(instance)``, ``step(action)`` and
``patch()`` (env.RepoEnv), so this module imports neither.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.actions import render_action
from agent.completion import CompletionFormatError, parse_completion
from agent.patches import patched_files
from agent.prompts import SWE_SYSTEM_PROMPT, observation_message, swe_problem_message
from agent.trajectory import Step

Complete = Callable[[list[dict[str, str]]], str]

FORMAT_REMINDER = (
    "Your reply did not follow the format ({error}). Answer with <think>...</think> followed by "
    "exactly one tool call."
)


@dataclass
class AgentConfig:
    """Limits of one episode."""

    max_steps: int = field(default=30, metadata={"help": "Most actions (or malformed replies) per episode."})
    time_limit: float = field(default=1800.0, metadata={"help": "Seconds one episode may take."})
    max_observation_chars: int = field(
        default=6000,
        metadata={"help": "Longer observations are cut (head and tail) before the model sees them."},
    )
    history_turns: int = field(
        default=20, metadata={"help": "Most recent action/observation pairs kept in the prompt."}
    )


@dataclass
class AgentEpisode:
    instance_id: str
    problem: str
    steps: list[Step] = field(default_factory=list)
    patch: str = ""
    format_errors: int = 0
    ended_by: str = ""  # finish | step_limit | time_limit


def cut_middle(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = limit // 2
    return f"{text[:head]}\n[... {len(text) - limit} characters cut ...]\n{text[-(limit - head) :]}"


def oracle_files_note(gold_patch: str) -> str:
    """The paper's oracle-file setting: name the files the gold patch edits."""
    files = patched_files(gold_patch)
    if not files:
        return ""
    return "\n\nThe fix belongs in: " + ", ".join(f"/testbed/{f}" for f in files)


def run_agent(
    env, instance, complete: Complete, config: AgentConfig, oracle_files: bool = False
) -> AgentEpisode:
    """One episode of the policy on ``instance``; the patch is the diff of /testbed at the end."""
    problem = env.reset(instance)
    shown_problem = problem + (oracle_files_note(instance.patch) if oracle_files else "")
    episode = AgentEpisode(instance.instance_id, shown_problem)
    head = [
        {"role": "system", "content": SWE_SYSTEM_PROMPT},
        {"role": "user", "content": swe_problem_message(shown_problem)},
    ]
    turns: list[dict[str, str]] = []
    started = time.monotonic()
    episode.ended_by = "step_limit"
    for _ in range(config.max_steps):
        if time.monotonic() - started > config.time_limit:
            episode.ended_by = "time_limit"
            break
        reply = complete(head + turns[-2 * config.history_turns :])
        try:
            thought, action = parse_completion(reply)
        except CompletionFormatError as error:
            episode.format_errors += 1
            turns += [
                {"role": "assistant", "content": reply},
                {"role": "user", "content": FORMAT_REMINDER.format(error=error)},
            ]
            continue
        observation, done = env.step(action)
        episode.steps.append(Step(thought, action, observation))
        if done:
            episode.ended_by = "finish"
            break
        turns += [
            {"role": "assistant", "content": render_action(action)},
            {
                "role": "user",
                "content": observation_message(cut_middle(observation, config.max_observation_chars)),
            },
        ]
    episode.patch = env.patch()
    return episode
