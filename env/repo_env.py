"""RepoEnv: one task repository in a sandbox, stepped with agent actions.

``reset(instance)`` puts ``/testbed`` at the instance's base commit and returns the first
observation (the problem statement); ``step(action)`` executes one tool call and returns its
observation and whether the episode is done; ``patch()`` is the diff of ``/testbed`` against the
base commit, new files included.

Trajectories recorded elsewhere name the repository by another path (SWE-Gym: ``/workspace/
python__mypy__1.6``). ``reset(..., workspace=PATH)`` makes PATH a symlink to ``/testbed`` inside the
container and starts the shell there, so recorded commands and editor paths work unchanged and the
observations show the same paths as the recording.

Between episodes the warm container is reused (processes killed, ``/testbed`` restored with git,
``/tmp`` emptied); a fresh container is made when the instance image differs or
``reset_mode="fresh"``. The benchmark measures both (benchmarks/env_bench.py).

What a warm reset does NOT restore: anything outside ``/testbed`` and ``/tmp``. Installed packages
(an edited ``site-packages/pytest``, a ``.pth`` startup hook), files in ``/root``, ``/var/tmp``,
``/etc`` or ``/usr``, ``git config --global`` entries, ignored files kept by ``git clean -e
'*.egg-info'``, and SysV IPC objects all survive into the next episode; processes are killed. So a
warm reset suits replay and solve (one agent, its own episodes, speed matters), never an episode
whose outcome must not depend on an earlier one: the SWE RLVR rollout resets fresh (a new container
from the instance image is the only complete restore; srl_trainer.training.swe_rlvr).

Recovery: when a warm reset fails (the container stopped, its system files are gone after ``rm -rf
/``, the disk watchdog stopped it) the container is replaced by a fresh one, so one wrecked episode
never wedges the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.actions import Action, BashAction, EditorAction, FinishAction
from env.editor import Editor
from env.images import ImageConfig, instance_image
from env.instances import Instance
from env.sandbox import DockerSandbox, SandboxBroken, SandboxConfig
from env.shell import STATE_FILE, bash_quote

REPO_ROOT = "/testbed"
CONDA_ACTIVATE = "/opt/miniconda3/bin/activate"  # where SWE-bench / SWE-Gym images keep conda


@dataclass
class RepoEnvConfig:
    """How episodes start and how commands run."""

    reset_mode: str = field(
        default="warm",
        metadata={
            "help": "warm: reuse the container and restore /testbed with git (faster); "
            "fresh: a new container per episode.",
            "choices": ["warm", "fresh"],
        },
    )
    command_timeout: int = field(default=120, metadata={"help": "Seconds one execute_bash command may run."})


def bash_observation(
    exit_code: int, output: str, timed_out: bool, timeout: float, oom_killed: bool = False, memory: str = ""
) -> str:
    """OpenHands-style observation of one shell command (the suffix SWE-Gym recordings carry)."""
    text = output if output.endswith("\n") or not output else output + "\n"
    if timed_out:
        return f"{text}[Command timed out after {timeout:g} seconds and was killed]"
    if oom_killed:
        limit = f" of {memory}" if memory else ""
        text += f"[The command was killed: it ran out of memory (the sandbox has a limit{limit})]\n"
    return f"{text}[Command finished with exit code {exit_code}]"


class RepoEnv:
    """A task environment over one :class:`DockerSandbox` at a time."""

    def __init__(
        self,
        client,
        image_config: ImageConfig | None = None,
        sandbox_config: SandboxConfig | None = None,
        config: RepoEnvConfig | None = None,
    ) -> None:
        self.client = client
        self.image_config = image_config or ImageConfig()
        self.sandbox_config = sandbox_config or SandboxConfig(workdir=REPO_ROOT)
        self.config = config or RepoEnvConfig()
        self.sandbox: DockerSandbox | None = None
        self.instance: Instance | None = None
        self.editor: Editor | None = None
        self._image: str | None = None
        self._workspace: str | None = None
        self._images: dict[str, str] = {}

    def reset(self, instance: Instance, workspace: str | None = None) -> str:
        """Start an episode on ``instance``; returns the problem statement."""
        image = self._images.get(instance.instance_id)
        if image is None:  # looked up once per env: the engine lookup costs a reset ~30 ms
            image = instance_image(self.client, instance, self.image_config)
            self._images[instance.instance_id] = image
        warm = (
            self.config.reset_mode == "warm"
            and self.sandbox is not None
            and self._image == image
            and not self.sandbox.broken
        )
        workspace = workspace if workspace and workspace != REPO_ROOT else None
        link = ""
        if workspace:
            parent = bash_quote(workspace.rsplit("/", 1)[0] or "/")
            link = f"mkdir -p -- {parent} && ln -sfn {REPO_ROOT} {bash_quote(workspace)}"
        if not (warm and self._warm_reset(instance, workspace, link)):
            self.close()
            self.sandbox = DockerSandbox(self.client, image, self.sandbox_config)
            self._image = image
            if workspace:
                self.sandbox.exec_as_root(link)
                self.sandbox.run(f"cd -- {bash_quote(workspace)}", timeout=10)
        if self.image_config.image_source != "build":
            # Official images keep the task's Python in a conda env that only their .bashrc
            # activates; our shell reads no rc file, so activate it (exports persist).
            self.sandbox.run(f"{{ . {CONDA_ACTIVATE} testbed; }} 2>/dev/null; true", timeout=60)
        self.instance = instance
        self._workspace = workspace
        roots = [REPO_ROOT] + ([self._workspace] if self._workspace else [])
        # The workspace is a symlink to the repository: the one real root, known before the agent acts.
        self.editor = Editor(self.sandbox, roots, real_roots=[REPO_ROOT])
        return instance.problem_statement

    def _warm_reset(self, instance: Instance, workspace: str | None, link: str) -> bool:
        """Restore the warm container for ``instance``; False when it cannot be (the caller then
        makes a fresh one)."""
        import docker.errors

        assert self.sandbox is not None
        user = self.sandbox_config.user
        # One exec: kill what the last episode left running, restore the repository, empty
        # /tmp (the shell's saved cwd and exports go with it), then point the workspace
        # alias and the next shell's starting directory.
        script = (
            "cd /testbed && { git checkout -q -f main 2>/dev/null || "
            f"git checkout -q -f --detach {instance.base_commit}; }} && "
            f"git reset -q --hard {instance.base_commit} && "
            "git clean -fdxq -e '*.egg-info' && "
            # git ran as root here: hand restored files back to a non-root agent.
            + (f"chown -R {user} /testbed && " if user else "")
            + "{ find /tmp -mindepth 1 -delete 2>/dev/null; true; } && "
            + (f"rm -f -- {bash_quote(self._workspace)} && " if self._workspace else "")
            + (f"{link} && printf 'cd -- %q\\n' {bash_quote(workspace)} > {STATE_FILE} && "
               if workspace else "")
            + (f"chown {user} {STATE_FILE} && " if workspace and user else "")
            + "true"
        )  # fmt: skip
        try:
            code, _ = self.sandbox.kill_processes(then=script)
            if code != 0:  # e.g. git or /testbed gone: a fresh container restores everything
                return False
            self.sandbox.restart_shell()
        except (SandboxBroken, docker.errors.APIError):  # the container stopped or cannot run a shell
            return False
        return True

    def step(self, action: Action) -> tuple[str, bool]:
        """Execute one tool call; returns (observation, done)."""
        if self.sandbox is None or self.editor is None:
            raise RuntimeError("call reset() before step()")
        if isinstance(action, FinishAction):
            return "", True
        if isinstance(action, EditorAction):
            return self.editor.execute(action), False
        if isinstance(action, BashAction):
            if action.is_input:
                return "ERROR:\nNo command is running, so there is nothing to send input to.", False
            timeout = self.config.command_timeout
            result = self.sandbox.run(action.command, timeout=timeout)
            observation = bash_observation(
                result.exit_code,
                result.output,
                result.timed_out,
                timeout,
                oom_killed=result.oom_killed,
                memory=self.sandbox_config.memory,
            )
            return observation, False
        raise TypeError(f"not an action: {action!r}")

    def patch(self) -> str:
        """``git diff`` of /testbed against the base commit; new (not ignored) files included."""
        if self.sandbox is None or self.instance is None:
            raise RuntimeError("call reset() before patch()")
        code, out = self.sandbox.exec_as_root(
            "cd /testbed && git add -A >/dev/null 2>&1; "
            f"git -c core.quotepath=false diff --cached --no-color {self.instance.base_commit}; "
            "rc=$?; git reset -q >/dev/null 2>&1; exit $rc"
        )
        if code != 0:
            raise RuntimeError(f"git diff failed in /testbed: {out.strip()[:200]}")
        return out

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
        self.sandbox = None
        self._image = None
