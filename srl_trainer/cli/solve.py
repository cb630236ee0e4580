"""Run the agent on task instances and write SWE-bench predictions (and the trajectories).

The policy reads observations, thinks, and emits one action per turn in the canonical format until
it calls finish or hits the step / time limit; its prediction is the diff of /testbed at the end.
Backends: a local checkpoint through transformers (--model PATH) or vLLM (--model PATH --backend vllm,
when vllm is installed), or any OpenAI-compatible endpoint (--base-url URL --served-model NAME: vLLM
serve, SGLang, `python -m srl_trainer.workflows.serve`, hosted APIs). Every backend formats the messages with
the model's chat template and stops at the end-of-turn token or --max-new-tokens, greedy at
temperature 0.
--setting oracle-file names the files the gold patch edits in the first prompt (the paper's oracle
file edit setting); end-to-end leaves finding them to the agent. Each prediction (and its trajectory,
beside --out as OUT-STEM.trajectories.jsonl) is appended as its episode ends; instances already in
--out are skipped, so a run stopped by Ctrl-C or SIGTERM (its containers are removed) continues
where it stopped. Score the predictions with `evaluate --domain swe`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from agent.loop import AgentConfig
from env.images import IMAGE_SOURCES
from srl_trainer.cli.flags import add_config_arguments, config_from_args
from srl_trainer.cli.interrupts import defer_signals, stop_on_signals
from srl_trainer.engine import docker_client
from srl_trainer.errors import CliError


@dataclass
class SolveConfig(AgentConfig):
    """Which instances, which model, where predictions go."""

    instances: str = field(
        default="",
        metadata={
            "help": "SWE-bench-format instances (.json/.jsonl). Empty: the embedded corpus's held-out "
            "instances (data/corpus/instances.heldout.jsonl) and its task repositories."
        },
    )
    out: str = field(
        default="predictions.jsonl", metadata={"help": "Predictions .jsonl (appended, resumable)."}
    )
    model: str = field(
        default="",
        metadata={"help": "Checkpoint (path, hub id or smollm2-135m-instruct) run with transformers."},
    )
    backend: str = field(
        default="transformers",
        metadata={
            "help": "How --model runs: transformers, or vllm (GPU).",
            "choices": ["transformers", "vllm"],
        },
    )
    base_url: str = field(
        default="", metadata={"help": "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1."}
    )
    served_model: str = field(
        default="", metadata={"help": "Model name the endpoint serves (with --base-url)."}
    )
    setting: str = field(
        default="end-to-end",
        metadata={
            "help": "end-to-end, or oracle-file (the gold patch's files are named).",
            "choices": ["end-to-end", "oracle-file"],
        },
    )
    repos: str = field(default="", metadata={"help": "Folder of task repos (owner__name clones or .bundle)."})
    image_source: str = field(
        default="build",
        metadata={
            "help": "build images offline from --repos, or official images by name.",
            "choices": IMAGE_SOURCES,
        },
    )
    max_new_tokens: int = field(default=512, metadata={"help": "Most tokens per model reply."})
    temperature: float = field(default=0.0, metadata={"help": "Sampling temperature (0: greedy)."})
    limit: int = field(default=0, metadata={"help": "Solve at most this many instances (0: all)."})


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, SolveConfig)


def _completer(config: SolveConfig):
    """messages -> reply text, for the chosen backend (loaded before any container starts)."""
    if config.base_url:
        from agent.loop import PolicyError
        from srl_trainer.workflows.collection.teacher import TeacherConfig, chat_completion

        endpoint = TeacherConfig(
            base_url=config.base_url,
            model=config.served_model or config.model,
            temperature=config.temperature,
            max_tokens=config.max_new_tokens,
        )

        def complete(messages):
            try:
                return chat_completion(endpoint, messages)
            except PolicyError as error:  # an unreachable endpoint answers nothing: a format error
                return f"[endpoint error: {error}]"

        return complete
    if config.backend == "vllm":
        return _vllm_completer(config)
    from srl_trainer.workflows.serve import ChatModel

    try:
        model = ChatModel(config.model)
    except CliError:  # already one line (a packaged model that could not be fetched)
        raise
    except Exception as error:  # any load failure is the user's path or id
        raise CliError(f"cannot load model {config.model}: {str(error).splitlines()[0]}") from None
    return lambda messages: model.reply(messages, config.max_new_tokens, config.temperature)[0]


VLLM_MISSING = "vllm is not installed; pip install vllm, or use --base-url with `vllm serve`"


def _vllm_completer(config: SolveConfig):
    """vllm.LLM with the transformers backend's contract: chat template, greedy at temperature 0."""
    try:
        import vllm
    except ImportError:
        raise CliError(VLLM_MISSING) from None
    from srl_trainer.model_sources import local_model_path

    # A packaged model's name (smollm2-135m-instruct) is its converted checkpoint folder for vLLM too.
    llm = vllm.LLM(model=local_model_path(config.model))
    params = vllm.SamplingParams(max_tokens=config.max_new_tokens, temperature=config.temperature)
    # LLM.chat applies the tokenizer's chat template with the generation prompt, as ChatModel does.
    return lambda messages: llm.chat(messages, params, use_tqdm=False)[0].outputs[0].text


