"""The training loop of the ``train`` command, once the model is loaded (train.py sets it up).

One ``progress`` event per optimizer step (loss = the token mean over the step's micro-batches and
all ranks, lr, tokens per second, ETA, peak memory); a stop request is honoured at a step boundary
with a checkpoint, a cancel between micro-batches; dev evaluation at ``eval_every_steps`` or at each
epoch end, with early stopping on ``early_stopping_patience``; the final adapter (or model) is
written to a temporary folder and renamed into place, so a crash never leaves a torn one.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from .batching import Batch, collate, epoch_batches
from .checkpoints import TrainState, load_training_state, read_state, save_checkpoint
from .control import Cancelled, Request, Stopped
from .formats import IGNORE_INDEX
from .manifest import ADAPTER_DIR, MODEL_DIR, update_manifest
from .modeling import Precision
from .protocol import ExitCode, TrainerError
from . import sharding as fsdp
from .train_examples import Examples

if TYPE_CHECKING:
    from .train import TrainingRun

EARLY_STOPPING_MIN_DELTA = 1e-4


def peak_memory_bytes(device: torch.device) -> int:
    """The most memory this process has held: on CUDA what PyTorch's allocator reserved on this rank's
    GPU (what a smaller GPU would need, less the CUDA context), on the CPU the peak resident set."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_reserved(device))
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB on Linux


