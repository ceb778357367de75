"""The ``preview`` command: each scene tokenized and masked exactly as training takes it, without weights."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import REPO, Result, make_scene, parse_stdout, trainer_env, validate_events, without_torch, write_dataset

from character_trainer.batching import collate
from character_trainer.dataset import parse_scene
from character_trainer.formats import IGNORE_INDEX, Renderer, chat_messages, render_character_llm

FORMATS = ("chat", "character-llm")


def run_preview(folder: Path, base_model: str, scenes: list[dict[str, Any]], fmt: str, max_length: int = 256,
                env: dict[str, str] | None = None) -> Result:
    dataset = write_dataset(folder / "scenes.jsonl", scenes)
    job = {"run_dir": str(folder / "run"), "base_model": base_model, "format": fmt, "dataset": str(dataset),
           "hyperparameters": {"max_length": max_length}}
    path = folder / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "character_trainer", "preview", "--job", str(path)],
                          capture_output=True, text=True, env={**trainer_env(), **(env or {})}, timeout=120, cwd=REPO)
    events, lines = parse_stdout(proc.stdout)
    return Result(proc.returncode, events, proc.stderr, lines)


def long_scene() -> dict[str, Any]:
    scene = make_scene(0, turns=12)
    scene["id"] = "long"
    return scene


HUB_ID = "studio-test/tiny-llama"
PREVIEW_SCENES = [make_scene(1), make_scene(2, turns=6), long_scene()]
PREVIEW_MAX_LENGTH = 256  # the long scene is cut in both formats, the other two fit


@pytest.fixture(scope="module")
def previewed(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Result]:
    """The preview of PREVIEW_SCENES in each format, run once and shared by the checks on it. The chat
    preview names its base model by a hub id, read from a local cache that holds no weights."""
    results: dict[str, Result] = {}

    def preview(fmt: str) -> Result:
        if fmt not in results:
            folder = tmp_path_factory.mktemp(f"preview-{fmt}")
            if fmt == "chat":
                cache = folder / "hf-cache"
                fake_cache(cache, HUB_ID, tiny_model, "0123456789abcdef0123456789abcdef01234567")
                results[fmt] = run_preview(folder, HUB_ID, PREVIEW_SCENES, fmt, PREVIEW_MAX_LENGTH,
                                           env={"HF_HUB_CACHE": str(cache), "HF_ENDPOINT": "http://127.0.0.1:9"})
            else:
                results[fmt] = run_preview(folder, str(tiny_model), PREVIEW_SCENES, fmt, PREVIEW_MAX_LENGTH)
        return results[fmt]

    return preview


@pytest.mark.parametrize("fmt", FORMATS)
def test_preview_masks_equal_the_training_collators_labels(previewed: Callable[[str], Result], tokenizer: Any,
                                                           schema: dict[str, Any], fmt: str) -> None:
    scenes = PREVIEW_SCENES
    max_length = PREVIEW_MAX_LENGTH
    result = previewed(fmt)
    assert result.returncode == 0, result.stderr[-2000:]
    validate_events(result.events, schema)
    assert [e["type"] for e in result.events][0] == "hello" and result.last["type"] == "done"
    previews = result.of("preview")
    assert [p["scene_id"] for p in previews] == [s["id"] for s in scenes]

    renderer = Renderer(tokenizer, fmt, max_length)
    for raw, preview in zip(scenes, previews):
        scene = parse_scene(raw)
        example = renderer.render(scene)
        batch = collate([example], tokenizer.pad_token_id)
        width = len(example.input_ids)
        # What training feeds the model is the preview's first cut_at (or all) tokens, with the same mask.
        assert preview["token_ids"][:width] == batch.input_ids[0].tolist()
        assert preview["trained"][:width] == (batch.labels[0] != IGNORE_INDEX).tolist()
        assert preview["trained_tokens"] == example.trained_tokens
        assert preview["template_hash"] == renderer.template_hash
        assert len(preview["pieces"]) == len(preview["trained"]) == preview["tokens"]

        # The pieces of the text's tokens spell the rendered text, written out independently here.
        if fmt == "character-llm":
            prompt, output = render_character_llm(scene)
            text = prompt + output
        else:
            text = tokenizer.apply_chat_template(chat_messages(scene), tokenize=False)
        added = set(preview["added"])
        assert "".join(p for i, p in enumerate(preview["pieces"]) if i not in added) == text
        trained_text = "".join(p for i, p in enumerate(preview["pieces"]) if preview["trained"][i] and i not in added)
        if fmt == "character-llm":
            assert trained_text == output  # the paper's loss: every turn after the prompt (plus EOS)
            assert preview["pieces"][-1] == tokenizer.eos_token and preview["trained"][-1]
        else:
            assert "Neefe:" not in trained_text  # other speakers are user turns, never trained
            # The character's last words are trained unless max_length cut them away.
            last_spoken = [t for t in scene.turns if scene.is_character(t) and t.kind == "speaking"][-1]
            assert last_spoken.text in trained_text or preview.get("cut_at") is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_preview_says_where_max_length_cuts(previewed: Callable[[str], Result], fmt: str) -> None:
    result = previewed(fmt)
    assert result.returncode == 0, result.stderr[-2000:]
    fits, _, cut = result.of("preview")
    assert cut["scene_id"] == "long" and cut["tokens"] > PREVIEW_MAX_LENGTH and cut["cut_at"] == PREVIEW_MAX_LENGTH
    assert cut["trained_tokens"] == sum(cut["trained"][:PREVIEW_MAX_LENGTH])
    assert fits["tokens"] <= PREVIEW_MAX_LENGTH
    assert "cut_at" not in fits or fits["cut_at"] is None
    assert fits["trained_tokens"] == sum(fits["trained"])


def test_preview_names_scenes_training_drops(tmp_path: Path, tiny_model: Path) -> None:
    # Chat format, cut before the character's first turn: nothing carries loss, training drops it.
    result = run_preview(tmp_path, str(tiny_model), [long_scene()], "chat", max_length=20)
    preview = result.of("preview")[0]
    assert preview["dropped"] == "no_trained_tokens" and preview["trained_tokens"] == 0
    assert "drops" in preview["message"]


def fake_cache(root: Path, repo_id: str, model: Path, sha: str) -> Path:
    """The documented HF cache layout: refs/main names the commit, snapshots/<sha> holds the files."""
    repo = root / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha, encoding="utf-8")
    snapshot = repo / "snapshots" / sha
    snapshot.mkdir(parents=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "config.json", "chat_template.jinja"):
        if (model / name).exists():
            shutil.copy(model / name, snapshot / name)
    return snapshot


def test_a_hub_id_is_read_from_the_local_cache_without_weights(previewed: Callable[[str], Result]) -> None:
    result = previewed("chat")  # its base model is HUB_ID, in a cache without weights, the hub out of reach
    assert result.returncode == 0, result.stderr[-2000:]
    assert [e["base_model"] for e in result.of("phase") if e["name"] == "loading_tokenizer"] == [HUB_ID]
    assert result.of("preview")[0]["trained_tokens"] > 0


def test_an_unknown_hub_id_is_a_clear_error_and_nothing_is_downloaded(tmp_path: Path, schema: dict[str, Any],
                                                                       no_torch: Path) -> None:
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    env = {"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9"}
    result = run_preview(tmp_path, "nobody/not-a-model", [make_scene(1)], "chat",
                         env=without_torch({**trainer_env(), **env}, no_torch))
    validate_events(result.events, schema)
    assert result.returncode == 2
    error = result.last
    assert error["type"] == "error" and error["code"] == "model_not_cached"
    assert "nobody/not-a-model" in error["message"] and "never downloads" in error["message"]
    assert "huggingface-cli download nobody/not-a-model" in error["hint"]
    assert list(cache.iterdir()) == []  # the cache was not touched
