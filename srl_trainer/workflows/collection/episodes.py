"""Drive a policy through a RepoEnv, keep resolved episodes, and write them in SWE-Gym's two formats.

An episode's observations are whatever the sandbox answered. After ``finish`` (or the step limit),
FAIL_TO_PASS and PASS_TO_PASS run on the final state of ``/testbed`` (env.verify); only a resolved
episode becomes a record. Records are SWE-Gym native tool calls (``tool_calls`` + ``tool`` messages)
and, optionally, OpenHands text function calls; ``agent.formats.read_trajectories`` reads both.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from agent.actions import Action, BashAction, EditorAction, action_arguments, render_action
from agent.prompts import SWE_SYSTEM_PROMPT, observation_message
from agent.trajectory import Step


class PolicyError(RuntimeError):
    """The policy could not produce an action (garbage output, endpoint down); ``reason`` is its key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class Policy(Protocol):
    def reset(self, instance) -> None: ...

    def act(self, observation: str) -> tuple[str, Action]: ...


@dataclass
class Episode:
    instance_id: str
    problem: str
    steps: list[Step] = field(default_factory=list)
    resolved: bool = False
    patch: str = ""
    error: str = ""  # why the episode was not kept ('' when resolved)


def run_episode(env, policy: Policy, instance, max_steps: int, test_timeout: int = 300) -> Episode:
    """One attempt at ``instance``; the episode says whether its final patch resolves it."""
    from env.verify import run_instance_tests

    problem = env.reset(instance)
    policy.reset(instance)
    episode = Episode(instance.instance_id, problem)
    observation = problem
    finished = False
    for _ in range(max_steps):
        try:
            thought, action = policy.act(observation)
        except PolicyError as error:
            episode.error = str(error)
            return episode
        observation, done = env.step(action)
        episode.steps.append(Step(thought, action, observation))
        if done:
            finished = True
            break
    episode.patch = env.patch()
    if not finished:
        episode.error = f"step_limit: no finish within {max_steps} steps"
        return episode
    verdicts = run_instance_tests(env.sandbox, instance, timeout=test_timeout)
    episode.resolved = verdicts.resolved
    if not episode.resolved:
        failed = [t for t, ok in {**verdicts.fail_to_pass, **verdicts.pass_to_pass}.items() if not ok]
        episode.error = f"unresolved: {len(failed)} test(s) fail after finish"
    return episode


def _arguments_json(action: Action) -> str:
    arguments = {k: list(v) if isinstance(v, tuple) else v for k, v in action_arguments(action).items()}
    return json.dumps(arguments, ensure_ascii=False)


def native_record(episode: Episode, run_id: str) -> dict:
    """SWE-Gym OpenHands-Sampled-Trajectories layout (native tool calls)."""
    messages: list[dict] = [
        {"role": "system", "content": SWE_SYSTEM_PROMPT},
        {"role": "user", "content": episode.problem},
    ]
    for index, step in enumerate(episode.steps):
        call_id = f"call_{index:03d}"
        messages.append(
            {
                "role": "assistant",
                "content": step.thought,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": step.action.tool, "arguments": _arguments_json(step.action)},
                    }
                ],
            }
        )
        if step.action.tool != "finish":
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "name": step.action.tool,
                    "content": observation_message(step.observation),
                }
            )
    return {
        "instance_id": episode.instance_id,
        "run_id": run_id,
        "resolved": episode.resolved,
        "messages": messages,
        "test_result": {"git_patch": episode.patch, "report": {"resolved": episode.resolved}},
    }


def text_record(episode: Episode, run_id: str) -> dict:
    """SWE-Gym OpenHands-SFT-Trajectories layout (calls written as text, results as user turns)."""
    messages: list[dict] = [
        {"role": "system", "content": SWE_SYSTEM_PROMPT},
        {"role": "user", "content": episode.problem},
    ]
    for step in episode.steps:
        messages.append({"role": "assistant", "content": f"{step.thought}\n\n{render_action(step.action)}"})
        if step.action.tool != "finish":
            messages.append(
                {"role": "user", "content": f"EXECUTION RESULT of [{step.action.tool}]:\n{step.observation}"}
            )
    return {
        "instance_id": episode.instance_id,
        "run_id": run_id,
        "resolved": episode.resolved,
        "messages": messages,
    }


def command_shape(action: Action) -> str:
    """The kind of an action with its specifics (paths, names, numbers) blanked out."""
    if isinstance(action, EditorAction):
        extra = " view_range" if action.view_range else ""
        return f"str_replace_editor {action.command}{extra}"
    if not isinstance(action, BashAction):
        return action.tool
    shapes = []
    for part in re.split(r"\s*(?:&&|\|\||\||;)\s*", action.command):
        try:
            words = shlex.split(part)
        except ValueError:
            words = part.split()
        if not words or words[0] == "cd":
            continue
        kept = [words[0]]
        for word in words[1:]:
            if word.startswith("-") and not word.startswith("--include"):
                kept.append(word)
            elif word in ("pytest", "-m", "ls-files", "diff"):
                kept.append(word)
        shapes.append(" ".join(kept))
    return "execute_bash " + " | ".join(shapes)


def resolved_episodes(path) -> list[Episode]:
    """The episodes of a file of native records ``collect`` wrote (any suffix: one JSON per line)."""
    from pathlib import Path

    from agent.formats import parse_openhands_native

    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [
        Episode(t.instance_id or "", t.problem, list(t.steps), resolved=True)
        for t in (parse_openhands_native(json.loads(line)) for line in lines if line.strip())
    ]


def diversity_report(episodes: list[Episode]) -> dict:
    """Distinct first actions, distinct command shapes and the steps-per-trajectory histogram."""
    first = Counter(render_action(e.steps[0].action) for e in episodes if e.steps)
    first_shapes = Counter(command_shape(e.steps[0].action) for e in episodes if e.steps)
    shapes = Counter(command_shape(s.action) for e in episodes for s in e.steps)
    histogram = Counter(len(e.steps) for e in episodes)
    return {
        "trajectories": len(episodes),
        "steps": sum(len(e.steps) for e in episodes),
        "distinct_first_actions": len(first),
        "distinct_first_action_shapes": len(first_shapes),
        "distinct_command_shapes": len(shapes),
        "command_shapes": dict(shapes.most_common()),
        "steps_histogram": {str(k): histogram[k] for k in sorted(histogram)},
    }


def format_diversity(report: dict) -> str:
    lines = [
        f"trajectories {report['trajectories']}, steps {report['steps']}",
        f"distinct first actions {report['distinct_first_actions']} "
        f"({report['distinct_first_action_shapes']} shapes), "
        f"distinct command shapes {report['distinct_command_shapes']}",
        "steps per trajectory:",
    ]
    width = max(report["steps_histogram"].values(), default=1)
    for steps, count in report["steps_histogram"].items():
        bar = "#" * max(1, round(40 * count / width))
        lines.append(f"  {steps:>3} | {bar} {count}")
    return "\n".join(lines)
