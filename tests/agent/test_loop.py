"""The shared episode loop with an in-memory environment: what its users (solve, collect, RLVR) rely on."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.actions import BashAction, FinishAction, render_action
from agent.loop import AgentConfig, EpisodeState, PolicyError, run_agent, unlimited


@dataclass
class Task:
    instance_id: str = "t-1"
    problem_statement: str = "make it work"
    patch: str = "diff --git a/pkg/mod.py b/pkg/mod.py\n"


@dataclass
class MemoryEnv:
    """Echoes each command; the 'patch' lists the commands run."""

    ran: list[str] = field(default_factory=list)

    def reset(self, instance) -> str:
        self.ran = []
        return instance.problem_statement

    def step(self, action):
        if isinstance(action, FinishAction):
            return "", True
        self.ran.append(action.command)
        return "out:" + action.command * 3, False

    def patch(self) -> str:
        return "\n".join(self.ran)


def reply(command: str, thought: str = "t") -> str:
    return f"<think>{thought}</think>" + render_action(BashAction(command))


FINISH = "<think>done</think>" + render_action(FinishAction())


class Scripted:
    """A policy answering from a list; remembers every context and observation it was shown."""

    def __init__(self, replies) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[list[dict], str]] = []

    def reset(self, instance) -> None:
        self.seen = []

    def act(self, context, observation):
        self.seen.append((context, observation))
        return self.replies.pop(0)


def test_canonical_context_answers_a_malformed_reply_and_feeds_back_actions_only():
    policy = Scripted(["no format", reply("ls", "private"), FINISH])
    episode = run_agent(MemoryEnv(), Task(), policy, AgentConfig(max_observation_chars=8), oracle_files=True)
    assert (episode.ended_by, episode.format_errors, episode.turns) == ("finish", 1, 2)
    assert episode.patch == "ls" and episode.problem.endswith("The fix belongs in: /testbed/pkg/mod.py")
    context, observation = policy.seen[2]
    assert "did not follow the format (no </think>)" in context[3]["content"]
    assert context[4] == {"role": "assistant", "content": render_action(BashAction("ls"))}
    shown = context[5]["content"]
    assert shown.startswith("OBSERVATION:\nout:") and "characters cut" in shown
    assert observation == "out:lslsls"  # the policy also gets the raw observation (the scripted expert)


def test_kept_replies_end_on_a_malformed_reply_and_tuples_are_actions():
    policy = Scripted([("look", BashAction("ls")), reply("pwd", "full thought"), "broken"])
    episode = run_agent(MemoryEnv(), Task(), policy, unlimited(10), keep_replies=True)
    assert (episode.ended_by, episode.turns, episode.format_errors) == ("format_error", 2, 1)
    assert episode.error == "no </think>" and [s.thought for s in episode.steps] == ["look", "full thought"]
    context = policy.seen[2][0]
    assert context[-2]["content"] == reply("pwd", "full thought")  # the whole reply stays
    assert context[-1]["content"] == "OBSERVATION:\nout:pwdpwdpwd"  # 0 chars: never cut


def test_limits_and_policy_errors_end_the_episode():
    steps = run_agent(MemoryEnv(), Task(), lambda messages: reply("x"), AgentConfig(max_steps=3))
    assert (steps.ended_by, steps.turns, steps.patch) == ("step_limit", 3, "x\nx\nx")
    timed = run_agent(MemoryEnv(), Task(), lambda m: reply("x"), AgentConfig(time_limit=-1.0))
    assert (timed.ended_by, timed.turns) == ("time_limit", 0)

    class Down:
        def reset(self, instance):
            pass

        def act(self, context, observation):
            raise PolicyError("endpoint", "HTTP 503")

    failed = run_agent(MemoryEnv(), Task(), Down(), unlimited(5))
    assert (failed.ended_by, failed.error) == ("policy_error", "endpoint: HTTP 503")


def test_history_window_keeps_the_head_and_the_latest_pairs():
    state = EpisodeState(MemoryEnv(), Task(), AgentConfig(history_turns=1))
    for command in ("a", "b", "c"):
        assert state.advance(reply(command)) == "out:" + command * 3
    context = state.context()
    assert [m["role"] for m in context] == ["system", "user", "assistant", "user"]
    assert context[2]["content"] == render_action(BashAction("c"))
