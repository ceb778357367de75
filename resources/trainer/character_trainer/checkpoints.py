"""Checkpoints: ``<run_dir>/checkpoints/step-NNNNNNN/``, written atomically, oldest pruned.

A checkpoint holds the trainable weights (the LoRA adapter, or the whole model for a full
fine-tune), the optimizer, scheduler and grad-scaler states, and ``state.json`` with the position
in the data and the identity of what was trained (dataset hash, base model, format, template).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from .manifest import write_json_atomic
from .protocol import InvalidJobError

STATE_FILE = "state.json"
PREFIX = "step-"


@dataclass
class TrainState:
    step: int = 0  # optimizer steps done
    epoch: int = 0  # epoch the next micro-batch belongs to
    micro_index: int = 0  # next micro-batch within that epoch
    best_eval_loss: float | None = None
    evals_without_improvement: int = 0
    identity: dict[str, Any] = field(default_factory=dict)  # what must match to resume


def checkpoints_dir(run_dir: Path) -> Path:
    return run_dir / "checkpoints"


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first (a folder without state.json is an interrupted save)."""
    folder = checkpoints_dir(run_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and p.name.startswith(PREFIX) and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(p.name[len(PREFIX):]))


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def read_state(checkpoint: Path) -> TrainState:
    raw = json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
    return TrainState(**raw)


def check_identity(checkpoint: Path, state: TrainState, identity: dict[str, Any]) -> None:
    """Refuses to resume a checkpoint made from other data, another base model or another format."""
    labels = {"dataset_sha256": "the dataset", "base_model": "the base model", "base_model_revision": "the base model revision",
              "format": "the format", "template_hash": "the chat template"}
    for key, label in labels.items():
        before, now = state.identity.get(key), identity.get(key)
        if before != now:
            raise InvalidJobError(
                f"cannot resume from {checkpoint}: {label} changed ({key} was {before!r}, is now {now!r})",
                "start a new run in a fresh run_dir, or restore the original input to resume",
                code="resume_mismatch")


def save_checkpoint(run_dir: Path, model: Any, optimizer: torch.optim.Optimizer, scheduler: Any,
                    scaler: Any, state: TrainState, keep: int, model_state: dict[str, Any] | None = None,
                    optimizer_state: dict[str, Any] | None = None) -> Path:
    """Writes into a temporary folder and renames it, so a crash never leaves a half checkpoint.

    ``model_state`` / ``optimizer_state``: full states gathered from a sharded (FSDP) model, written
    instead of the model's and optimizer's own (which would hold only this rank's shards).
    """
    final = checkpoints_dir(run_dir) / f"{PREFIX}{state.step:07d}"
    tmp = final.with_name(final.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    if model_state is not None:
        model.save_pretrained(tmp, state_dict=model_state)
    else:
        model.save_pretrained(tmp)
    torch.save(optimizer_state if optimizer_state is not None else optimizer.state_dict(), tmp / "optimizer.pt")
    torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
    if scaler is not None:
        torch.save(scaler.state_dict(), tmp / "scaler.pt")
    rng: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save(rng, tmp / "rng.pt")
    write_json_atomic(tmp / STATE_FILE, asdict(state))
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    prune(run_dir, keep)
    return final


def prune(run_dir: Path, keep: int) -> None:
    for old in list_checkpoints(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def load_training_state(checkpoint: Path, optimizer: torch.optim.Optimizer, scheduler: Any, scaler: Any,
                        load_optimizer: Callable[[dict[str, Any]], None] | None = None) -> None:
    """``load_optimizer`` replaces ``optimizer.load_state_dict`` (a sharded model loads its own shards)."""
    saved = torch.load(checkpoint / "optimizer.pt", map_location="cpu", weights_only=True)
    (load_optimizer or optimizer.load_state_dict)(saved)
    scheduler.load_state_dict(torch.load(checkpoint / "scheduler.pt", weights_only=True))
    if scaler is not None and (checkpoint / "scaler.pt").exists():
        scaler.load_state_dict(torch.load(checkpoint / "scaler.pt", weights_only=True))
    rng_path = checkpoint / "rng.pt"
    if rng_path.exists():
        rng = torch.load(rng_path, weights_only=False)
        torch.set_rng_state(rng["torch"])
        if "cuda" in rng and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(rng["cuda"])
