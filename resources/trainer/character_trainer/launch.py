"""This process's place in a launch, known before torch is imported.

torchrun and accelerate say which worker a process is in the environment (``RANK``, ``WORLD_SIZE``), so
the event sink, ``hello`` and the job's validation need no torch: a bad job, dataset or base model folder
is reported in a fraction of a second instead of after torch's import (seconds of CPU). ``join`` then
imports torch, picks the device and joins the process group, once, when the command is about to train.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .distributed import DistContext


@dataclass
class Launch:
    rank: int = 0
    world_size: int = 1
    context: DistContext | None = field(default=None, init=False)

    @classmethod
    def from_env(cls) -> Launch:
        return cls(rank=int(os.environ.get("RANK", "0")), world_size=int(os.environ.get("WORLD_SIZE", "1")))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def join(self) -> DistContext:
        """Torch's side of the launch (device, process group), started on the first call."""
        if self.context is None:
            from .distributed import init_distributed

            self.context = init_distributed()
        return self.context

    def close(self) -> None:
        """After a failure: leaves the process group, if one was joined."""
        if self.context is not None:
            self.context.close()

    def leave(self, code: int) -> None:
        """Ends the command that returned ``code`` (see DistContext.leave); nothing to do if never joined."""
        if self.context is not None:
            self.context.leave(code)
