"""The one in-memory shape every expert-trajectory format is read into."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.actions import Action


@dataclass
class Step:
    """One expert action, the reasoning that preceded it and what the environment answered."""

    thought: str
    action: Action
    observation: str


@dataclass
class Trajectory:
    """A solved (or attempted) task: the problem text and the expert's steps in order."""

    problem: str
    steps: list[Step] = field(default_factory=list)
    instance_id: str | None = None
    resolved: bool | None = None
    source_format: str = ""
