"""The ``preview-server`` command: many previews in one process, each answered as ``preview`` answers it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conftest import make_scene, run_trainer, validate_events, write_dataset

from character_trainer.preview_server import TokenizerCache
from test_preview import long_scene, run_preview

SCENES = [make_scene(1), make_scene(2, turns=6), long_scene()]


def preview_job(folder: Path, base_model: str, fmt: str, max_length: int = 256) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dataset = write_dataset(folder / "scenes.jsonl", SCENES)
    job = {"run_dir": str(folder / "run"), "base_model": base_model, "format": fmt, "dataset": str(dataset),
           "hyperparameters": {"max_length": max_length}}
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def request(name: str, job: Path) -> str:
    return json.dumps({"request": name, "job": str(job)}) + "\n"


def answers(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("request") == name]


def test_serves_previews_one_after_another_as_the_one_shot_command_makes_them(
        tmp_path: Path, tiny_model: Path, schema: dict[str, Any]) -> None:
    chat = preview_job(tmp_path / "chat", str(tiny_model), "chat")
    paper = preview_job(tmp_path / "paper", str(tiny_model), "character-llm", max_length=64)
    stdin = (request("a", chat) + "not a request\n" + request("missing", tmp_path / "nowhere.json")
             + request("b", paper) + request("c", chat))
    result = run_trainer("preview-server", stdin=stdin)

    assert result.returncode == 0, result.stderr[-3000:]
    validate_events(result.events, schema)
    assert result.events[0]["type"] == "hello" and result.events[0]["command"] == "preview-server"
    last = result.events[-1]
    assert last["type"] == "done" and "request" not in last  # stdin ended: the server ends
    seqs = [e["seq"] for e in result.events]
    assert seqs == list(range(1, len(seqs) + 1))

    # Every request is answered in order, each with its previews and exactly one terminal event last.
    order = [e["request"] for e in result.events if e["type"] in ("done", "error") and "request" in e]
    assert order == ["a", "missing", "b", "c"]
    for name in ("a", "b", "c"):
        mine = answers(result.events, name)
        assert [e["type"] for e in mine if e["type"] in ("done", "error")] == ["done"] and mine[-1]["type"] == "done"
        assert [e["scene_id"] for e in mine if e["type"] == "preview"] == [s["id"] for s in SCENES]
    missing = answers(result.events, "missing")
    assert [e["type"] for e in missing] == ["error"] and missing[0]["code"] == "invalid_job"
    assert "nowhere.json" in missing[0]["message"]
    warnings = [e for e in result.events if e["type"] == "warning" and "request" not in e]
    assert len(warnings) == 1 and "not a request" in warnings[0]["message"]

    # What the server answers is what the one-shot command answers for the same job.
    for name, fmt, max_length in (("a", "chat", 256), ("b", "character-llm", 64)):
        (tmp_path / f"alone-{name}").mkdir()
        alone = run_preview(tmp_path / f"alone-{name}", str(tiny_model), SCENES, fmt, max_length)
        assert alone.returncode == 0, alone.stderr[-2000:]
        served = [e for e in answers(result.events, name) if e["type"] == "preview"]
        strip = ("seq", "ts", "request")
        assert [{k: v for k, v in e.items() if k not in strip} for e in served] == [
            {k: v for k, v in e.items() if k not in strip} for e in alone.of("preview")]
    assert answers(result.events, "c")[-2]["token_ids"] == answers(result.events, "a")[-2]["token_ids"]

    # One tokenizer load served all three requests on the same folder.
    assert result.stderr.count("preview-server: loading the tokenizer") == 1


def test_stop_ends_the_server_before_later_requests(tmp_path: Path, tiny_model: Path) -> None:
    job = preview_job(tmp_path / "chat", str(tiny_model), "chat")
    result = run_trainer("preview-server", stdin=request("a", job) + "stop\n" + request("late", job))
    assert result.returncode == 0, result.stderr[-3000:]
    assert answers(result.events, "a")[-1]["type"] == "done"
    assert answers(result.events, "late") == []
    assert result.events[-1]["type"] == "done" and "request" not in result.events[-1]


def test_the_tokenizer_cache_reloads_a_folder_whose_files_changed_and_keeps_the_last_few(tmp_path: Path) -> None:
    loads: list[str] = []
    cache = TokenizerCache(lambda folder: loads.append(folder) or object(), kept=2)
    folders = [tmp_path / name for name in ("one", "two", "three")]
    for folder in folders:
        folder.mkdir()
        (folder / "tokenizer.json").write_text("{}", encoding="utf-8")

    first = cache.get(str(folders[0]))
    assert cache.get(str(folders[0])) is first and len(loads) == 1

    stat = (folders[0] / "tokenizer.json").stat()
    os.utime(folders[0] / "tokenizer.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cache.get(str(folders[0])) is not first and len(loads) == 2  # a changed file: loaded again

    cache.get(str(folders[1]))
    cache.get(str(folders[2]))  # three folders, two kept: the least recently used one goes
    assert len(loads) == 4
    cache.get(str(folders[2]))
    cache.get(str(folders[1]))
    assert len(loads) == 4
    cache.get(str(folders[0]))
    assert len(loads) == 5
