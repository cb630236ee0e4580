"""Replay expert trajectories in real sandboxes and report how faithfully they reproduce.

For each trajectory: reset a RepoEnv to its instance (the recorded workspace path is mapped onto
``/testbed``), execute every expert action in order, keep the fresh observations, then compare: per
step the similarity of fresh and recorded observation (difflib ratio after removing framing that
differs between OpenHands versions), the first step below ``divergence_threshold``, the final patch
against the gold patch, and whether FAIL_TO_PASS / PASS_TO_PASS pass. Instances run in parallel,
one RepoEnv (and so one warm container) per worker thread.

Results go to the output folder as each trajectory finishes (:class:`ReplayOutputs`), so an
interrupted replay keeps its finished work and a rerun into the same folder replays only the rest.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from agent.actions import BashAction
from agent.loop import Episode
from agent.records import native_record
from agent.trajectory import Step, Trajectory
from env.grading import grade
from env.images import instance_image
from env.instances import Instance
from env.repo_env import RepoEnv
from env.results import append_record, read_records, write_records
from env.sandbox import close_all_sandboxes

_UPLOADED = re.compile(r"<uploaded_files>\s*(\S+)\s*</uploaded_files>")
_OLD_PROMPT = re.compile(r"\[Python Interpreter: [^\]\n]*\]\n[^\n]*[#$] ?\n?")
_EXIT_SUFFIX = re.compile(r"\n?\[(?:Command finished|The command completed) with exit code (-?\d+)\.?\]\s*\Z")
LONG_OBSERVATION = 4000  # characters; longer observations are compared line by line
REPLAY_RUN_ID = "replay"  # the run_id of replayed records (agent.records writes them as collect does)


@dataclass
class ReplayConfig:
    """How a replay run compares and in how many threads it runs."""

    workers: int = field(default=1, metadata={"help": "Instances replayed in parallel."})
    divergence_threshold: float = field(
        default=0.9,
        metadata={"help": "A step whose fresh observation is less similar than this diverges."},
    )
    run_tests: bool = field(
        default=True, metadata={"help": "Run FAIL_TO_PASS and PASS_TO_PASS after the last step."}
    )
    test_timeout: int = field(default=600, metadata={"help": "Seconds the final test run may take."})
    keep: str = field(
        default="all",
        metadata={
            "help": "Which replayed trajectories to write: all; reproduced (every step within the "
            "threshold); resolved (the final tests pass).",
            "choices": ["all", "reproduced", "resolved"],
        },
    )


@dataclass
class ReplayReport:
    """How one trajectory reproduced."""

    instance_id: str
    steps_total: int
    steps_run: int = 0
    similarities: list[float] = field(default_factory=list)
    first_divergent_step: int | None = None  # 0-based; None when every step reproduced
    patch_matches_gold: bool = False
    patch_similarity: float = 0.0
    fail_to_pass_passed: bool | None = None
    pass_to_pass_passed: bool | None = None
    error: str = ""
    trajectory_id: str = ""  # the input trajectory's key (trajectory_keys); what a rerun skips by

    @property
    def mean_similarity(self) -> float:
        return sum(self.similarities) / len(self.similarities) if self.similarities else 0.0

    @property
    def reproduced(self) -> bool:
        return self.steps_run == self.steps_total and self.first_divergent_step is None

    def as_dict(self) -> dict:
        return {**asdict(self), "mean_similarity": round(self.mean_similarity, 4)}

    @classmethod
    def from_dict(cls, record: dict) -> ReplayReport:
        """A report as ``as_dict`` wrote it (derived and unknown keys are ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in record.items() if k in names})


def trajectory_keys(trajectories: list[Trajectory]) -> list[str]:
    """One key per trajectory: its id, with ``#N`` added to the N-th repeat of an id (N >= 1), so
    the same input gives the same keys on every run."""
    seen: dict[str, int] = {}
    keys = []
    for trajectory in trajectories:
        name = str(trajectory.instance_id)
        count = seen[name] = seen.get(name, -1) + 1
        keys.append(f"{name}#{count}" if count else name)
    return keys


def workspace_of(trajectory: Trajectory) -> str | None:
    """The repository path the recording used (OpenHands' ``<uploaded_files>`` block)."""
    match = _UPLOADED.search(trajectory.problem)
    return match.group(1).rstrip("/") if match else None


# Values that differ on every run of the same code: object addresses in reprs and pytest's timings.
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
_PYTEST_DURATION = re.compile(r"\bin \d+\.\d+s\b")


def comparable_observation(text: str, command: str | None = None) -> str:
    """An observation without the framing that differs between OpenHands versions (the
    ``OBSERVATION:`` header, ``\\r\\n``, the echoed command and prompt line of the old bash tool,
    the wording of the exit-code line) and without run-specific values (object addresses such as
    ``at 0x7f2e338a4dd0``, pytest's ``in 0.12s``), which a faithful replay cannot reproduce."""
    text = text.removeprefix("OBSERVATION:\n").replace("\r\n", "\n")
    if command is not None and text.startswith(command + "\n"):
        text = text[len(command) + 1 :]
    elif command is not None and text.startswith(command):
        text = text[len(command) :]
    text = _OLD_PROMPT.sub("\n", text)
    text = _PYTEST_DURATION.sub("in <duration>", _ADDRESS.sub("0x<address>", text))
    return _EXIT_SUFFIX.sub(lambda m: f"\n[exit code {m.group(1)}]", text).strip()


