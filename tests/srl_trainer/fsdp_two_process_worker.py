"""Run by test_train_launch.py under `accelerate launch` (2 CPU processes, gloo backend).

``torch OUT``: torch's FSDP2 itself on the CPU. Rank 0 builds the tiny model; every rank loads it,
shards each decoder layer and then the whole model over both processes (``fully_shard``), takes 3
AdamW steps on one text, scores the text once more, gathers the full state dict (a collective) and
rank 0 saves it with ``save_pretrained`` to OUT/final. Each rank writes what it held and computed to
OUT/rank<R>.json.

``accelerate OUT``: what accelerate makes of the launch's FSDP settings: each rank writes its
``Accelerator``'s distributed type and backend to OUT/accelerate<R>.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

TEXT = "def add(a, b):\n    return a + b\n"


def torch_fsdp2(out: Path) -> None:
    import torch
    import torch.distributed as dist
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    from srl_trainer.models import build_tiny_model, load_model

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        build_tiny_model(out / "base", seed=0)
    dist.barrier()
    model, tokenizer = load_model(str(out / "base"))
    mesh = init_device_mesh("cpu", (world,))
    for layer in model.model.layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    ids = tokenizer(TEXT, return_tensors="pt")["input_ids"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(3):
        loss = model(input_ids=ids, labels=ids).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        final_loss = model(input_ids=ids, labels=ids).loss.item()
    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if rank == 0:  # cpu_offload: the full tensors land on rank 0 only
        final, _ = load_model(str(out / "base"))
        final.load_state_dict(state)
        final.save_pretrained(str(out / "final"))
        tokenizer.save_pretrained(str(out / "final"))
    record = {
        "world": world,
        "backend": dist.get_backend(),
        "local_elements": sum(p.to_local().numel() for p in model.parameters()),
        "elements": sum(p.numel() for p in model.parameters()),
        "sharded": all(type(p).__name__ == "DTensor" for p in model.parameters()),
        "losses": losses,
        "final_loss": final_loss,
        "gathered_tensors": len(state),
    }
    (out / f"rank{rank}.json").write_text(json.dumps(record))
    dist.barrier()
    dist.destroy_process_group()


def accelerate_state(out: Path) -> None:
    from accelerate import Accelerator

    accelerator = Accelerator()
    record = {
        "distributed_type": str(accelerator.distributed_type),
        "backend": accelerator.state.backend,
        "processes": accelerator.num_processes,
        "fsdp_requested": os.environ.get("ACCELERATE_USE_FSDP"),
        "fsdp_version_requested": os.environ.get("FSDP_VERSION"),
    }
    (out / f"accelerate{accelerator.process_index}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    {"torch": torch_fsdp2, "accelerate": accelerate_state}[sys.argv[1]](Path(sys.argv[2]))
