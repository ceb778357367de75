"""llama.cpp's official GGUF converters (``convert_hf_to_gguf.py``, ``convert_lora_to_gguf.py`` and the
``gguf-py`` package they ship with), at a pinned release, fetched once and cached.

Where the converters come from, first match wins:

1. a llama.cpp folder named by ``export.llama_cpp_dir`` in the job, else ``LLAMA_CPP_DIR``. The studio
   always names one: the converters of the llama.cpp source node-llama-cpp ships in its npm package (the
   version the embedded runtime runs), unpacked offline (main/core/runtimes/llama-cpp-source.ts), unless
   the user set ``LLAMA_CPP_DIR``; so the two steps below serve only a trainer run without the studio;
2. the cache, ``<cache>/<tag>/`` where ``<cache>`` is ``CHARACTER_STUDIO_LLAMA_CPP_CACHE`` or
   ``${XDG_CACHE_HOME:-~/.cache}/character-studio/llama.cpp``; a folder counts only with its stamp file;
3. the release's source archive, downloaded on first use (``CHARACTER_STUDIO_LLAMA_CPP_URL`` replaces the
   GitHub URL, for mirrors and tests), of which only the converters, ``gguf-py/`` and the requirement
   files are unpacked, into a temporary folder that is renamed into place once complete.

The archive of the pinned tag is checked against its known sha256; an archive from another URL is
checked only when ``CHARACTER_STUDIO_LLAMA_CPP_SHA256`` gives the digest. Either way the digest of what
was unpacked is recorded in the stamp, next to the tag and the URL.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import os
import posixpath
import shutil
import socket
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable

from .protocol import ExitCode, TrainerError

# A llama.cpp release (github.com/ggml-org/llama.cpp/releases/tag/b10069, commit 178a6c44937154dc4c4eff0d166f4a044c4fceba).
LLAMA_CPP_TAG = "b10069"
# sha256 of GitHub's source archive of that tag, as published by independent package indexes that pin it.
LLAMA_CPP_ARCHIVE_SHA256 = "293a7c65a11e2203c5468a06d0d0e8d21dfff16ad08712b16c61efbe0d93e097"
DEFAULT_URL = f"https://github.com/ggml-org/llama.cpp/archive/refs/tags/{LLAMA_CPP_TAG}.tar.gz"

ENV_URL = "CHARACTER_STUDIO_LLAMA_CPP_URL"
ENV_SHA256 = "CHARACTER_STUDIO_LLAMA_CPP_SHA256"
ENV_CACHE = "CHARACTER_STUDIO_LLAMA_CPP_CACHE"
ENV_USER_DIR = "LLAMA_CPP_DIR"

HF_CONVERTER = "convert_hf_to_gguf.py"
LORA_CONVERTER = "convert_lora_to_gguf.py"
GGUF_PY = "gguf-py"
STAMP = "character-studio-stamp.json"
# What is unpacked from the archive, relative to its top folder: files by name, folders with all below.
WANTED_FILES = (HF_CONVERTER, LORA_CONVERTER, "requirements.txt", "LICENSE")
WANTED_DIRS = (GGUF_PY, "requirements", "conversion")  # conversion/: the model classes of newer releases
REQUIREMENTS = "requirements/requirements-convert_hf_to_gguf.txt"
# Imported by the converters and gguf-py at start; missing ones fail before a long conversion.
CONVERTER_IMPORTS = ("numpy", "yaml", "tqdm", "torch", "transformers", "safetensors")

FETCH_TIMEOUT_S = 30.0  # per socket operation, not for the whole download
PROGRESS_INTERVAL_S = 1.0  # at most one fetching_converter event a second, plus the first and the last
CHUNK = 1 << 16

# Called with (bytes done, total bytes or None when the server does not say).
Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class Converters:
    """A llama.cpp folder that holds the converters; ``origin`` is "user", "cache" or "fetched"."""

    root: Path
    origin: str
    tag: str | None = None
    archive_sha256: str | None = None

    def script(self, name: str) -> Path:
        return self.root / name

    def env(self) -> dict[str, str]:
        """The environment to run a converter in: its own gguf-py first on the import path."""
        env = dict(os.environ)
        gguf_py = self.root / GGUF_PY
        if gguf_py.is_dir():
            env["PYTHONPATH"] = os.pathsep.join([str(gguf_py)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        return env

    def describe(self) -> dict[str, str]:
        """For the manifest: which converters wrote an export."""
        info = {"origin": self.origin, "path": str(self.root)}
        if self.tag:
            info["llama_cpp_tag"] = self.tag
        if self.archive_sha256:
            info["archive_sha256"] = self.archive_sha256
        return info


def cache_root() -> Path:
    override = os.environ.get(ENV_CACHE)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "character-studio" / "llama.cpp"


def archive_url() -> str:
    return os.environ.get(ENV_URL) or DEFAULT_URL


def expected_sha256(url: str) -> str | None:
    override = os.environ.get(ENV_SHA256)
    if override:
        return override.strip().lower()
    return LLAMA_CPP_ARCHIVE_SHA256 if url == DEFAULT_URL else None


def manual_steps(tag: str = LLAMA_CPP_TAG) -> str:
    """What to do by hand when the converters cannot be fetched (the hint of ``converter_unavailable``)."""
    return (f"when this machine is online, export again and llama.cpp {tag}'s converters are fetched once into "
            f"{cache_root() / tag}; or download {archive_url()}, unpack it anywhere and set export.llama_cpp_dir "
            f"(or {ENV_USER_DIR}) to the unpacked llama.cpp-{tag} folder, the one holding {HF_CONVERTER}; "
            f"a llama.cpp checkout works too. The other exports (adapter, merged model, Modelfile) are written")


def find_converters(user_dir: str | None, scripts: tuple[str, ...], progress: Progress | None = None) -> Converters:
    """The converters named in ``scripts``, from the user's folder, the cache or a first download.

    Raises ``TrainerError("converter_unavailable")`` when a user folder lacks a script or the archive
    cannot be fetched, verified or unpacked.
    """
    for folder, where in ((user_dir, "export.llama_cpp_dir"), (os.environ.get(ENV_USER_DIR), ENV_USER_DIR)):
        if not folder:
            continue
        root = Path(folder).expanduser()
        missing = [name for name in scripts if not (root / name).is_file()]
        if missing:
            raise TrainerError(
                "converter_unavailable",
                f"{where} points at {root}, which holds no {', '.join(missing)}",
                f"point {where} at a llama.cpp folder (a checkout or the unpacked {LLAMA_CPP_TAG} release holds "
                f"{HF_CONVERTER} and {LORA_CONVERTER} at its top), or unset it to use llama.cpp {LLAMA_CPP_TAG}, "
                f"fetched on first use", ExitCode.OTHER_ERROR)
        return Converters(root, "user")
    cached = read_cached(LLAMA_CPP_TAG, scripts)
    if cached is not None:
        return cached
    return fetch_converters(LLAMA_CPP_TAG, archive_url(), scripts, progress)


def read_cached(tag: str, scripts: tuple[str, ...]) -> Converters | None:
    folder = cache_root() / tag
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("tag") != tag or not all((folder / s).is_file() for s in scripts):
        return None
    return Converters(folder, "cache", tag, stamp.get("archive_sha256"))


def missing_imports() -> list[str]:
    return [name for name in CONVERTER_IMPORTS if importlib.util.find_spec(name) is None]


def fetch_converters(tag: str, url: str, scripts: tuple[str, ...], progress: Progress | None = None) -> Converters:
    """Downloads the release archive and unpacks the converters into ``<cache>/<tag>/`` atomically."""
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unavailable(tag, f"cannot create the cache folder {root}: {error.strerror}")
    handle, archive_name = tempfile.mkstemp(prefix=f".{tag}-", suffix=".tar.gz", dir=root)
    archive = Path(archive_name)
    try:
        with os.fdopen(handle, "wb") as out:
            digest = _download(url, out, progress, tag)
        want = expected_sha256(url)
        if want is not None and digest != want:
            raise _unavailable(tag, f"the archive from {url} has sha256 {digest}, not the pinned {want}",
                               "the download was altered or is not that release; check the URL (or the mirror "
                               f"in {ENV_URL}) and export again. " + manual_steps(tag))
        staging = Path(tempfile.mkdtemp(prefix=f".{tag}-", dir=root))
        try:
            extract_converters(archive, staging)
            missing = [s for s in (*scripts, f"{GGUF_PY}/gguf/__init__.py") if not (staging / s).is_file()]
            if missing:
                raise _unavailable(tag, f"the archive from {url} holds no {', '.join(missing)}",
                                   "it is not a llama.cpp source archive; " + manual_steps(tag))
            (staging / STAMP).write_text(json.dumps({"tag": tag, "archive_sha256": digest, "url": url,
                                                      "fetched": time.time()}, indent=2) + "\n", encoding="utf-8")
            _install(staging, root / tag)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        archive.unlink(missing_ok=True)
    cached = read_cached(tag, scripts)
    if cached is None:  # another process installed a folder that lacks a script: should not happen
        raise _unavailable(tag, f"the cached converters in {root / tag} are incomplete",
                           f"delete {root / tag} and export again")
    return Converters(cached.root, "fetched", tag, cached.archive_sha256)


def _download(url: str, out: IO[bytes], progress: Progress | None, tag: str) -> str:
    """Streams ``url`` into ``out``, reporting progress; returns the sha256 of what came."""
    digest = hashlib.sha256()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "character-studio-trainer"})
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            last = 0.0
            if progress:
                progress(0, total)
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                digest.update(block)
                out.write(block)
                done += len(block)
                now = time.monotonic()
                if progress and now - last >= PROGRESS_INTERVAL_S:
                    progress(done, total)
                    last = now
            if total is not None and done != total:
                raise _unavailable(tag, f"the download of {url} ended after {done} of {total} bytes",
                                   "the connection dropped; export again. " + manual_steps(tag))
            if progress:
                progress(done, total)
    except urllib.error.HTTPError as error:
        raise _unavailable(tag, f"could not fetch llama.cpp's converters from {url}: HTTP {error.code} {error.reason}")
    except urllib.error.URLError as error:
        raise _unavailable(tag, f"could not fetch llama.cpp's converters from {url}: {error.reason} "
                                "(is this machine offline?)")
    except (socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise _unavailable(tag, f"could not fetch llama.cpp's converters from {url}: {error or 'timed out'}")
    return digest.hexdigest()


def _unavailable(tag: str, message: str, hint: str | None = None) -> TrainerError:
    return TrainerError("converter_unavailable", message, hint or manual_steps(tag), ExitCode.OTHER_ERROR)


def _wanted(relative: str) -> bool:
    return relative in WANTED_FILES or any(relative == d or relative.startswith(d + "/") for d in WANTED_DIRS)


def extract_converters(archive: Path, target: Path) -> list[str]:
    """Unpacks the wanted files of a llama.cpp source archive (one top folder) into ``target``.

    Refuses the whole archive when any member is absolute or climbs out with ``..``, when it has more
    than one top folder, or when a wanted member is a link or a device; returns the files written.
    """
    written: list[str] = []
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        tops: set[str] = set()
        for member in members:
            name = member.name.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise _unavailable(LLAMA_CPP_TAG, f"refusing the llama.cpp archive: member {member.name!r} points "
                                                  "outside the folder it is unpacked into")
            if member.type == tarfile.XGLTYPE or member.type == tarfile.XHDTYPE or name in ("", "."):
                continue  # pax headers (GitHub archives carry one with the commit id)
            tops.add(posixpath.normpath(name).split("/")[0])
        if len(tops) != 1:
            raise _unavailable(LLAMA_CPP_TAG, f"the archive has {len(tops)} top-level entries, not the one "
                                              "llama.cpp-<tag>/ folder of a release archive")
        top = tops.pop()
        for member in members:
            relative = posixpath.normpath(member.name.replace("\\", "/"))
            if relative == top or not relative.startswith(top + "/"):
                continue
            relative = relative[len(top) + 1:]
            if not _wanted(relative):
                continue
            dest = target / relative
            if not dest.resolve().is_relative_to(target.resolve()):
                raise _unavailable(LLAMA_CPP_TAG, f"refusing the llama.cpp archive: member {member.name!r} "
                                                  "points outside the folder it is unpacked into")
            if member.isdir():
                dest.mkdir(parents=True, exist_ok=True)
            elif member.isreg():
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with source, open(dest, "wb") as out:
                    shutil.copyfileobj(source, out)
                dest.chmod(0o755 if member.mode & 0o111 else 0o644)
                written.append(relative)
            else:
                raise _unavailable(LLAMA_CPP_TAG, f"refusing the llama.cpp archive: {member.name!r} is a link or "
                                                  "a special file where a converter file was expected")
    return written


def _install(staging: Path, final: Path) -> None:
    """Renames the complete ``staging`` folder to ``final``; a valid folder another process put there wins."""
    if final.exists():
        try:
            stamp = json.loads((final / STAMP).read_text(encoding="utf-8"))
            if isinstance(stamp, dict) and stamp.get("tag"):
                return
        except (OSError, ValueError):
            pass
        # An unstamped leftover (e.g. a hand-made folder): move it aside rather than merge into it.
        aside = final.with_name(f".{final.name}-old-{os.getpid()}")
        os.rename(final, aside)
        shutil.rmtree(aside, ignore_errors=True)
    try:
        os.rename(staging, final)
    except OSError:
        if not (final / STAMP).is_file():
            raise
