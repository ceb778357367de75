"""The ``train`` command: a small explicit training loop over torch + peft.

An explicit loop (rather than transformers' Trainer) keeps the protocol exact: one ``progress``
event per optimizer step, stop requests honoured at step boundaries with a checkpoint, cancel
between micro-batches, and token-weighted loss across gradient accumulation and DDP ranks.

This file sets a run up (dataset, base model, tokenizer and format, resume checkpoint, model and
LoRA, examples, manifest); train_examples.py splits and renders the scenes; train_loop.py trains.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from .checkpoints import check_identity, latest_checkpoint, read_state
from .control import Controller, Request, Stopped
from .dataset import scene_characters
from .distributed import DistContext
from .formats import FormatError, Renderer
from .job import Job
from .manifest import update_manifest
from .hub import resolve_base_model
from .modeling import attach_lora, enable_gradient_checkpointing, load_model, load_tokenizer, pick_precision
from .protocol import EventSink, ExitCode, InvalidJobError
from . import sharding as fsdp
from .train_examples import Examples, render_all, split_scenes, token_stats
from .train_inputs import Inputs
from .train_loop import Loop
from .versions import package_versions


class TrainingRun:
    def __init__(self, job: Job, sink: EventSink, controller: Controller, ctx: DistContext) -> None:
        self.job = job
        self.h = job.hyperparameters
        self.sink = sink
        self.controller = controller
        self.ctx = ctx
        self.run_dir = job.run_dir

    # --- set-up ---------------------------------------------------------------------------------

    def run(self, inputs: Inputs) -> tuple[ExitCode, dict[str, Any]]:
        h = self.h
        torch.manual_seed(h.seed)
        dataset = inputs.dataset
        # A hub model is downloaded (pinned to a sha) here only in a distributed run, see train_inputs.py.
        base = inputs.base or resolve_base_model(self.job, self.sink, self.ctx)
        source = str(base.path)
        precision = pick_precision(h.dtype, self.ctx.device, h.full_finetune)
        self.sharding = fsdp.pick_sharding(h.sharding, h.full_finetune, self.ctx.world_size)
        if h.sharding != "auto" and self.ctx.world_size == 1:
            self.sink.emit("warning", code="sharding_ignored",
                           message=f"sharding {h.sharding!r} needs several processes (torchrun --nproc_per_node N); "
                                   "this run has one and trains unsharded")

        self.sink.emit("phase", name="loading_tokenizer")
        tokenizer = load_tokenizer(source, None)
        try:
            renderer = Renderer(tokenizer, self.job.format, h.max_length, h.thinking)
        except FormatError as error:
            raise InvalidJobError(str(error), code="format_unsupported")

        identity = {"dataset_sha256": dataset.sha256, "base_model": self.job.base_model,
                    "base_model_revision": base.revision or self.job.base_model_revision, "format": self.job.format,
                    "template_hash": renderer.template_hash}
        resume_from = self._resume_checkpoint(identity)
        self._stop_point("loading the model")

        self.sink.emit("phase", name="loading_model", base_model=self.job.base_model, device=str(self.ctx.device),
                       dtype=precision.name, sharding=self.sharding)
        load_from = str(resume_from) if resume_from is not None and h.full_finetune else source
        # FSDP: every rank loads fp32 weights into CPU memory; sharding then moves only its shard to the GPU.
        sharded = self.sharding == "fsdp"
        model = load_model(load_from, None, fsdp.fsdp_load_precision(precision) if sharded else precision,
                           torch.device("cpu") if sharded else self.ctx.device, h)
        if h.gradient_checkpointing:
            enable_gradient_checkpointing(model)
        if not h.full_finetune:
            model = attach_lora(model, h)
            if resume_from is not None:
                from peft import set_peft_model_state_dict
                from peft.utils import load_peft_weights

                set_peft_model_state_dict(model, load_peft_weights(str(resume_from), device=str(self.ctx.device)))
        self._stop_point("tokenizing")

        self.sink.emit("phase", name="tokenizing")
        train_scenes, dev_scenes = split_scenes(dataset.scenes, h.eval_share, h.seed)
        examples = Examples(render_all(renderer, train_scenes, self.sink, "training"),
                            render_all(renderer, dev_scenes, self.sink, "dev"))
        if not examples.train:
            raise InvalidJobError("no training example is left with tokens to train on",
                                  "check that the character's short_name matches the speaker of its turns, "
                                  "and that max_length is not too small", code="no_trainable_examples")
        stats = token_stats(examples, h, self.ctx.world_size)
        self.sink.emit("stats", **stats)

        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        total_params = sum(p.numel() for p in model.parameters())
        if self.ctx.is_main:
            update_manifest(
                self.run_dir, status="training", format=self.job.format,
                base_model=base.manifest_entry(),
                template_hash=renderer.template_hash,
                dataset={"path": str(self.job.dataset), "format": self.job.dataset_format, "sha256": dataset.sha256,
                         "scenes": len(dataset.scenes), "train_examples": len(examples.train),
                         "dev_examples": len(examples.dev)},
                characters=scene_characters(dataset.scenes),
                versions=package_versions(), hyperparameters=dataclasses.asdict(h), precision=precision.name,
                parameters={"trainable": trainable, "total": total_params}, world_size=self.ctx.world_size,
                sharding=self.sharding)

        loop = Loop(self, model, tokenizer, precision, examples, identity, resume_from)
        return loop.run()

    def _resume_checkpoint(self, identity: dict[str, Any]) -> Path | None:
        checkpoint = latest_checkpoint(self.run_dir)
        if checkpoint is None:
            return None
        if not self.job.resume:
            raise InvalidJobError(f"run_dir {self.run_dir} already holds checkpoints and job.resume is false",
                                  "use a new run_dir, or set resume to true to continue", code="run_dir_not_empty")
        state = read_state(checkpoint)
        check_identity(checkpoint, state, identity)
        self.sink.emit("phase", name="resuming", checkpoint=str(checkpoint), step=state.step)
        return checkpoint

    def _stop_point(self, next_phase: str) -> None:
        """Before training starts there is nothing to checkpoint: a stop ends the run like a cancel."""
        request = self.controller.request
        if request == Request.CANCEL:
            self.controller.raise_if_cancelled()
        if request == Request.STOP:
            self.sink.emit("warning", code="stopped_before_training",
                           message=f"stop requested ({self.controller.reason}) before {next_phase}; nothing to save")
            raise Stopped(None)
