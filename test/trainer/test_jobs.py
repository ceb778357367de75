"""Bad jobs end with exit 2 and an error event that says what is wrong.

A bad job, dataset or base model folder is answered before torch is imported: those runs get an
environment where importing torch fails (conftest.without_torch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import make_scene, run_trainer, trainer_env, validate_events, without_torch, write_dataset, write_job


def edit_job(job: Path, change: Any) -> Path:
    raw = json.loads(job.read_text())
    change(raw)
    job.write_text(json.dumps(raw))
    return job


@pytest.mark.parametrize("change, code, needle", [
    (lambda j: j.update(format="alpaca"), "invalid_job", "job.format must be one of chat, character-llm"),
    (lambda j: j["hyperparameters"].update(lora_rnak=8), "invalid_job", "unknown key(s): lora_rnak"),
    (lambda j: j["hyperparameters"].update(batch_size=0), "invalid_job", "batch_size must be at least 1"),
    (lambda j: j["hyperparameters"].update(dtype="fp8"), "invalid_job", "dtype must be one of auto, bf16, fp16, fp32"),
    (lambda j: j.update(dataset="missing.jsonl"), "invalid_job", "file not found"),
    (lambda j: j.pop("base_model"), "invalid_job", "base_model is required"),
])
def test_invalid_job(tmp_path: Path, tiny_model: Path, schema: dict[str, Any], no_torch: Path, change: Any, code: str,
                     needle: str) -> None:
    dataset = write_dataset(tmp_path / "scenes.jsonl", [make_scene(0)])
    job = edit_job(write_job(tmp_path, tiny_model, dataset), change)
    result = run_trainer("train", job, env=without_torch(trainer_env(), no_torch))
    assert result.returncode == 2
    validate_events(result.events, schema)
    assert [e["type"] for e in result.events] == ["hello", "error"]
    assert result.last["code"] == code and needle in result.last["message"], result.last


def test_folder_that_is_not_a_model(tmp_path: Path, no_torch: Path) -> None:
    not_a_model = tmp_path / "notes"
    not_a_model.mkdir()
    (not_a_model / "readme.txt").write_text("hello")
    dataset = write_dataset(tmp_path / "scenes.jsonl", [make_scene(0)])
    result = run_trainer("train", write_job(tmp_path, not_a_model, dataset), env=without_torch(trainer_env(), no_torch))
    assert result.returncode == 2
    assert result.last["code"] == "invalid_base_model" and "no config.json" in result.last["message"]


def test_bad_dataset_lines_are_listed(tmp_path: Path, tiny_model: Path, no_torch: Path) -> None:
    scenes = [make_scene(0), make_scene(1)]
    scenes[1]["turns"][0]["kind"] = "singing"
    path = write_dataset(tmp_path / "scenes.jsonl", scenes)
    path.write_text(path.read_text() + "{not json\n")
    result = run_trainer("train", write_job(tmp_path, tiny_model, path), env=without_torch(trainer_env(), no_torch))
    assert result.returncode == 2
    message = result.last["message"]
    assert result.last["code"] == "invalid_dataset"
    assert "line 2: turns[0].kind must be one of speaking, thinking, action (got 'singing')" in message
    assert "line 3:" in message


def test_no_trainable_scene_left(tmp_path: Path, tiny_model: Path) -> None:
    scene = make_scene(0)
    scene["turns"] = [t for t in scene["turns"] if t["speaker"] != "Beethoven"]
    other = make_scene(3)
    other["character"]["short_name"] = "Nobody"
    dataset = write_dataset(tmp_path / "scenes.jsonl", [scene, other])
    result = run_trainer("train", write_job(tmp_path, tiny_model, dataset))
    assert result.returncode == 2
    warnings = result.of("warning")
    assert warnings and warnings[0]["code"] == "scenes_without_trained_tokens"
    assert set(warnings[0]["scene_ids"]) == {"scene-0", "scene-3"}
    assert result.last["code"] == "no_trainable_examples"


def test_unreadable_job_file(tmp_path: Path, no_torch: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text("{oops")
    result = run_trainer("train", job, env=without_torch(trainer_env(), no_torch))
    assert result.returncode == 2 and "not valid JSON" in result.last["message"]
