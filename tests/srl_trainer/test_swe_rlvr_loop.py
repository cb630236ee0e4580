"""The SWE RLVR rollout (batched, token level) runs on the shared loop; its episodes are isolated.

The first tests use in-memory envs. The Docker tests drive the real pool (EnvPool.run, as
SweRollout does) with scripted replies: what one episode does to its sandbox never reaches the next
episode in the same pool slot, and a wrecked sandbox ends its episode ``env_error`` while the next
batch works.
"""

from __future__ import annotations

import pytest

from agent.actions import BashAction, FinishAction
from agent.loop import EpisodeState
from srl_trainer.training.swe_rlvr import EnvPool, TokenEpisode, run_episodes
from tests.agent.test_loop import FINISH, MemoryEnv, Task, reply
from tests.srl_trainer.char_layout import EOS, CharLayout
from tests.srl_trainer.char_layout import char_ids as ids


def test_the_rlvr_rollout_plays_through_the_shared_loop():
    """run_episodes on in-memory envs: its episodes are the loop's states, its tokens the replies."""
    scripts = [[reply("ls"), FINISH], ["garbage"], [reply("a"), reply("b"), reply("c")]]
    calls = []

    def generate(contexts, max_new):
        calls.append(len(contexts))
        live = [i for i, s in enumerate(scripts) if len(s) >= len(calls)]
        return [ids(scripts[i][len(calls) - 1]) for i in live]

    envs = [MemoryEnv() for _ in scripts]
    episodes = [TokenEpisode(Task(), [1, 2]) for _ in scripts]
    run_episodes(envs, episodes, generate, CharLayout, [EOS], 2, 100, 10_000, 1000)
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


def test_an_env_that_cannot_reset_ends_its_episode_env_error_and_the_others_play_on():
    class NoContainer(MemoryEnv):
        def reset(self, instance):
            raise RuntimeError("the engine refused the container")

    envs = [NoContainer(), MemoryEnv()]
    episodes = [TokenEpisode(Task(), [1]) for _ in envs]
    run_episodes(
        envs,
        episodes,
        lambda contexts, n: [ids(FINISH)] * len(contexts),
        CharLayout,
        [EOS],
        5,
        100,
        10_000,
        0,
    )
    assert [e.ended_by for e in episodes] == ["env_error", "finish"]
    assert episodes[0].completion_ids == ids(FINISH) and episodes[0].patch == ""  # GRPO still gets a reply


def play_scripted(pool: EnvPool, instance, replies: list[str]) -> TokenEpisode:
    """One RLVR episode in the pool's first lane, the policy answering ``replies`` in turn."""
    episode = TokenEpisode(instance, [1])
    queue = list(replies)

    def play(envs, chunk):
        run_episodes(
            envs, chunk, lambda contexts, n: [ids(queue.pop(0))], CharLayout, [EOS], 10, 10_000, 10**6, 0
        )

    pool.run([episode], 1, play)
    return episode


def observations(episode: TokenEpisode) -> list[str]:
    return [step.observation for step in episode.state.episode.steps]


PLANT = (
    "P=$(python3 -c 'import os, pytest; print(os.path.dirname(pytest.__file__))'); "
    "S=$(python3 -c 'import site; print(site.getsitepackages()[0])'); mkdir -p $S; "
    "printf 'raise SystemExit(0)  # SRL-PLANTED\\n' > $P/__main__.py; "  # pytest passes all
    'echo \'import os; os.environ.setdefault("SRL_HOOKED", "1")\' > $S/zz_srl_hook.pth; '
    "echo x > /root/leftover; echo x > /var/tmp/leftover; git config --global user.name hacker; "
    "setsid nohup sleep 1234 >/dev/null 2>&1 & "
)
CHECK = (
    "P=$(python3 -c 'import os, pytest; print(os.path.dirname(pytest.__file__))'); "
    "S=$(python3 -c 'import site; print(site.getsitepackages()[0])'); "
    "grep -q SRL-PLANTED $P/__main__.py && echo LEAK:pytest; "
    'python3 -c \'import os; os.environ.get("SRL_HOOKED") and print("LEAK:pth")\'; '
    "[ -e /root/leftover ] && echo LEAK:root; [ -e /var/tmp/leftover ] && echo LEAK:var-tmp; "
    "git config --global user.name | grep -q hacker && echo LEAK:git-config; "
    "ps -eo args | grep -qx 'sleep 1234' && echo LEAK:process; "
    "cat /etc/hostname"
)
LEAKS = ["LEAK:pytest", "LEAK:pth", "LEAK:root", "LEAK:var-tmp", "LEAK:git-config", "LEAK:process"]


@pytest.fixture
def pool(docker_client, instance_image, image_config):
    """The real pool of RLVR sandboxes on the demo task's image, closed after the test."""
    pool = EnvPool(docker_client, image_config)
    yield pool
    pool.close()


@pytest.mark.docker
def test_nothing_an_rlvr_episode_does_reaches_the_next_episode_in_the_same_pool_slot(pool, task):
    first = play_scripted(pool, task[0], [reply(PLANT), reply("sleep 1; " + CHECK), FINISH])
    planted = observations(first)[1]
    assert all(leak in planted for leak in LEAKS), planted  # every attack took effect
    slot = pool.envs[0]
    assert slot.sandbox is None  # the episode's container is gone with the episode
    second = play_scripted(pool, task[0], [reply(CHECK), FINISH])
    assert pool.envs[0] is slot and second.ended_by == "finish"
    seen = observations(second)[0]
    assert "LEAK" not in seen, seen
    assert planted.split("\n")[-2] != seen.split("\n")[-2]  # another container (hostname)


@pytest.mark.docker
def test_rm_rf_root_in_an_rlvr_episode_ends_it_env_error_and_the_next_batch_works(pool, task):
    wrecked = play_scripted(
        pool,
        task[0],
        [reply("rm -rf --no-preserve-root / 2>/dev/null; true"), reply("ls /testbed"), FINISH],
    )
    assert (wrecked.ended_by, wrecked.turns, wrecked.patch) == ("env_error", 1, "")
    assert pool.envs == []  # the broken env left the pool
    after = play_scripted(pool, task[0], [reply("grep -c def calc/__init__.py"), FINISH])
    assert after.ended_by == "finish" and observations(after)[0].startswith("2\n")