def observation_similarity(fresh: str, recorded: str, command: str | None = None) -> float:
    a = comparable_observation(fresh, command)
    b = comparable_observation(recorded, command)
    if a == b:
        return 1.0
    if max(len(a), len(b)) > LONG_OBSERVATION:
        # Character matching is quadratic; long outputs (test logs, file views) compare by line.
        return difflib.SequenceMatcher(None, a.splitlines(), b.splitlines(), autojunk=False).ratio()
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _diff_body(patch: str) -> str:
    """A patch without ``index`` lines (blob hashes differ with file modes and git versions)."""
    return "\n".join(x for x in patch.strip().splitlines() if not x.startswith("index "))


def replay_trajectory(
    env: RepoEnv, trajectory: Trajectory, instance: Instance, config: ReplayConfig
) -> tuple[Trajectory, ReplayReport]:
    """Re-run one trajectory in ``env``; returns it with fresh observations and the final patch (an
    agent.loop Episode, written like a collected one), and its report."""
    report = ReplayReport(instance_id=instance.instance_id, steps_total=len(trajectory.steps))
    fresh = Episode(
        problem=trajectory.problem,
        instance_id=trajectory.instance_id or instance.instance_id,
        resolved=None,
        source_format="replay",
    )
    env.reset(instance, workspace=workspace_of(trajectory))
    for index, step in enumerate(trajectory.steps):
        observation, done = env.step(step.action)
        fresh.steps.append(Step(step.thought, step.action, observation))
        report.steps_run += 1
        command = step.action.command if isinstance(step.action, BashAction) else None
        similarity = observation_similarity(observation, step.observation, command)
        report.similarities.append(round(similarity, 4))
        if similarity < config.divergence_threshold and report.first_divergent_step is None:
            report.first_divergent_step = index
        if done:
            break
    patch = fresh.patch = env.patch()
    report.patch_matches_gold = _diff_body(patch) == _diff_body(instance.patch)
    report.patch_similarity = round(
        difflib.SequenceMatcher(None, _diff_body(patch), _diff_body(instance.patch)).ratio(), 4
    )
    if config.run_tests and (instance.fail_to_pass or instance.pass_to_pass):
        # The replayed patch is graded by the one grader in a fresh container (not in this env's
        # container, whose state outside the diff must not count), test-infrastructure edits reverted.
        image = instance_image(env.client, instance, env.image_config)
        verdict = grade(env.client, image, instance, patch, timeout=config.test_timeout, revert_tampered=True)
        ok = verdict.patch_applied and not verdict.error and not verdict.forged
        report.fail_to_pass_passed = ok and all(verdict.fail_to_pass.values())
        report.pass_to_pass_passed = ok and all(verdict.pass_to_pass.values())
        fresh.resolved = verdict.resolved
    return fresh, report


def find_instance(instances: dict[str, Instance], instance_id: str | None) -> Instance | None:
    """The instance of a trajectory id; SWE-Gym sampled runs append ``_<run>`` to the id."""
    if not instance_id:
        return None
    if instance_id in instances:
        return instances[instance_id]
    base = re.sub(r"_\d+\Z", "", instance_id)
    return instances.get(base)


def replay_all(
    trajectories: list[Trajectory],
    instances: dict[str, Instance],
    make_env: Callable[[], RepoEnv],
    config: ReplayConfig,
    progress: Callable[[], None] | None = None,
    on_result: Callable[[int, tuple[Trajectory | None, ReplayReport]], None] | None = None,
) -> list[tuple[Trajectory | None, ReplayReport]]:
    """Replay every trajectory, ``config.workers`` at a time; results keep the input order.

    ``on_result(index, result)`` runs in the calling thread as each trajectory finishes (in the
    order they finish), so the caller can write it before the next one ends. Each worker thread
    owns one RepoEnv, so consecutive episodes of a worker reuse its container. Every env is closed
    at the end, also on errors and KeyboardInterrupt, without waiting for running workers.
    """
    local = threading.local()
    envs: list[RepoEnv] = []
    envs_lock = threading.Lock()

    def one(trajectory: Trajectory) -> tuple[Trajectory | None, ReplayReport]:
        instance = find_instance(instances, trajectory.instance_id)
        if instance is None:
            report = ReplayReport(str(trajectory.instance_id), len(trajectory.steps))
            report.error = "no instance with this id in --instances"
            return None, report
        if not hasattr(local, "env"):
            local.env = make_env()
            with envs_lock:
                envs.append(local.env)
        try:
            return replay_trajectory(local.env, trajectory, instance, config)
        except Exception as error:  # one broken task must not end the run; it is reported
            report = ReplayReport(instance.instance_id, len(trajectory.steps))
            report.error = f"{type(error).__name__}: {error}"[:500]
            local.env.close()  # its container may be in any state
            return None, report

    results: list[tuple[Trajectory | None, ReplayReport] | None] = [None] * len(trajectories)
    pool = ThreadPoolExecutor(max_workers=max(1, config.workers))
    try:
        futures = {pool.submit(one, t): i for i, t in enumerate(trajectories)}
        pending = set(futures)
        while pending:
            # A timed wait: an untimed one would not let Ctrl-C reach the main thread.
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future]] = future.result()
                if on_result is not None:
                    on_result(futures[future], results[futures[future]])
                if progress is not None:
                    progress()
    except BaseException:
        # Interrupted: also remove sandboxes a worker is still creating, and refuse new ones,
        # so no worker keeps the process (and a container) alive after Ctrl-C.
        close_all_sandboxes()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        with envs_lock:
            for env in envs:
                env.close()
    return [r for r in results if r is not None]


