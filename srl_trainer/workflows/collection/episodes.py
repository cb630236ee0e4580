"""Collect episodes: a policy plays one through the shared loop (agent.loop), then the resolve check.

An episode's observations are whatever the sandbox answered. After ``finish``, the episode's patch
(the diff of ``/testbed``) is graded by the project's one grader (env.grading: a fresh container from
the instance image, swebench's grading, changes to test infrastructure reverted), so nothing the
agent did to its own container outside the diff can make the tests pass; only a resolved episode
becomes a record. Records are written by agent.records (SWE-Gym native tool calls and,
optionally, OpenHands text function calls); ``agent.formats.read_trajectories`` reads both.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter

from agent.actions import Action, BashAction, EditorAction, render_action
from agent.loop import Episode, Policy, run_agent, unlimited


def run_episode(env, policy: Policy, instance, max_steps: int, test_timeout: int = 300) -> Episode:
    """One attempt at ``instance``; the episode says whether its final patch resolves it.

    ``error`` says why an episode is not kept; its text up to the first ``:`` is the outcome collect
    counts (garbage, endpoint, step_limit, unresolved). The teacher sees its whole replies and every
    observation uncut, so the loop keeps replies and has no clock, no history window and no cutting.
    """
    from env.grading import grade
    from env.images import instance_image

    episode = run_agent(env, instance, policy, unlimited(max_steps), keep_replies=True)
    if episode.ended_by == "format_error":
        episode.error = f"garbage: {episode.error}"
    if episode.ended_by in ("policy_error", "format_error"):
        return episode
    if episode.ended_by != "finish":
        episode.error = f"step_limit: no finish within {max_steps} steps"
        return episode
    image = instance_image(env.client, instance, env.image_config)
    verdict = grade(env.client, image, instance, episode.patch, timeout=test_timeout, revert_tampered=True)
    episode.resolved = verdict.resolved
    if verdict.error:
        episode.error = f"unresolved: {verdict.error}"
    elif verdict.forged:
        episode.error = f"unresolved: its test log is forged ({'; '.join(verdict.forged)})"
    elif not episode.resolved:
        failed = [t for t, ok in {**verdict.fail_to_pass, **verdict.pass_to_pass}.items() if not ok]
        reverted = f" (its changes to {', '.join(verdict.tampered)} reverted)" if verdict.tampered else ""
        applied = "" if verdict.patch_applied else " (its patch does not apply to a clean checkout)"
        episode.error = f"unresolved: {len(failed)} test(s) fail after finish{reverted}{applied}"
    return episode


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
        Episode(problem=t.problem, steps=list(t.steps), instance_id=t.instance_id or "", resolved=True)
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
