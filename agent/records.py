"""The one writer of trajectory records: SWE-Gym's two OpenHands layouts, read back by agent.formats.

``native_record`` (OpenHands-Sampled-Trajectories: ``tool_calls`` + ``tool`` messages) is what
``collect``, ``solve`` and ``replay`` write; ``text_record`` (OpenHands-SFT-Trajectories: calls as
text, results as user turns) is collect's ``--text-format``. The system prompt is the agent's own and
the problem is the first user turn as recorded (a replayed record keeps its ``<uploaded_files>``
block, so it can be replayed again). ``finish`` has no observation, so it gets no tool/user turn.
"""

from __future__ import annotations

import json

from agent.actions import Action, action_arguments, render_action
from agent.loop import Episode
from agent.prompts import SWE_SYSTEM_PROMPT, observation_message
from agent.trajectory import Trajectory


def _arguments_json(action: Action) -> str:
    arguments = {k: list(v) if isinstance(v, tuple) else v for k, v in action_arguments(action).items()}
    return json.dumps(arguments, ensure_ascii=False)


def _head(trajectory: Trajectory) -> list[dict]:
    return [
        {"role": "system", "content": SWE_SYSTEM_PROMPT},
        {"role": "user", "content": trajectory.problem},
    ]


def native_record(trajectory: Trajectory, run_id: str) -> dict:
    """SWE-Gym OpenHands-Sampled-Trajectories layout (native tool calls)."""
    messages = _head(trajectory)
    for index, step in enumerate(trajectory.steps):
        call_id = f"call_{index:03d}"
        function = {"name": step.action.tool, "arguments": _arguments_json(step.action)}
        messages.append(
            {
                "role": "assistant",
                "content": step.thought,
                "tool_calls": [{"id": call_id, "type": "function", "function": function}],
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
    patch = trajectory.patch if isinstance(trajectory, Episode) else ""
    return {
        "instance_id": trajectory.instance_id,
        "run_id": run_id,
        "resolved": trajectory.resolved,
        "messages": messages,
        "test_result": {"git_patch": patch, "report": {"resolved": trajectory.resolved}},
    }


def text_record(trajectory: Trajectory, run_id: str) -> dict:
    """SWE-Gym OpenHands-SFT-Trajectories layout (calls written as text, results as user turns)."""
    messages = _head(trajectory)
    for step in trajectory.steps:
        messages.append({"role": "assistant", "content": f"{step.thought}\n\n{render_action(step.action)}"})
        if step.action.tool != "finish":
            messages.append(
                {"role": "user", "content": f"EXECUTION RESULT of [{step.action.tool}]:\n{step.observation}"}
            )
    return {
        "instance_id": trajectory.instance_id,
        "run_id": run_id,
        "resolved": trajectory.resolved,
        "messages": messages,
    }
