"""Process-group context: one process, or DDP under torchrun/accelerate (env RANK, WORLD_SIZE, LOCAL_RANK)."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .modeling import pick_device


@dataclass(frozen=True)
class DistContext:
    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def all_reduce_sum(self, values: list[float]) -> list[float]:
        if not self.enabled:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.tolist()

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()

    def leave(self, code: int) -> None:
        """End a worker once its command has returned ``code``: a single process just closes.

        A distributed worker flushes its streams and exits at once, skipping the process group's
        teardown and the interpreter's finalisation. Their C++ destructors race the collective
        library's worker threads (gloo aborted a finished rank with "terminate called without an
        active exception"), and torchrun then kills the other ranks and reports the run as failed
        after its ``done`` event. Everything this run owns is on disk by now (the event sink is
        closed; ``_finish`` and ``_save`` end on a barrier), and the OS reclaims the rest.
        """
        if not self.enabled:
            self.close()
            return
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed or broken pipe has nothing left to keep
                pass
        os._exit(code)


def init_distributed() -> DistContext:
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = pick_device()
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank=rank, world_size=world_size, device=device)
