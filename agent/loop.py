"""The one episode loop of every agent run: observe, think, emit one action, until finish or a limit.

``solve`` (a trained model), ``collect`` (the scripted expert or a teacher endpoint) and the SWE RLVR
rollout all play their episodes through :class:`EpisodeState`: a driver asks it for the ``context``
(the conversation the policy answers), gets a reply from the policy and hands it to ``advance``,
which parses it, runs the action in the environment and extends the context. :func:`run_agent`
drives one episode; the RLVR rollout keeps one state per sandbox and generates every live episode's
reply in one batched call per turn (and builds its token ids and ``env_mask`` from what ``advance``
returns).

The conversation has the layout the SRL step data trains on (agent.prompts): system prompt, the
problem, then action/observation turns. What an assistant turn holds is the one difference between
the users (``keep_replies``):

- False (solve): the action in its canonical text, as in training (the model's private ``<think>``
  text is not fed back); a reply that breaks the think-then-one-action format costs a step and is
  answered with a format reminder, so a weak model ends by the step limit rather than crashing the run.
- True (RLVR, the teacher): the policy's whole reply, thought included, because the training sequence
  must be exactly what the policy was conditioned on; a malformed reply ends the episode.

Everything the context gains from outside (the problem, observations, replies) is neutralised
(agent.untrusted): a special-token string in a repository file stays text in the prompt.

``env`` is anything with ``reset(instance)``, ``step(action)`` and ``patch()`` (env.RepoEnv, or an
in-memory stand-in in tests), so this module imports neither env/ nor srl_trainer/.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from agent.actions import Action, render_action
from agent.completion import CompletionFormatError, parse_completion
from agent.patches import patched_files
from agent.prompts import action_turn, swe_first_messages
from agent.trajectory import Step, Trajectory
from agent.untrusted import neutralise

# What a policy answers: the text it wrote, or an already decided (thought, action) (the scripted expert).
Reply = str | tuple[str, Action]
Complete = Callable[[list[dict[str, str]]], str]

FORMAT_REMINDER = (
    "Your reply did not follow the format ({error}). Answer with <think>...</think> followed by "
    "exactly one tool call."
)


class Environment(Protocol):
    def reset(self, instance) -> str: ...  # the problem statement

    def step(self, action: Action) -> tuple[str, bool]: ...  # (observation, done)

    def patch(self) -> str: ...  # the diff of the repository now


class Policy(Protocol):
    def reset(self, instance) -> None: ...

    def act(self, context: list[dict[str, str]], observation: str) -> Reply: ...


class PolicyError(RuntimeError):
    """The policy could not produce a reply (garbage output, endpoint down); ``reason`` is its key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


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


def unlimited(max_steps: int, max_observation_chars: int = 0) -> AgentConfig:
    """Limits without a clock or a history window (collect, RLVR); 0 observation chars: never cut."""
    return AgentConfig(max_steps, float("inf"), max_observation_chars, history_turns=0)


@dataclass
class Episode(Trajectory):
    """One run of the loop: the trajectory, how it ended and the diff of the repository at the end."""

    patch: str = ""
    format_errors: int = 0
    # finish | step_limit | time_limit | format_error | policy_error; drivers add their own
    # (RLVR: truncated, token_limit, env_error)
    ended_by: str = ""
    error: str = ""  # what went wrong, when something did

    @property
    def turns(self) -> int:
        """Actions executed (finish included)."""
        return len(self.steps)


def cut_middle(text: str, limit: int) -> str:
    if limit <= 0 or len(text) <= limit:
        return text
    head = limit // 2
    return f"{text[:head]}\n[... {len(text) - limit} characters cut ...]\n{text[-(limit - head) :]}"


def oracle_files_note(gold_patch: str) -> str:
    """The paper's oracle-file setting: name the files the gold patch edits."""
    files = patched_files(gold_patch)
    if not files:
        return ""
    return "\n\nThe fix belongs in: " + ", ".join(f"/testbed/{f}" for f in files)


