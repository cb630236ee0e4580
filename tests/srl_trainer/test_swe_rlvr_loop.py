"""The SWE RLVR rollout (batched, token level) runs on the shared loop: in-memory envs, no Docker."""

from __future__ import annotations

from agent.actions import BashAction, FinishAction
from agent.loop import EpisodeState
from srl_trainer.training.swe_rlvr import TokenEpisode, run_episodes
from tests.agent.test_loop import FINISH, MemoryEnv, Task, reply


def test_the_rlvr_rollout_plays_through_the_shared_loop():
    """run_episodes on in-memory envs: its episodes are the loop's states, its tokens the replies."""
    eos = 0

    class CharLayout:  # one token per character; EOS is 0
        class tokenizer:  # noqa: N801
            @staticmethod
            def decode(ids, skip_special_tokens=True):
                return "".join(chr(i) for i in ids if i != eos)

        @staticmethod
        def observation_ids(observation):
            return [ord(c) for c in "\nOBS:" + observation]

    def ids(text):
        return [ord(c) for c in text] + [eos]

    scripts = [[reply("ls"), FINISH], ["garbage"], [reply("a"), reply("b"), reply("c")]]
    calls = []

    def generate(contexts, max_new):
        calls.append(len(contexts))
        live = [i for i, s in enumerate(scripts) if len(s) >= len(calls)]
        return [ids(scripts[i][len(calls) - 1]) for i in live]

    envs = [MemoryEnv() for _ in scripts]
    episodes = [TokenEpisode(Task(), [1, 2]) for _ in scripts]
    run_episodes(envs, episodes, generate, CharLayout, [eos], 2, 100, 10_000, 1000)
    assert calls == [3, 2]
    ends = [(e.ended_by, e.turns) for e in episodes]
    assert ends == [("finish", 2), ("format_error", 0), ("turn_limit", 2)]
    assert all(isinstance(e.state, EpisodeState) for e in episodes)
    assert episodes[2].patch == "a\nb" and [s.action for s in episodes[0].state.episode.steps] == [
        BashAction("ls"),
        FinishAction(),
    ]
    first = episodes[0]
    observation = CharLayout.observation_ids("out:lslsls")
    assert first.completion_ids == ids(reply("ls")) + observation + ids(FINISH)
    assert first.env_mask == [1] * len(ids(reply("ls"))) + [0] * len(observation) + [1] * len(ids(FINISH))
