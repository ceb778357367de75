"""The ``preview`` command: each scene of the job's dataset as ``train`` would see it, token by token.

Contract: reads the same job.json as ``train`` (base_model, format, dataset, and of the
hyperparameters ``max_length`` and ``thinking``); loads only the tokenizer, never the weights; never
downloads (a hub id is taken from the local Hugging Face cache, see :func:`hub.cached_tokenizer_folder`).
Emits ``hello``, one ``preview`` event per scene in file order, then ``done``; a problem of the whole
job (unknown model, a template the format cannot use) ends with ``error`` instead.

The tokens come from :meth:`Renderer.rendering`, the function training renders with, and the cut and
the drop rule are training's own (:meth:`Rendering.example`, ``trained_tokens == 0``), so the
preview cannot disagree with what a run trains on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Protocol

from .dataset import Scene, load_dataset
from .formats import IGNORE_INDEX, FormatError, Renderer, Rendering
from .job import Job
from .protocol import ExitCode, InvalidJobError, TrainerError

log = logging.getLogger("character_trainer")


class Emitter(Protocol):
    """Where a preview's events go: the process's EventSink, or one request's (preview_server.RequestSink)."""

    def emit(self, type_: str, **fields: Any) -> dict[str, Any] | None: ...


def run_preview(job: Job, sink: Emitter,
                tokenizer_for: Callable[[str], Any] | None = None) -> tuple[ExitCode, dict[str, Any]]:
    """Previews every scene of the job's dataset; ``tokenizer_for`` loads a folder's tokenizer (a server's cache)."""
    assert job.dataset is not None
    sink.emit("phase", name="loading_dataset")
    dataset = load_dataset(job.dataset, job.dataset_format)
    folder = tokenizer_folder(job, sink)
    sink.emit("phase", name="loading_tokenizer", base_model=job.base_model)
    if tokenizer_for is None:
        from .modeling import load_tokenizer  # torch: imported once the dataset and the folder are known to be good

        tokenizer = load_tokenizer(str(folder), None)
    else:
        tokenizer = tokenizer_for(str(folder))
    h = job.hyperparameters
    try:
        renderer = Renderer(tokenizer, job.format, h.max_length, h.thinking)
    except FormatError as error:
        raise InvalidJobError(str(error), code="format_unsupported")
    for scene in dataset.scenes:
        sink.emit("preview", **preview_scene(renderer, scene))
    return ExitCode.DONE, {}


def tokenizer_folder(job: Job, sink: Emitter) -> Path:
    """The folder to load the tokenizer from: a local model folder, or the cached snapshot of a hub id."""
    from .hub import cached_tokenizer_folder, check_local_model

    local = job.base_model_path
    if local is None:
        folder, sha = cached_tokenizer_folder(job.base_model, job.base_model_revision)
        log.info("preview: %s at %s from the local Hugging Face cache", job.base_model, sha)
        return folder
    if not local.is_dir():
        raise InvalidJobError(f"base_model folder not found: {local}",
                              "give an existing model folder, or a Hugging Face id already in the local cache",
                              code="invalid_base_model")
    try:
        check_local_model(local)
    except TrainerError as error:  # the tokenizer may still be there: preview, but say training would refuse
        sink.emit("warning", code="base_model_incomplete", message=f"training would refuse it: {error.message}")
    return local


def preview_scene(renderer: Renderer, scene: Scene) -> dict[str, Any]:
    """The fields of one ``preview`` event (protocol.schema.json describes each)."""
    fields: dict[str, Any] = {"scene_id": scene.id, "format": renderer.format, "max_length": renderer.max_length,
                              "template_hash": renderer.template_hash}
    try:
        rendering = renderer.rendering(scene)
    except FormatError as error:
        return {**fields, "token_ids": [], "pieces": [], "trained": [], "added": [], "cut_at": None, "tokens": 0,
                "trained_tokens": 0, "dropped": "unrenderable", "message": str(error)}
    example = rendering.example(scene.id, renderer.max_length)
    pieces, added = token_pieces(rendering, renderer.tokenizer)
    dropped = None
    message = None
    if example.trained_tokens == 0:  # train_examples.render_all drops these
        dropped = "no_trained_tokens"
        message = ("no token of this scene carries loss within max_length: training drops it (no turn of the "
                   "character left, or all of them cut away)")
    return {**fields, "token_ids": rendering.input_ids, "pieces": pieces,
            "trained": [label != IGNORE_INDEX for label in rendering.labels], "added": added,
            "cut_at": renderer.max_length if example.truncated else None, "tokens": len(rendering.input_ids),
            "trained_tokens": example.trained_tokens, "dropped": dropped, "message": message}


def token_pieces(rendering: Rendering, tokenizer: Any) -> tuple[list[str], list[int]]:
    """The text each token stands for, and the positions of tokens not in the text (BOS, appended EOS).

    Pieces of the text's tokens concatenate to the rendered text exactly: characters that no token's
    offsets cover (a space a tokenizer trims from its offsets) go to the next token, and a token whose
    characters an earlier token already took (one character split over several byte tokens) gets "".
    Added tokens show as the tokenizer spells them (``</s>``).
    """
    text = rendering.text
    pieces: list[str] = []
    added: list[int] = []
    cursor = 0
    last_text_token = -1
    for position, ((start, end), token_id) in enumerate(zip(rendering.offsets, rendering.input_ids)):
        if end <= start:
            added.append(position)
            pieces.append(tokenizer.convert_ids_to_tokens(token_id))
            continue
        pieces.append(text[cursor:end] if end > cursor else "")
        cursor = max(cursor, end)
        last_text_token = position
    if last_text_token >= 0 and cursor < len(text):
        pieces[last_text_token] += text[cursor:]
    return pieces, added