def trajectories_path(out: Path) -> Path:
    """Where the trajectories of the predictions file ``out`` go."""
    return out.with_suffix(".trajectories.jsonl")


def _make_folder(out: Path) -> None:
    """The folder of --out, parents too, before any model loads or episode runs."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot make the folder of --out {out}: {error.strerror or error}") from None


def run(args: argparse.Namespace) -> int:
    config = config_from_args(SolveConfig, args)
    if not config.model and not config.base_url:
        raise CliError("give --model PATH (transformers) or --base-url URL (OpenAI-compatible endpoint)")

    from env.instances import InstanceError
    from srl_trainer.cli.folder_lock import file_lock
    from srl_trainer.workflows.solving import read_task_instances

    try:  # no --instances: the embedded corpus's held-out instances and its task repositories
        instances, config.repos = read_task_instances(config.instances, config.repos)
    except InstanceError as error:
        raise CliError(str(error)) from None
    if config.limit:
        instances = instances[: config.limit]
    out = Path(config.out)
    _make_folder(out)
    # One run per predictions file: two would solve the same instances and interleave their records.
    # Its trajectories file too (p.json and p.jsonl share p.trajectories.jsonl).
    with file_lock(out), file_lock(trajectories_path(out)):
        return _solve(config, instances, out)


def _solve(config: SolveConfig, instances: list, out: Path) -> int:
    from env.results import append_record, read_records

    trajectories = trajectories_path(out)
    read_records(trajectories)  # cuts a line a kill tore, so appends start on a fresh line
    done = {str(record.get("instance_id")) for record in read_records(out)}
    todo = [i for i in instances if i.instance_id not in done]
    already = len(instances) - len(todo)
    if not todo:
        print(f"solved 0 instance(s) ({already} already done); nothing to do: every instance is in {out}")
        return 0
    complete = _completer(config)

    from tqdm import tqdm

    from agent.records import native_record
    from env.images import ImageConfig
    from srl_trainer.workflows.solving import ended_by_counts, play_episodes

    client = docker_client()
    name = config.model or config.served_model or config.base_url
    written = []  # instance ids whose prediction this run wrote

    def save(episode) -> None:
        if episode.ended_by == "error":  # not saved: a rerun tries the instance again
            print(f"{episode.instance_id}: skipped ({episode.error})")
            return
        record = native_record(episode, name)  # resolved: None, unknown until `evaluate` runs the tests
        record["format_errors"] = episode.format_errors
        record["test_result"]["report"]["resolved"] = False  # as solve always wrote it: not graded here
        prediction = {
            "instance_id": episode.instance_id,
            "model_name_or_path": name,
            "model_patch": episode.patch,
        }
        # The trajectory, then the prediction (what a rerun skips by), as one step a signal waits for.
        with defer_signals():
            append_record(trajectories, record)
            append_record(out, prediction)
            written.append(episode.instance_id)

    def stopped() -> str:
        return (
            f"{already + len(written)} of {len(instances)} instance(s) solved, predictions in {out}, "
            f"trajectories in {trajectories}; rerun the same command to solve the rest"
        )

    with stop_on_signals(stopped):
        episodes = play_episodes(
            client,
            ImageConfig(repos=config.repos, image_source=config.image_source),
            tqdm(todo, desc="solving", unit="instance"),
            complete,
            config,
            oracle_files=config.setting == "oracle-file",
            on_episode=save,
        )
    print(
        f"solved {len(todo)} instance(s) ({already} already done); ended by: "
        + ", ".join(f"{k} {v}" for k, v in ended_by_counts(episodes).items())
    )
    if not written:
        first = next((e.error for e in episodes if e.error), "")
        raise CliError(
            f"every one of the {len(todo)} instance(s) ended with an error, nothing was written; "
            f"the first: {first[:300]}"
        )
    print(f"predictions: {out}\ntrajectories: {trajectories}")
    return 0
