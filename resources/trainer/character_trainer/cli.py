"""Entry point: ``python -m character_trainer <doctor|train|export|serve|preview> --job job.json``, or
``preview-server`` (preview requests on stdin, see preview_server.py).

Owns the process-level contract: stdout reserved for events, ``hello`` first, exactly one terminal
event (``done`` or ``error``; ``doctor`` prints a single ``doctor`` event), and the exit code.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .control import Cancelled, Controller, Request, Stopped
from .protocol import PROTOCOL_VERSION, EventSink, ExitCode, TrainerError, reserve_stdout

COMMANDS = ("doctor", "train", "export", "serve", "preview", "preview-server")

if TYPE_CHECKING:
    from .job import Job
    from .launch import Launch

log = logging.getLogger("character_trainer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m character_trainer", description=__doc__)
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("--job", type=Path, help="path to job.json (not needed for doctor)")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("CHARACTER_TRAINER_LOG", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in ("preview", "preview-server"):
        # The preview never downloads: a hub id must already be in the local cache (read at import time).
        os.environ["HF_HUB_OFFLINE"] = "1"
    stream = reserve_stdout()

    if args.command == "doctor":
        from .doctor import diagnose

        EventSink(stream).emit("doctor", **diagnose())
        return ExitCode.DONE

    if args.command == "preview-server":
        from .preview_server import serve_previews
        from .versions import package_versions

        sink = EventSink(stream)
        sink.emit("hello", command=args.command, pid=os.getpid(), protocol=PROTOCOL_VERSION,
                  trainer_version=__version__, versions=package_versions())
        try:
            return serve_previews(sink, sys.stdin)
        finally:
            sink.close()

    from .launch import Launch

    # Only train runs under torchrun; the process group is joined once the job has been read (see launch.py).
    launch = Launch.from_env() if args.command == "train" else Launch()
    sink = EventSink(stream, enabled=launch.is_main)
    try:
        code = _run(args.command, args.job, sink, launch)
    except BaseException:
        launch.close()
        raise
    finally:
        sink.close()
    launch.leave(code)  # a distributed worker ends here, see DistContext.leave
    return code


def _train(job: Job, sink: EventSink, controller: Controller,
           launch: Launch) -> tuple[ExitCode, dict[str, Any]]:
    """Reads the dataset and checks the base model before torch is imported, then trains."""
    from .train_inputs import read_inputs

    inputs = read_inputs(job, sink, launch)
    ctx = launch.join()
    from .train import TrainingRun

    return TrainingRun(job, sink, controller, ctx).run(inputs)


def is_disk_full(error: BaseException) -> bool:
    """ENOSPC, raised directly or wrapped by torch/safetensors writers as a message."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _run(command: str, job_path: Path | None, sink: EventSink, launch: Launch) -> int:
    from .job import load_job, read_run_dir
    from .versions import package_versions

    run_dir = read_run_dir(job_path) if job_path is not None else None
    attach_error: OSError | None = None
    if run_dir is not None:
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            sink.attach_run_dir(run_dir)
        except OSError as error:
            attach_error = error
    sink.emit("hello", command=command, pid=os.getpid(), protocol=PROTOCOL_VERSION, trainer_version=__version__,
              versions=package_versions(), rank=launch.rank, world_size=launch.world_size,
              run_dir=str(run_dir) if run_dir else None)

    controller = Controller(run_dir, on_warning=lambda message: sink.emit("warning", code="unknown_command",
                                                                         message=message))
    if command in ("train", "serve"):
        controller.clear_stop_file()
    controller.install(read_stdin=launch.is_main)
    hyper = None
    try:
        if job_path is None:
            raise TrainerError("invalid_job", f"{command} needs --job job.json", exit_code=ExitCode.INVALID_JOB)
        if attach_error is not None:
            raise TrainerError("invalid_job", f"cannot use run_dir {run_dir}: {attach_error.strerror}",
                               "choose a writable folder for run_dir", ExitCode.INVALID_JOB)
        job = load_job(job_path, require_dataset=command in ("train", "preview"), require_base_model=command != "serve")
        hyper = job.hyperparameters
        if command == "train":
            if sink.log_path is not None and job_path.resolve() != (job.run_dir / "job.json").resolve():
                shutil.copyfile(job_path, job.run_dir / "job.json")
            code, outputs = _train(job, sink, controller, launch)
        elif command == "serve":
            from .serve import run_server

            # A server ends only on request: ``done`` stopped (exit 0) or cancelled (exit 5), see serve.py.
            status, code, reason = run_server(job, sink, controller)
            sink.emit("done", status=status, reason=reason or None, outputs={})
            return code
        elif command == "preview":
            from .preview import run_preview

            code, outputs = run_preview(job, sink)
        else:
            from .export import run_export

            code, outputs = run_export(job, sink)
        sink.emit("done", status="completed", outputs=outputs)
        return code
    except TrainerError as error:
        sink.emit("error", code=error.code, message=error.message, hint=error.hint, details=error.details)
        return error.exit_code
    except Cancelled as cancelled:
        sink.emit("done", status="cancelled", reason=str(cancelled), outputs={})
        return ExitCode.CANCELLED
    except Stopped as stopped:
        if stopped.checkpoint is None:  # stopped before training: nothing to resume from
            sink.emit("done", status="cancelled", reason=controller.reason, outputs={})
            return ExitCode.CANCELLED
        sink.emit("done", status="stopped", reason=controller.reason, outputs={"checkpoint": str(stopped.checkpoint)})
        return ExitCode.STOPPED
    except Exception as error:  # noqa: BLE001 — the protocol needs an error event for every failure
        from .modeling import is_out_of_memory, out_of_memory_error

        if is_out_of_memory(error) and hyper is not None:
            oom = out_of_memory_error(hyper, error)
            sink.emit("error", code=oom.code, message=oom.message, hint=oom.hint)
            return oom.exit_code
        if is_disk_full(error):
            traceback.print_exc(file=sys.stderr)
            sink.emit("error", code="disk_full",
                      message=f"The disk holding the run folder is full: {error}",
                      hint="free some space (old runs' checkpoints are large) or lower save_total_limit, then resume: "
                           "checkpoints saved before this are intact")
            return ExitCode.OTHER_ERROR
        traceback.print_exc(file=sys.stderr)
        sink.emit("error", code="internal", message=f"{type(error).__name__}: {error}",
                  hint="this is a bug in the trainer or its libraries; the log on stderr has the traceback")
        return ExitCode.OTHER_ERROR
    finally:
        if controller.request == Request.STOP and command in ("train", "serve"):
            controller.clear_stop_file()