class Loop:
    """One run's training from its first (or resumed) step to its saved adapter or model: owns the
    optimizer, scheduler, grad scaler and TrainState; the model is wrapped for DDP or sharded for FSDP here."""

    def __init__(self, run: TrainingRun, model: Any, tokenizer: Any, precision: Precision, examples: Examples,
                 identity: dict[str, Any], resume_from: Path | None) -> None:
        self.r = run
        self.h = run.h
        self.ctx = run.ctx
        self.sink = run.sink
        self.tokenizer = tokenizer
        self.precision = precision
        self.examples = examples
        self.identity = identity
        self.pad_id = tokenizer.pad_token_id
        self.sharding = run.sharding
        self.model = model  # unwrapped: what gets saved
        self.module = model  # what gets called: the DDP wrapper when distributed
        if self.sharding == "fsdp":
            # fully_shard works in place: the model and what gets called stay one object.
            fsdp.shard_model(model, precision, self.ctx.device, self.ctx.world_size)
        elif self.ctx.enabled:
            from torch.nn.parallel import DistributedDataParallel

            device_ids = [self.ctx.device.index] if self.ctx.device.type == "cuda" else None
            self.module = DistributedDataParallel(model, device_ids=device_ids)

        h = self.h
        self.micro_per_epoch = len(epoch_batches([len(e.input_ids) for e in examples.train], h.batch_size,
                                                 self.ctx.world_size, h.seed, 0))
        self.steps_per_epoch = math.ceil(self.micro_per_epoch / h.grad_accumulation)
        self.total_steps = h.epochs * self.steps_per_epoch
        if h.max_steps is not None:
            self.total_steps = min(self.total_steps, h.max_steps)
        self.optimizer = self._optimizer()
        from transformers import get_scheduler

        warmup = math.ceil(h.warmup_ratio * self.total_steps)
        self.scheduler = get_scheduler(h.lr_scheduler, self.optimizer, num_warmup_steps=warmup,
                                       num_training_steps=self.total_steps)
        self.scaler: Any = None
        if precision.use_grad_scaler:
            self.scaler = (fsdp.grad_scaler(self.ctx.device) if self.sharding == "fsdp"
                           else torch.amp.GradScaler(self.ctx.device.type))
        self.state = TrainState(identity=identity)
        if resume_from is not None:
            load_training_state(resume_from, self.optimizer, self.scheduler, self.scaler, self._load_optimizer)
            self.state = read_state(resume_from)
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.last_saved_step = self.state.step if resume_from is not None else -1
        self.last_eval_step: int | None = None
        self.epoch_progress = float(self.state.epoch)  # epochs done, fractional, as reported in progress

    def _optimizer(self) -> torch.optim.Optimizer:
        decay, no_decay = [], []
        decay_names: list[str] = []
        no_decay_names: list[str] = []
        for name, param in self.model.named_parameters():
            if not param.requires_grad:
                continue
            no = param.ndim < 2 or "norm" in name.lower()
            (no_decay if no else decay).append(param)
            (no_decay_names if no else decay_names).append(name)
        self.param_names = decay_names + no_decay_names  # the optimizer's parameter order (empty groups drop out)
        groups = [{"params": decay, "weight_decay": self.h.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        fused = self.ctx.device.type == "cuda"
        return torch.optim.AdamW([g for g in groups if g["params"]], lr=self.h.learning_rate, fused=fused)

    def _load_optimizer(self, saved: dict[str, Any]) -> None:
        """FSDP checkpoints key the optimizer by parameter name; either kind loads into either kind of run."""
        by_name = any(isinstance(p, str) for g in saved.get("param_groups", []) for p in g["params"])
        if self.sharding == "fsdp" or by_name:
            fsdp.restore_optimizer(self.model, self.optimizer, saved, self.param_names)
        else:
            self.optimizer.load_state_dict(saved)

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> tuple[ExitCode, dict[str, Any]]:
        h = self.h
        self.sink.emit("phase", name="training", total_steps=self.total_steps, start_step=self.state.step,
                       sharding=self.sharding)
        self.module.train()
        lengths = [len(e.input_ids) for e in self.examples.train]
        started = time.monotonic()
        start_step = self.state.step
        tokens_seen = 0
        early_stopped = False
        while self.state.step < self.total_steps and self.state.epoch < h.epochs:
            batches = epoch_batches(lengths, h.batch_size, self.ctx.world_size, h.seed, self.state.epoch)
            while self.state.micro_index < len(batches) and self.state.step < self.total_steps:
                group = batches[self.state.micro_index : self.state.micro_index + h.grad_accumulation]
                loss, tokens = self._optimizer_step(group)
                tokens_seen += tokens
                self.state.micro_index += len(group)
                self.state.step += 1
                elapsed = time.monotonic() - started
                done_steps = self.state.step - start_step
                request = self._synced_request()
                self.epoch_progress = self.state.epoch + self.state.micro_index / len(batches)
                self.sink.emit("progress", step=self.state.step, total_steps=self.total_steps,
                               epoch=self.epoch_progress, loss=loss,
                               lr=self.scheduler.get_last_lr()[0], tokens_per_s=tokens_seen / max(elapsed, 1e-9),
                               eta_s=elapsed / done_steps * (self.total_steps - self.state.step),
                               peak_memory_bytes=peak_memory_bytes(self.ctx.device))
                if not math.isfinite(loss):
                    raise TrainerError("non_finite_loss", f"the loss became {loss} at step {self.state.step}",
                                       "lower learning_rate, or use dtype bf16 or fp32 instead of fp16")
                epoch_end = self.state.micro_index >= len(batches)
                if self._eval_due(epoch_end) and self._evaluate_and_check_patience():
                    early_stopped = True
                if self.state.step % h.save_every_steps == 0 or (request == Request.STOP and not early_stopped):
                    self._save()
                if request == Request.CANCEL:
                    raise Cancelled(self.r.controller.reason or "cancel on another rank")
                if request == Request.STOP and not early_stopped:
                    raise Stopped(self._checkpoint_path())
                if early_stopped:
                    break
            if early_stopped:
                break
            if self.state.micro_index >= len(batches):
                self.state.epoch += 1
                self.state.micro_index = 0
        if self.examples.dev and self.state.step != self.last_eval_step:
            self._evaluate()
        return self._finish(early_stopped)

    def _optimizer_step(self, group: list[list[list[int]]]) -> tuple[float, int]:
        """One optimizer step over ``group`` (global micro-batches); returns (mean token loss, real tokens)."""
        rank, world = self.ctx.rank, self.ctx.world_size
        batches = [collate([self.examples.train[i] for i in global_batch[rank]], self.pad_id) for global_batch in group]
        # Every rank knows every batch, so the global count of trained tokens needs no communication.
        global_trained = sum(self._trained_in(global_batch[r]) for global_batch in group for r in range(world))
        loss_sum = 0.0
        real_tokens = 0
        for index, batch in enumerate(batches):
            self.r.controller.raise_if_cancelled()
            last = index == len(batches) - 1
            if self.sharding == "fsdp":
                sync: Any = fsdp.gradient_sync(self.model, last)
            else:
                sync = contextlib.nullcontext() if (last or not self.ctx.enabled) else self.module.no_sync()
            with sync:
                token_loss_sum = self._loss_sum(batch)
                # DDP and FSDP average gradients over ranks; scaling by world size makes the result the global token mean.
                loss = token_loss_sum * (world / max(global_trained, 1))
                if self.scaler is not None:
                    self.scaler.scale(loss).backward()
                else:
                    loss.backward()
            loss_sum += token_loss_sum.item()
            real_tokens += batch.real_tokens
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.h.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], self.h.max_grad_norm)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        total_loss, total_tokens = self.ctx.all_reduce_sum([loss_sum, float(real_tokens)])
        return total_loss / max(global_trained, 1), int(total_tokens)

    def _trained_in(self, indices: list[int]) -> int:
        return sum(len([l for l in self.examples.train[i].labels[1:] if l != IGNORE_INDEX]) for i in indices)

    def _loss_sum(self, batch: Batch) -> torch.Tensor:
        device = self.ctx.device
        autocast = (torch.autocast(device.type, dtype=self.precision.autocast_dtype)
                    if self.precision.autocast_dtype is not None else contextlib.nullcontext())
        with autocast:
            logits = self.module(input_ids=batch.input_ids.to(device),
                                 attention_mask=batch.attention_mask.to(device)).logits
        labels = batch.labels.to(device)
        return F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(),
                               ignore_index=IGNORE_INDEX, reduction="sum")

    def _synced_request(self) -> Request:
        """Rank 0's stop/cancel (stdin, signal, STOP file) applies to every rank at the same step."""
        local = self.r.controller.request
        if not self.ctx.enabled:
            return local
        stop, cancel = self.ctx.all_reduce_sum([float(local == Request.STOP), float(local == Request.CANCEL)])
        if cancel > 0:
            return Request.CANCEL
        return Request.STOP if stop > 0 else Request.NONE

    # --- evaluation and early stopping ----------------------------------------------------------

    def _eval_due(self, epoch_end: bool) -> bool:
        if not self.examples.dev:
            return False
        every = self.h.eval_every_steps
        return self.state.step % every == 0 if every is not None else epoch_end

    def _evaluate(self) -> float:
        self.sink.emit("phase", name="evaluating", step=self.state.step)
        self.module.eval()
        loss_sum = 0.0
        trained = 0
        dev = self.examples.dev
        order = sorted(range(len(dev)), key=lambda i: len(dev[i].input_ids))
        mine = order[self.ctx.rank :: self.ctx.world_size]
        with torch.no_grad():
            for start in range(0, len(mine), self.h.batch_size):
                batch = collate([dev[i] for i in mine[start : start + self.h.batch_size]], self.pad_id)
                loss_sum += self._loss_sum(batch).item()
                trained += batch.trained_tokens
            if self.sharding == "fsdp":
                # Every forward gathers weights from all ranks: a rank with fewer dev batches runs
                # uncounted ones so that all ranks make the same number of forward passes.
                most = max(math.ceil(len(order[r :: self.ctx.world_size]) / self.h.batch_size)
                           for r in range(self.ctx.world_size))
                for _ in range(most - math.ceil(len(mine) / self.h.batch_size)):
                    self._loss_sum(collate([dev[order[0]]], self.pad_id))
        self.module.train()
        total_loss, total_trained = self.ctx.all_reduce_sum([loss_sum, float(trained)])
        eval_loss = total_loss / max(total_trained, 1.0)
        self.last_eval_step = self.state.step
        self.sink.emit("progress", step=self.state.step, total_steps=self.total_steps, epoch=self.epoch_progress,
                       eval_loss=eval_loss, lr=self.scheduler.get_last_lr()[0])
        return eval_loss

    def _evaluate_and_check_patience(self) -> bool:
        """Returns True when early stopping ends the run."""
        eval_loss = self._evaluate()
        state = self.state
        if state.best_eval_loss is None or eval_loss < state.best_eval_loss - EARLY_STOPPING_MIN_DELTA:
            state.best_eval_loss = eval_loss
            state.evals_without_improvement = 0
            if self.h.early_stopping_patience is not None and not self.h.full_finetune:
                # LoRA weights are small: keep the best ones to restore at the end.
                self.best_weights = {k: v.detach().to("cpu", copy=True) for k, v in self._trainable_state().items()}
            return False
        state.evals_without_improvement += 1
        patience = self.h.early_stopping_patience
        if patience is not None and state.evals_without_improvement >= patience:
            self.sink.emit("warning", code="early_stopping",
                           message=f"dev loss has not improved for {patience} evaluation(s) (best {state.best_eval_loss:.4f}); "
                                   f"stopping at step {state.step}")
            return True
        return False

    def _trainable_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.model.named_parameters() if v.requires_grad}

    # --- saving ---------------------------------------------------------------------------------

    def _checkpoint_path(self) -> Path:
        return self.r.run_dir / "checkpoints" / f"step-{self.state.step:07d}"

    def _save(self) -> None:
        if self.last_saved_step == self.state.step:
            return
        self.r.sink.emit("phase", name="saving", step=self.state.step)
        model_state = optimizer_state = None
        if self.sharding == "fsdp":  # every rank joins the gather; rank 0 receives the full states
            model_state = fsdp.full_model_state(self.model)
            optimizer_state = fsdp.full_optimizer_state(self.model, self.optimizer)
        if self.ctx.is_main:
            path = save_checkpoint(self.r.run_dir, self.model, self.optimizer, self.scheduler, self.scaler,
                                   self.state, self.h.save_total_limit, model_state, optimizer_state)
            self.sink.emit("checkpoint", step=self.state.step, path=str(path))
        self.ctx.barrier()
        self.last_saved_step = self.state.step

    def _finish(self, early_stopped: bool) -> tuple[ExitCode, dict[str, Any]]:
        if self.best_weights is not None:
            with torch.no_grad():
                params = dict(self.model.named_parameters())
                for name, value in self.best_weights.items():
                    params[name].copy_(value.to(params[name].device))
        self.sink.emit("phase", name="saving", step=self.state.step)
        outputs: dict[str, Any] = {}
        model_state = fsdp.final_model_state(self.model, self.precision) if self.sharding == "fsdp" else None
        if self.ctx.is_main:
            target = self.r.run_dir / (MODEL_DIR if self.h.full_finetune else ADAPTER_DIR)
            tmp = target.with_name(target.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            if model_state is not None:
                fsdp.save_full_model(self.model, tmp, model_state)
            else:
                self.model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
            key = "model" if self.h.full_finetune else "adapter"
            outputs = {key: str(target), "manifest": str(self.r.run_dir / "manifest.json"),
                       "events": str(self.r.run_dir / "events.jsonl")}
            update_manifest(self.r.run_dir, status="trained", outputs={key: target.name},
                            training={"steps": self.state.step, "total_steps": self.total_steps,
                                      "best_eval_loss": self.state.best_eval_loss, "early_stopped": early_stopped,
                                      "restored_best": self.best_weights is not None})
        self.ctx.barrier()
        return ExitCode.DONE, outputs
