"""How several processes share a run: nothing (one process), DDP, or PyTorch's FSDP2 (``fully_shard``).

FSDP is for full fine-tunes of models that do not fit one GPU: every decoder layer, then the root,
is sharded across the ranks, so each GPU holds 1/world_size of the fp32 master weights, gradients
and AdamW state, and gathers one layer's weights at a time for the forward and backward passes.

Checkpoints and the final model stay in the ordinary ``save_pretrained`` layout: every rank joins
in gathering the full state dict (``torch.distributed.checkpoint.state_dict``, offloaded to rank 0's
CPU), rank 0 writes it. The optimizer state is saved keyed by parameter name, which both a sharded
and an unsharded run can load, so a run may resume on another number of GPUs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any, Iterator, Literal

import torch

from .modeling import Precision

Sharding = Literal["none", "ddp", "fsdp"]


def pick_sharding(requested: str, full_finetune: bool, world_size: int) -> Sharding:
    """The strategy that runs: ``none`` for one process; ``auto`` = FSDP for a full fine-tune, DDP for LoRA.

    job.py refuses ``fsdp`` without ``full_finetune``, so LoRA never reaches FSDP here.
    """
    if world_size <= 1:
        return "none"
    if requested == "auto":
        return "fsdp" if full_finetune else "ddp"
    return "fsdp" if requested == "fsdp" else "ddp"


def fsdp_load_precision(precision: Precision) -> Precision:
    """Under FSDP the sharded master weights stay fp32; bf16 is the compute dtype (MixedPrecisionPolicy)."""
    return dataclasses.replace(precision, load_dtype=torch.float32)


def mixed_precision_policy(precision: Precision) -> Any:
    """bf16: gather weights in bf16, reduce gradients in fp32 (bf16 sums over many ranks lose digits).

    fp16 keeps fp32 weights and computes under autocast with a sharded grad scaler, as the unsharded
    full fine-tune does; fp32 (CPU) changes nothing.
    """
    from torch.distributed.fsdp import MixedPrecisionPolicy

    if precision.name == "bf16":
        return MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    return MixedPrecisionPolicy()


def decoder_layers(model: Any) -> list[torch.nn.Module]:
    """The repeated transformer blocks: the units FSDP gathers one at a time."""
    layers = getattr(getattr(model, "model", None), "layers", None)
    if isinstance(layers, torch.nn.ModuleList) and len(layers) > 0:
        return list(layers)
    no_split = set(getattr(model, "_no_split_modules", None) or [])
    return [m for m in model.modules() if type(m).__name__ in no_split]


def shard_model(model: Any, precision: Precision, device: torch.device, world_size: int) -> Any:
    """Shards ``model`` in place (weights may start on the CPU: each rank moves only its shard to ``device``)."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh(device.type, (world_size,))
    policy = mixed_precision_policy(precision)
    for layer in decoder_layers(model):
        fully_shard(layer, mesh=mesh, mp_policy=policy)
    fully_shard(model, mesh=mesh, mp_policy=policy)
    return model


@contextlib.contextmanager
def gradient_sync(model: Any, sync: bool) -> Iterator[None]:
    """FSDP's ``no_sync``: micro-batches before the last of a step keep their gradients unreduced."""
    model.set_requires_gradient_sync(sync)
    try:
        yield
    finally:
        model.set_requires_gradient_sync(True)


def grad_scaler(device: torch.device) -> Any:
    """fp16 under FSDP: a scaler whose inf/nan check agrees across ranks, so all skip the same steps."""
    from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

    return ShardedGradScaler(device.type)


def full_model_state(model: Any) -> dict[str, torch.Tensor]:
    """The whole model's weights on rank 0's CPU (empty on other ranks). Every rank must call it."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def full_optimizer_state(model: Any, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """The whole AdamW state keyed by parameter name, on rank 0's CPU. Every rank must call it."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    return get_optimizer_state_dict(model, optimizer,
                                    options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def restore_optimizer(model: Any, optimizer: torch.optim.Optimizer, saved: dict[str, Any],
                      param_names: list[str]) -> None:
    """Loads a saved optimizer state into a sharded or an unsharded model's optimizer.

    ``saved`` is keyed by parameter name (FSDP checkpoints) or by index (``optimizer.state_dict()``
    of an unsharded run); ``param_names`` lists the parameters in the optimizer's order, which maps
    one onto the other. Each rank keeps only its own shard of every tensor.
    """
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    set_optimizer_state_dict(model, optimizer, optimizer_state_by_name(saved, param_names),
                             options=StateDictOptions(full_state_dict=True))


def optimizer_state_by_name(saved: dict[str, Any], param_names: list[str]) -> dict[str, Any]:
    """Re-keys an index-keyed ``optimizer.state_dict()`` by parameter name; a name-keyed one is returned as is."""
    groups = saved.get("param_groups", [])
    if all(isinstance(p, str) for g in groups for p in g["params"]):
        return saved
    state = {param_names[index]: value for index, value in saved.get("state", {}).items()}
    renamed = [{**g, "params": [param_names[index] for index in g["params"]]} for g in groups]
    return {"state": state, "param_groups": renamed}


def final_model_state(model: Any, precision: Precision) -> dict[str, torch.Tensor]:
    """The full weights to publish, in the run's dtype (bf16 runs publish bf16 like unsharded ones do).

    Checkpoints keep the fp32 master weights (``full_model_state``) so a resume continues exactly.
    Every rank must call it.
    """
    state = full_model_state(model)
    if precision.name != "bf16":
        return state
    return {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in state.items()}


def save_full_model(model: Any, folder: Path, state: dict[str, torch.Tensor]) -> None:
    """``save_pretrained`` of gathered weights; config.json's dtype names the dtype actually written
    (the sharded model's own parameters are fp32 master weights)."""
    dtypes = {v.dtype for v in state.values() if v.is_floating_point()}  # save_pretrained empties ``state``
    model.save_pretrained(folder, state_dict=state)
    config_path = folder / "config.json"
    if len(dtypes) == 1 and config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["dtype"] = str(dtypes.pop()).removeprefix("torch.")
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