class EpisodeState:
    """One episode in progress: the environment reset to ``instance``, the context so far, the limits."""

    def __init__(
        self,
        env: Environment,
        instance,
        config: AgentConfig,
        keep_replies: bool = False,
        problem_note: str = "",
    ) -> None:
        self.env = env
        self.config = config
        self.keep_replies = keep_replies
        problem = env.reset(instance) + problem_note
        self.episode = Episode(problem=problem, instance_id=instance.instance_id)
        self.head = swe_first_messages(problem)
        self.turns: list[dict[str, str]] = []
        self.observation = problem  # the latest raw observation; the problem before the first action
        self.started = time.monotonic()

    @property
    def ended(self) -> bool:
        return bool(self.episode.ended_by)

    def end(self, reason: str, error: str = "") -> None:
        self.episode.ended_by = reason
        self.episode.error = error

    def running(self) -> bool:
        """Whether the policy gets another turn; ends the episode first when its time is up."""
        if not self.ended and time.monotonic() - self.started > self.config.time_limit:
            self.end("time_limit")
        if not self.ended:
            self._check_step_limit()  # a limit of 0 plays no turn at all
        return not self.ended

    def context(self) -> list[dict[str, str]]:
        """The conversation the policy answers next (only the most recent ``history_turns`` pairs)."""
        window = self.config.history_turns
        return self.head + (self.turns[-2 * window :] if window > 0 else self.turns)

    def advance(self, reply: Reply) -> str | None:
        """Take one reply: run its action and extend the context.

        Returns the observation the context gained (cut to ``max_observation_chars``), or None when
        it gained none: the episode ended, or a malformed reply was answered with the format reminder.
        """
        episode = self.episode
        if isinstance(reply, str):
            try:
                thought, action = parse_completion(reply)
            except CompletionFormatError as error:
                episode.format_errors += 1
                if self.keep_replies:
                    self.end("format_error", str(error))
                else:
                    self.turns += [
                        {"role": "assistant", "content": neutralise(reply)},
                        {"role": "user", "content": neutralise(FORMAT_REMINDER.format(error=error))},
                    ]
                    self._check_step_limit()
                return None
            text = reply
        else:
            thought, action = reply
            text = f"<think>\n{thought}\n</think>\n{render_action(action)}"
        observation, done = self.env.step(action)
        episode.steps.append(Step(thought, action, observation))
        self.observation = observation
        if done:
            self.end("finish")
            return None
        if self._check_step_limit():  # nobody reads the last action's observation
            return None
        shown = cut_middle(observation, self.config.max_observation_chars)
        self.turns += action_turn(text if self.keep_replies else render_action(action), shown)
        return shown

    def _check_step_limit(self) -> bool:
        if len(self.episode.steps) + self.episode.format_errors >= self.config.max_steps:
            self.end("step_limit")
        return self.ended

    def close(self) -> Episode:
        """The finished episode with the diff of the repository (ended by the step limit if still open)."""
        if not self.ended:
            self.end("step_limit")
        try:
            self.episode.patch = self.env.patch()
        except Exception:  # a dead sandbox has no diff; the episode still says how it ended
            self.episode.patch = ""
        return self.episode


def run_agent(
    env: Environment,
    instance,
    policy: Policy | Complete,
    config: AgentConfig,
    oracle_files: bool = False,
    keep_replies: bool = False,
) -> Episode:
    """One episode of ``policy`` on ``instance``; the patch is the diff of the repository at the end.

    A plain function from messages to reply text (a model, an endpoint) is a :class:`ChatPolicy`.
    """
    if not hasattr(policy, "act"):
        policy = ChatPolicy(policy)
    note = oracle_files_note(instance.patch) if oracle_files else ""
    state = EpisodeState(env, instance, config, keep_replies, note)
    policy.reset(instance)
    while state.running():
        try:
            reply = policy.act(state.context(), state.observation)
        except PolicyError as error:
            state.end("policy_error", str(error))
            break
        state.advance(reply)
    return state.close()


class ChatPolicy:
    """A policy that is a function from chat messages to the reply text (a model or an endpoint)."""

    def __init__(self, complete: Complete) -> None:
        self.complete = complete

    def reset(self, instance) -> None:
        pass

    def act(self, context: list[dict[str, str]], observation: str) -> str:
        return self.complete(context)
