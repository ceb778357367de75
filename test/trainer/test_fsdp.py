"""Full fine-tunes sharded with PyTorch's FSDP2 across two CPU processes (torchrun, gloo), as on a
multi-GPU machine: the strategy choice, the gathered checkpoints and final model in the ordinary
save_pretrained layout, and stop/resume with the optimizer state restored on every rank."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import (LiveTrainer, Result, make_scene, run_trainer, trainer_env, validate_events, without_torch,
                      write_dataset, write_job)

TORCHRUN = Path(sys.executable).parent / "torchrun"


def torchrun(nproc: int = 2) -> list[str]:
    return [str(TORCHRUN), "--standalone", "--nproc_per_node", str(nproc), "-m", "character_trainer"]


def fsdp_job(folder: Path, tiny_model: Path, scenes: int = 9, **hyper: Any) -> Path:
    dataset = write_dataset(folder / "scenes.jsonl", [make_scene(i) for i in range(scenes)])
    settings: dict[str, Any] = {"full_finetune": True, "learning_rate": 3e-3, "epochs": 4, "eval_share": 0.25,
                                "save_every_steps": 1000}
    settings.update(hyper)
    return write_job(folder, tiny_model, dataset, **settings)


def phases(result: Result, name: str) -> list[dict[str, Any]]:
    return [e for e in result.of("phase") if e["name"] == name]


def test_strategy_choice() -> None:
    from character_trainer.sharding import pick_sharding

    assert pick_sharding("auto", True, 4) == "fsdp"
    assert pick_sharding("auto", False, 4) == "ddp"
    assert pick_sharding("ddp", True, 4) == "ddp"
    assert pick_sharding("fsdp", True, 2) == "fsdp"
    assert [pick_sharding(r, True, 1) for r in ("auto", "ddp", "fsdp")] == ["none"] * 3


def test_fsdp_precision() -> None:
    import torch
    from character_trainer.modeling import Precision
    from character_trainer.sharding import fsdp_load_precision, mixed_precision_policy

    bf16 = Precision("bf16", torch.bfloat16, None, False)
    policy = mixed_precision_policy(bf16)
    assert (policy.param_dtype, policy.reduce_dtype) == (torch.bfloat16, torch.float32)
    assert fsdp_load_precision(bf16).load_dtype == torch.float32  # sharded master weights stay fp32
    fp32 = mixed_precision_policy(Precision("fp32", torch.float32, None, False))
    assert (fp32.param_dtype, fp32.reduce_dtype) == (None, None)


def test_sharding_is_validated(tmp_path: Path) -> None:
    from character_trainer.job import parse_job
    from character_trainer.protocol import InvalidJobError

    raw = {"run_dir": "run", "base_model": "org/model", "hyperparameters": {"sharding": "zero3"}}
    with pytest.raises(InvalidJobError, match="sharding must be one of auto, ddp, fsdp"):
        parse_job(raw, tmp_path / "job.json", require_dataset=False)
    raw["hyperparameters"] = {"sharding": "fsdp", "full_finetune": True}
    assert parse_job(raw, tmp_path / "job.json", require_dataset=False).hyperparameters.sharding == "fsdp"


def test_fsdp_with_lora_is_refused(tmp_path: Path, tiny_model: Path, schema: dict[str, Any], no_torch: Path) -> None:
    job = fsdp_job(tmp_path, tiny_model, full_finetune=False, sharding="fsdp")
    result = run_trainer("train", job, env=without_torch(trainer_env(), no_torch))  # refused before torch's import
    assert result.returncode == 2
    validate_events(result.events, schema)
    assert result.last["code"] == "invalid_job"
    assert "sharding \"fsdp\" needs full_finetune" in result.last["message"]
    assert "set sharding to auto or ddp" in result.last["hint"]


def test_optimizer_state_rekeyed_by_name() -> None:
    from character_trainer.sharding import optimizer_state_by_name

    saved = {"state": {0: {"step": 3}, 2: {"step": 3}},
             "param_groups": [{"params": [0, 1], "lr": 0.1}, {"params": [2], "lr": 0.1, "weight_decay": 0.0}]}
    renamed = optimizer_state_by_name(saved, ["a.weight", "b.weight", "norm.weight"])
    assert renamed["state"] == {"a.weight": {"step": 3}, "norm.weight": {"step": 3}}
    assert [g["params"] for g in renamed["param_groups"]] == [["a.weight", "b.weight"], ["norm.weight"]]
    assert renamed["param_groups"][1]["weight_decay"] == 0.0
    assert optimizer_state_by_name(renamed, []) is renamed


@dataclass
class Attempts:
    folder: Path
    job: Path
    stopped: Result
    resumed: Result
    stopped_at: int


@pytest.fixture(scope="module")
def attempts(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Attempts:
    """One FSDP run on two processes stopped after a few steps, then resumed for three more.

    12 scenes with eval_share 0.4 leave 5 dev scenes: rank 0 evaluates 2 batches, rank 1 one (the
    uneven case where FSDP ranks must still make the same number of forward passes).
    """
    if shutil.which("torchrun", path=str(TORCHRUN.parent)) is None:
        pytest.skip("torchrun missing")
    folder = tmp_path_factory.mktemp("fsdp")
    job = fsdp_job(folder, tiny_model, scenes=12, epochs=500, eval_share=0.4, eval_every_steps=2)
    live = LiveTrainer("train", job, extra=torchrun())
    live.wait_for(lambda e: e["type"] == "progress" and e.get("step", 0) >= 3)
    live.send("stop")
    stopped = live.finish(timeout=120)
    at = stopped.of("checkpoint")[-1]["step"]
    raw = json.loads(job.read_text())
    raw["hyperparameters"].update(max_steps=at + 3, save_every_steps=at + 3)
    job.write_text(json.dumps(raw))
    resumed = LiveTrainer("train", job, extra=torchrun()).finish(timeout=120)
    return Attempts(folder, job, stopped, resumed, at)


def test_fsdp_run_trains_and_stops_with_a_full_checkpoint(attempts: Attempts, schema: dict[str, Any]) -> None:
    import torch

    stopped, at = attempts.stopped, attempts.stopped_at
    # torchrun reports any failing worker exit code (4 = stopped here) as 1: the done event is what counts.
    assert stopped.returncode == 1 and stopped.last["status"] == "stopped", stopped.stderr[-3000:]
    validate_events(stopped.events, schema)
    assert stopped.events[0]["world_size"] == 2
    assert [e["sharding"] for e in phases(stopped, "loading_model") + phases(stopped, "training")] == ["fsdp", "fsdp"]
    evals = [e["eval_loss"] for e in stopped.of("progress") if "eval_loss" in e]
    assert len(evals) == at // 2 and all(v > 0 for v in evals)
    checkpoint = attempts.folder / "run" / "checkpoints" / f"step-{at:07d}"
    assert stopped.last["outputs"]["checkpoint"] == str(checkpoint)
    # Every parameter's AdamW state, gathered from both shards and keyed by name.
    optimizer = torch.load(checkpoint / "optimizer.pt", weights_only=True)
    from safetensors.torch import load_file

    assert set(optimizer["state"]) == set(load_file(checkpoint / "model.safetensors"))
    assert all(int(s["step"]) == at for s in optimizer["state"].values())


def test_fsdp_resume_continues_with_weights_and_optimizer(attempts: Attempts, schema: dict[str, Any]) -> None:
    import torch

    resumed, at = attempts.resumed, attempts.stopped_at
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    validate_events(resumed.events, schema)
    assert any(e["name"] == "resuming" and e["step"] == at for e in resumed.of("phase"))
    assert phases(resumed, "training")[0]["start_step"] == at
    before = [e["loss"] for e in attempts.stopped.of("progress") if "loss" in e]
    after = [e for e in resumed.of("progress") if "loss" in e]
    assert [e["step"] for e in after] == [at + 1, at + 2, at + 3]
    # The trained weights came back: the loss goes on from where it was, not from the base model's.
    assert after[0]["loss"] < before[0] - 0.3 and after[-1]["loss"] < before[0] - 0.5, (before, after)
    # AdamW's step count went on in every shard: restored, not restarted.
    state = torch.load(attempts.folder / "run" / "checkpoints" / f"step-{at + 3:07d}" / "optimizer.pt",
                       weights_only=True)
    assert all(int(s["step"]) == at + 3 for s in state["state"].values())
    manifest = json.loads((attempts.folder / "run" / "manifest.json").read_text())
    assert manifest["sharding"] == "fsdp" and manifest["world_size"] == 2 and manifest["status"] == "trained"


def test_fsdp_final_model_loads_with_the_gathered_weights(attempts: Attempts, tiny_model: Path) -> None:
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    run_dir = attempts.folder / "run"
    final = run_dir / "model"
    assert attempts.resumed.last["outputs"]["model"] == str(final)
    assert json.loads((final / "config.json").read_text())["architectures"] == ["LlamaForCausalLM"]
    ids = torch.tensor([[1, 20, 30, 40, 50, 60]])
    with torch.no_grad():
        base_logits = AutoModelForCausalLM.from_pretrained(tiny_model)(ids).logits
        trained = AutoModelForCausalLM.from_pretrained(final)
        trained_logits = trained(ids).logits
    assert torch.isfinite(trained_logits).all()
    assert not torch.allclose(base_logits, trained_logits, atol=1e-2)
    # The final model is the last checkpoint's full (gathered) weights, tensor for tensor.
    gathered = load_file(run_dir / "checkpoints" / f"step-{attempts.stopped_at + 3:07d}" / "model.safetensors")
    assert set(gathered) == set(trained.state_dict())
    for name, value in trained.state_dict().items():
        assert torch.equal(value, gathered[name]), name


def test_fsdp_checkpoint_resumes_in_one_process(attempts: Attempts, tiny_model: Path, tmp_path: Path) -> None:
    """The name-keyed optimizer state of an FSDP checkpoint loads into an unsharded run (fewer GPUs)."""
    import torch

    shutil.copytree(attempts.folder / "run", tmp_path / "run")
    shutil.copyfile(attempts.folder / "scenes.jsonl", tmp_path / "scenes.jsonl")
    raw = json.loads(attempts.job.read_text())
    raw["run_dir"] = str(tmp_path / "run")
    raw["dataset"] = str(tmp_path / "scenes.jsonl")
    at = attempts.stopped_at + 3
    raw["hyperparameters"].update(max_steps=at + 1, save_every_steps=at + 1, sharding="fsdp")
    job = tmp_path / "job.json"
    job.write_text(json.dumps(raw))
    result = run_trainer("train", job)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [w["code"] for w in result.of("warning")] == ["sharding_ignored"]
    training = phases(result, "training")[0]
    assert training["sharding"] == "none" and training["start_step"] == at
    state = torch.load(tmp_path / "run" / "checkpoints" / f"step-{at + 1:07d}" / "optimizer.pt", weights_only=True)
    assert all(int(s["step"]) == at + 1 for s in state["state"].values())
