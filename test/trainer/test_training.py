"""The trainer as the studio runs it: a child process, JSON events on stdout, commands on stdin."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import (LiveTrainer, Result, assert_protocol, copy_run, make_scene, run_trainer, validate_events,
                      write_dataset, write_job)


@pytest.fixture(scope="module")
def trained(chat_run: tuple[Path, Result], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """The session's LoRA run of a few dozen steps (conftest.chat_run), copied for the checks on its outputs."""
    job, result = chat_run
    return copy_run(job, tmp_path_factory.mktemp("trained")), result


def test_loss_falls_and_events_follow_the_schema(trained: tuple[Path, Result], schema: dict[str, Any]) -> None:
    job, result = trained
    run_dir = job.parent / "run"
    assert_protocol(result, schema, run_dir)
    losses = [e["loss"] for e in result.of("progress") if "loss" in e]
    assert len(losses) == 30
    # A LoRA on a random 64-wide model learns slowly; half a nat in 30 steps is a clear fall.
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.3, losses
    evals = [e["eval_loss"] for e in result.of("progress") if "eval_loss" in e]
    assert len(evals) == 3 and evals[-1] < evals[0]
    # Peak memory on the CPU is the resident set: torch alone holds more than 100 MB; it never shrinks.
    peaks = [e["peak_memory_bytes"] for e in result.of("progress") if "peak_memory_bytes" in e]
    assert len(peaks) == 30 and peaks[0] > 100 * 2**20 and peaks == sorted(peaks)
    stats = result.of("stats")[0]
    assert stats["examples"] == 6 and stats["dev_examples"] == 2
    assert stats["trained_tokens"]["min"] > 0
    assert stats["padding_share"] < stats["padding_share_fixed"]
    # Checkpoints every 15 steps, the newest two kept.
    assert [e["step"] for e in result.of("checkpoint")] == [15, 30]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["step-0000015", "step-0000030"]
    assert result.last["status"] == "completed"


def test_manifest_describes_the_run(trained: tuple[Path, Result], tiny_model: Path) -> None:
    job, _ = trained
    run_dir = job.parent / "run"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["format"] == "chat" and manifest["status"] == "trained"
    assert manifest["base_model"]["id"] == str(tiny_model)
    assert len(manifest["dataset"]["sha256"]) == 64 and len(manifest["template_hash"]) == 64
    assert manifest["versions"]["torch"] and manifest["versions"]["peft"]
    assert manifest["hyperparameters"]["lora_rank"] == 8
    assert (run_dir / "job.json").is_file()


def test_adapter_reloads_and_merges_to_the_same_logits(trained: tuple[Path, Result], tiny_model: Path,
                                                      schema: dict[str, Any]) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    job, _ = trained
    run_dir = job.parent / "run"
    result = run_trainer("export", job)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_protocol(result, schema)
    outputs = result.last["outputs"]
    assert set(outputs) == {"adapter", "merged", "modelfile"}

    ids = torch.tensor([[1, 20, 30, 40, 50, 60]])
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    with torch.no_grad():
        base_logits = base(ids).logits
        adapted = PeftModel.from_pretrained(base, outputs["adapter"]).eval()
        adapter_logits = adapted(ids).logits
        adapter_again = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model),
                                                  outputs["adapter"]).eval()(ids).logits
        merged_logits = AutoModelForCausalLM.from_pretrained(outputs["merged"])(ids).logits
    assert not torch.allclose(base_logits, adapter_logits, atol=1e-3)  # training changed something
    assert torch.equal(adapter_logits, adapter_again)
    assert torch.allclose(merged_logits, adapter_logits, atol=1e-4)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    merged_files = manifest["exports"]["merged"]["files"]
    assert any(name.endswith(".safetensors") for name in merged_files)
    assert "tokenizer_config.json" in {Path(n).name for n in merged_files}
    modelfile = Path(outputs["modelfile"]).read_text()
    assert "FROM ./model.gguf" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile


def long_job(folder: Path, tiny_model: Path, **hyper: Any) -> Path:
    dataset = write_dataset(folder / "scenes.jsonl", [make_scene(i) for i in range(6)])
    return write_job(folder, tiny_model, dataset, epochs=500, **hyper)


def checkpoint_steps(run_dir: Path) -> list[int]:
    return sorted(int(p.name.split("-")[1]) for p in (run_dir / "checkpoints").glob("step-*"))


def test_stop_on_stdin_checkpoints_and_resume_continues(tmp_path: Path, tiny_model: Path, schema: dict[str, Any]) -> None:
    job = long_job(tmp_path, tiny_model)
    run_dir = tmp_path / "run"
    live = LiveTrainer("train", job)
    live.wait_for(lambda e: e["type"] == "progress" and e["step"] >= 3)
    live.send("stop")
    result = live.finish()
    assert result.returncode == 4, result.stderr[-3000:]
    assert_protocol(result, schema)
    done = result.last
    assert done["status"] == "stopped" and done["reason"] == "stop command"
    stopped_at = result.of("checkpoint")[-1]["step"]
    assert checkpoint_steps(run_dir) == [stopped_at]
    assert done["outputs"]["checkpoint"].endswith(f"step-{stopped_at:07d}")

    raw = json.loads(job.read_text())
    raw["hyperparameters"]["max_steps"] = stopped_at + 4
    job.write_text(json.dumps(raw))
    resumed = run_trainer("train", job)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert any(e["type"] == "phase" and e["name"] == "resuming" and e["step"] == stopped_at for e in resumed.events)
    steps = [e["step"] for e in resumed.of("progress") if "loss" in e]
    assert steps == list(range(stopped_at + 1, stopped_at + 5))
    # events.jsonl holds both attempts, seq never repeating; the resumed stdout continues the count.
    mirrored = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["seq"] for e in mirrored] == list(range(1, len(mirrored) + 1))
    assert resumed.events[0]["seq"] == result.last["seq"] + 1


