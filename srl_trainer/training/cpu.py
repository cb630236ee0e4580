"""What this machine's CPU can do for training: bf16 autocast without a GPU.

bf16 autocast on a CPU (transformers' ``use_cpu`` with ``bf16``: accelerate wraps the model's forward in
``torch.autocast("cpu", dtype=torch.bfloat16)``) pays for its rounding only where the CPU has bf16
instructions (benchmarks/RESULTS.md, "Student speed (issue 21)", measured on an AVX-512 BF16 CPU).
Elsewhere oneDNN emulates bf16 (converts to fp32 for the arithmetic), no faster than fp32, so a run there
is refused with one line instead.
"""

from __future__ import annotations

from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# x86: AVX-512 BF16 (Cooper Lake, Zen 4 and later) or AMX (Sapphire Rapids and later); Arm: FEAT_BF16
# ("bf16" in the Features line, e.g. Graviton 3, Neoverse V1/N2).
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})


def cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str] | None:
    """The feature flags of the first CPU in ``cpuinfo`` (x86 ``flags``, Arm ``Features``); None where
    the file cannot be read (not Linux)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_supports_bf16(cpuinfo: Path | None = None) -> bool:
    """True when the CPU computes bf16 natively (one of :data:`BF16_FLAGS`). Without a cpuinfo file
    (macOS, Windows) torch's oneDNN check answers; on x86 it also accepts plain AVX-512 (emulated)."""
    flags = cpu_flags(cpuinfo or CPUINFO)
    if flags is not None:
        return bool(flags & BF16_FLAGS)
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def no_bf16_message(what: str) -> str:
    """The one line for bf16 asked of a machine with neither a GPU nor a bf16 CPU."""
    return (
        f"invalid {what}: bf16 needs a GPU or a CPU with AVX-512 BF16 or AMX, and this machine has "
        "neither (the paper presets are for GPU machines; --bf16 false trains in fp32 on a CPU)"
    )


def scoring_precision(bf16: bool):
    """The context the run's own scoring generates in: bf16 autocast on a CPU when the run trains in
    bf16 (train_bench measured sampling 1.2-1.3x faster; TRL's rollouts already run under it), else
    nothing (fp32, or a GPU whose dtype the model already carries)."""
    import contextlib

    import torch

    if bf16 and not torch.cuda.is_available():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()