def summary_table(reports: list[ReplayReport]) -> str:
    """A markdown table, one row per trajectory, and a totals line."""
    rows = [
        "| instance | steps run | mean similarity | first divergent step | patch = gold "
        "| FAIL_TO_PASS | PASS_TO_PASS | error |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def mark(value: bool | None) -> str:
        return "-" if value is None else ("pass" if value else "FAIL")

    for r in reports:
        divergent = "-" if r.first_divergent_step is None else str(r.first_divergent_step)
        rows.append(
            f"| {r.instance_id} | {r.steps_run}/{r.steps_total} | {r.mean_similarity:.3f} "
            f"| {divergent} | {'yes' if r.patch_matches_gold else 'no'} "
            f"| {mark(r.fail_to_pass_passed)} | {mark(r.pass_to_pass_passed)} | {r.error[:60]} |"
        )
    reproduced = sum(r.reproduced for r in reports)
    passing = sum(bool(r.fail_to_pass_passed and r.pass_to_pass_passed) for r in reports)
    rows.append("")
    rows.append(
        f"{len(reports)} trajectories: {reproduced} reproduced every step, "
        f"{passing} end with passing tests, {sum(bool(r.error) for r in reports)} errors."
    )
    return "\n".join(rows)


def kept(report: ReplayReport, keep: str) -> bool:
    """Whether a replayed trajectory goes to ``replayed.jsonl`` under the ``keep`` rule."""
    if report.error:
        return False
    if keep == "reproduced":
        return report.reproduced
    if keep == "resolved":
        return bool(report.fail_to_pass_passed and report.pass_to_pass_passed)
    return True


class ReplayOutputs:
    """The output folder, written one trajectory at a time: ``replayed.jsonl`` (fresh trajectories
    kept by ``keep``), ``report.jsonl`` (every report) and, at the end, ``summary.md``."""

    def __init__(self, out_dir: str | Path, keep: str = "all") -> None:
        self.dir = Path(out_dir)
        self.keep = keep
        self.replayed = self.dir / "replayed.jsonl"
        self.report = self.dir / "report.jsonl"
        self.summary = self.dir / "summary.md"
        self.written = 0  # results appended by this process

    def resume(self) -> set[str]:
        """Make the folder and return the keys of trajectories an earlier run replayed.

        Reports with an error are dropped from ``report.jsonl``, so their trajectories run again.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        read_records(self.replayed)  # cuts a line a kill tore
        reports = read_records(self.report)
        finished = [r for r in reports if not r.get("error")]
        if len(finished) != len(reports):
            write_records(self.report, finished)
        return {r.get("trajectory_id") or str(r.get("instance_id")) for r in finished}

    def clear(self) -> None:
        """Start the folder afresh (an earlier run's results are removed)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for path in (self.replayed, self.report, self.summary):
            path.unlink(missing_ok=True)

    def append(self, trajectory: Trajectory | None, report: ReplayReport) -> None:
        """Write one finished trajectory: its fresh record when kept, then its report (a report on
        disk means the trajectory is done)."""
        if trajectory is not None and kept(report, self.keep):
            append_record(self.replayed, native_record(trajectory, REPLAY_RUN_ID))
        append_record(self.report, report.as_dict())
        self.written += 1

    def reports(self) -> list[ReplayReport]:
        """Every report in the folder, this run's and earlier runs'."""
        return [ReplayReport.from_dict(r) for r in read_records(self.report)]

    def write_summary(self) -> list[ReplayReport]:
        """``summary.md`` over every report in the folder; returns those reports."""
        reports = self.reports()
        self.summary.write_text(summary_table(reports) + "\n", encoding="utf-8")
        return reports

    def paths(self) -> dict[str, Path]:
        return {"replayed": self.replayed, "report": self.report, "summary": self.summary}


def write_replay_outputs(
    out_dir: str | Path, results: list[tuple[Trajectory | None, ReplayReport]], keep: str = "all"
) -> dict[str, Path]:
    """Write ``results`` as a fresh output folder (``ReplayOutputs``, all at once)."""
    outputs = ReplayOutputs(out_dir, keep)
    outputs.clear()
    for trajectory, report in results:
        outputs.append(trajectory, report)
    outputs.write_summary()
    return outputs.paths()