@pytest.fixture(scope="module")
def sigterm_stopped(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """A long run stopped by SIGTERM; its checkpoint is also what a resume on another dataset refuses."""
    folder = tmp_path_factory.mktemp("sigterm")
    job = long_job(folder, tiny_model)
    live = LiveTrainer("train", job)
    live.wait_for(lambda e: e["type"] == "progress")
    live.proc.send_signal(signal.SIGTERM)
    return job, live.finish()


def test_sigterm_stops_with_a_checkpoint(sigterm_stopped: tuple[Path, Result]) -> None:
    job, result = sigterm_stopped
    assert result.returncode == 4
    assert result.last["status"] == "stopped" and result.last["reason"] == "SIGTERM"
    assert checkpoint_steps(job.parent / "run") == [result.of("checkpoint")[-1]["step"]]


def test_stop_file_stops_with_a_checkpoint(tmp_path: Path, tiny_model: Path) -> None:
    live = LiveTrainer("train", long_job(tmp_path, tiny_model))
    live.wait_for(lambda e: e["type"] == "progress")
    (tmp_path / "run" / "STOP").touch()
    result = live.finish()
    assert result.returncode == 4
    assert result.last["reason"] == "STOP file"
    assert len(checkpoint_steps(tmp_path / "run")) == 1
    assert not (tmp_path / "run" / "STOP").exists()  # a resumed run must not stop at once


def test_cancel_exits_without_checkpoint(tmp_path: Path, tiny_model: Path, schema: dict[str, Any]) -> None:
    live = LiveTrainer("train", long_job(tmp_path, tiny_model))
    live.wait_for(lambda e: e["type"] == "progress")
    live.send("cancel")
    result = live.finish()
    assert result.returncode == 5
    assert_protocol(result, schema)
    assert result.last["status"] == "cancelled"
    assert not (tmp_path / "run" / "checkpoints").exists()
    assert not (tmp_path / "run" / "adapter").exists()


def test_resume_refused_when_dataset_changed(sigterm_stopped: tuple[Path, Result], schema: dict[str, Any]) -> None:
    job, stopped = sigterm_stopped
    assert checkpoint_steps(job.parent / "run") == [stopped.of("checkpoint")[-1]["step"]]
    write_dataset(job.parent / "scenes.jsonl", [make_scene(i) for i in range(7)])
    second = run_trainer("train", job)
    assert second.returncode == 2
    assert_protocol(second, schema)
    assert second.last["code"] == "resume_mismatch"
    assert "the dataset changed" in second.last["message"] and second.last["hint"]


@pytest.fixture(scope="module")
def paper_run(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """A full fine-tune in the paper's format on lines as the paper released them (prompt, output, source)."""
    from character_trainer.dataset import parse_scene
    from character_trainer.formats import render_character_llm

    folder = tmp_path_factory.mktemp("paper")
    lines = []
    for i in range(3):
        prompt, output = render_character_llm(parse_scene(make_scene(i)))
        lines.append({"prompt": prompt, "output": output, "source": f"seed_dialogue_{i}"})
    dataset = folder / "prompted.jsonl"
    dataset.write_text("".join(json.dumps(line) + "\n" for line in lines))
    job = write_job(folder, tiny_model, dataset, fmt="character-llm", full_finetune=True, learning_rate=1e-3, epochs=3)
    raw = json.loads(job.read_text())
    raw["dataset_format"] = "character-llm-sft"
    job.write_text(json.dumps(raw))
    return job, run_trainer("train", job)


def test_full_finetune_in_character_llm_format(paper_run: tuple[Path, Result], schema: dict[str, Any]) -> None:
    job, result = paper_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert_protocol(result, schema)
    losses = [e["loss"] for e in result.of("progress")]
    assert losses[-1] < losses[0]
    assert (job.parent / "run" / "model" / "config.json").is_file()
    assert result.last["outputs"]["model"].endswith("model")


def test_doctor_reports_the_machine(schema: dict[str, Any]) -> None:
    result = run_trainer("doctor")
    assert result.returncode == 0
    assert [e["type"] for e in result.events] == ["doctor"]
    validate_events(result.events, schema)
    doctor = result.events[0]
    assert doctor["cuda_available"] in (True, False) and doctor["packages"]["transformers"]


@pytest.mark.skipif(shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None, reason="torchrun missing")
def test_two_process_gloo_run_trains(tmp_path: Path, tiny_model: Path, schema: dict[str, Any]) -> None:
    dataset = write_dataset(tmp_path / "scenes.jsonl", [make_scene(i) for i in range(9)])
    job = write_job(tmp_path, tiny_model, dataset, epochs=3, eval_share=0.25, save_every_steps=3)
    torchrun = [str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc_per_node", "2",
                "-m", "character_trainer"]
    live = LiveTrainer("train", job, extra=torchrun)
    result = live.finish(timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_protocol(result, schema)  # only rank 0 speaks: one hello, one done
    assert result.events[0]["world_size"] == 2
    progress = [e for e in result.of("progress") if "loss" in e]
    # 7 training scenes, 2 ranks x batch 2 -> 2 global batches per epoch.
    assert [e["step"] for e in progress] == list(range(1, 7))
    assert all(e["loss"] > 0 for e in progress)
    assert (tmp_path / "run" / "adapter" / "adapter_config.json").is_file()


def test_trains_on_the_papers_released_sft_lines(paper_run: tuple[Path, Result]) -> None:
    job, result = paper_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.of("stats")[0]["examples"] == 3
    assert json.loads((job.parent / "run" / "manifest.json").read_text())["dataset"]["format"] == "character-llm-sft"
