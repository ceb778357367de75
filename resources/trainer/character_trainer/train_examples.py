"""From a loaded dataset to what training sees: the seeded train/dev split by scene, the rendering of
each scene in the run's format (scenes that cannot be trained on are dropped with one warning per
kind of problem), and the token statistics the ``stats`` event reports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .batching import FIXED_PADDING_LENGTH, padding_shares
from .dataset import Scene
from .formats import Example, FormatError, Renderer
from .protocol import EventSink


@dataclass
class Examples:
    """The rendered, trainable examples of each side of the split (dev may be empty)."""

    train: list[Example]
    dev: list[Example]


def split_scenes(scenes: list[Scene], eval_share: float, seed: int) -> tuple[list[Scene], list[Scene]]:
    """A seeded train/dev split by scene; at least one scene stays in each side when a dev share is asked."""
    if eval_share <= 0 or len(scenes) < 2:
        return list(scenes), []
    order = list(range(len(scenes)))
    random.Random(seed).shuffle(order)
    n_dev = min(len(scenes) - 1, max(1, round(len(scenes) * eval_share)))
    dev_ids = set(order[:n_dev])
    return [s for i, s in enumerate(scenes) if i not in dev_ids], [s for i, s in enumerate(scenes) if i in dev_ids]


def render_all(renderer: Renderer, scenes: list[Scene], sink: EventSink, split: str) -> list[Example]:
    """Renders scenes, dropping (with one warning per kind of problem) those that cannot be trained on."""
    examples: list[Example] = []
    unrenderable: list[str] = []
    untrained: list[str] = []
    truncated: list[str] = []
    first_error = ""
    for scene in scenes:
        try:
            example = renderer.render(scene)
        except FormatError as error:
            unrenderable.append(scene.id)
            first_error = first_error or str(error)
            continue
        if example.trained_tokens == 0:
            untrained.append(scene.id)
            continue
        if example.truncated:
            truncated.append(scene.id)
        examples.append(example)
    if unrenderable:
        sink.emit("warning", code="scenes_unrenderable", scene_ids=unrenderable[:50],
                  message=f"{len(unrenderable)} {split} scene(s) could not be rendered and were dropped: {first_error}")
    if untrained:
        sink.emit("warning", code="scenes_without_trained_tokens", scene_ids=untrained[:50],
                  message=f"{len(untrained)} {split} scene(s) have no tokens to train on (no turn of the character "
                          f"left, or cut away by max_length) and were dropped")
    if truncated:
        sink.emit("warning", code="scenes_truncated", scene_ids=truncated[:50],
                  message=f"{len(truncated)} {split} scene(s) are longer than max_length={renderer.max_length} "
                          f"tokens and were cut at the end")
    return examples


def token_stats(examples: Examples, h: Any, world_size: int) -> dict[str, Any]:
    trained = [e.trained_tokens for e in examples.train]
    lengths = [len(e.input_ids) for e in examples.train]
    dynamic, fixed = padding_shares(lengths, h.batch_size, world_size, h.seed)
    return {
        "examples": len(examples.train),
        "dev_examples": len(examples.dev),
        "trained_tokens": {"min": min(trained), "mean": sum(trained) / len(trained), "max": max(trained),
                           "total": sum(trained)},
        "tokens": {"min": min(lengths), "mean": sum(lengths) / len(lengths), "max": max(lengths), "total": sum(lengths)},
        "padding_share": dynamic,
        "padding_share_fixed": fixed,
        "fixed_length": max(FIXED_PADDING_LENGTH, max(lengths)),
    }
