"""Training scenes: reading, validating and hashing the dataset file.

A ``scenes`` file is JSON lines, one scene a line::

    {"id": "s1", "character": {"full_name": "Ludwig van Beethoven", "short_name": "Beethoven"},
     "location": "Bonn, 1782", "background": "...",
     "turns": [{"speaker": "Beethoven", "kind": "speaking" | "thinking" | "action", "text": "..."}],
     "protective": false}

A ``character-llm-sft`` file holds the paper's released lines ``{"prompt", "output", "source"}``;
:func:`import_sft_line` turns each back into a scene whose character-llm rendering is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .protocol import InvalidJobError

TURN_KINDS = ("speaking", "thinking", "action")
MAX_REPORTED_ERRORS = 10

# The paper's defaults for protective scenes, used when such a scene leaves location or background empty.
PROTECTIVE_LOCATION = "A room"
PROTECTIVE_STATUS = "{short_name} is chatting with a person."


@dataclass(frozen=True)
class Turn:
    speaker: str
    kind: str
    text: str


@dataclass(frozen=True)
class Scene:
    id: str
    full_name: str
    short_name: str
    location: str
    background: str
    turns: tuple[Turn, ...]
    protective: bool = False

    @property
    def effective_location(self) -> str:
        return self.location or (PROTECTIVE_LOCATION if self.protective else "")

    @property
    def effective_background(self) -> str:
        if self.background or not self.protective:
            return self.background
        return PROTECTIVE_STATUS.format(short_name=self.short_name)

    def is_character(self, turn: Turn) -> bool:
        return turn.speaker == self.short_name


@dataclass(frozen=True)
class Dataset:
    scenes: list[Scene]
    sha256: str  # over the canonical JSON of every scene, in file order


def load_dataset(path: Path, dataset_format: str = "scenes") -> Dataset:
    """Reads and validates the whole file; reports up to ten bad lines at once, with line numbers."""
    scenes: list[Scene] = []
    errors: list[str] = []
    seen_ids: dict[str, int] = {}
    try:
        handle = open(path, encoding="utf-8")
    except OSError as error:
        raise InvalidJobError(f"cannot read dataset {path}: {error.strerror}")
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                scene = import_sft_line(raw, number) if dataset_format == "character-llm-sft" else parse_scene(raw)
                if scene.id in seen_ids:
                    raise ValueError(f"duplicate id {scene.id!r} (first on line {seen_ids[scene.id]})")
                seen_ids[scene.id] = number
                scenes.append(scene)
            except ValueError as error:
                errors.append(f"line {number}: {error}")
                if len(errors) >= MAX_REPORTED_ERRORS:
                    break
    if errors:
        raise InvalidJobError(f"dataset {path} has invalid lines:\n  " + "\n  ".join(errors),
                              "fix or remove these lines and start the run again", code="invalid_dataset")
    if not scenes:
        raise InvalidJobError(f"dataset {path} holds no scenes", "export some scenes first", code="invalid_dataset")
    return Dataset(scenes=scenes, sha256=hash_scenes(scenes))


def scene_characters(scenes: list[Scene]) -> list[dict[str, Any]]:
    """The characters the scenes train, most scenes first: ``[{full_name, short_name, scenes}]``.

    Recorded in manifest.json, so ``serve`` knows whom a trained model plays (the first one).
    """
    counts: dict[tuple[str, str], int] = {}
    for scene in scenes:
        key = (scene.full_name, scene.short_name)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])  # stable: ties keep dataset order
    return [{"full_name": full, "short_name": short, "scenes": n} for (full, short), n in ranked]


def hash_scenes(scenes: list[Scene]) -> str:
    digest = hashlib.sha256()
    for scene in scenes:
        digest.update(json.dumps(scene_to_json(scene), sort_keys=True, ensure_ascii=False,
                                 separators=(",", ":")).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def scene_to_json(scene: Scene) -> dict[str, Any]:
    return {
        "id": scene.id,
        "character": {"full_name": scene.full_name, "short_name": scene.short_name},
        "location": scene.location,
        "background": scene.background,
        "turns": [{"speaker": t.speaker, "kind": t.kind, "text": t.text} for t in scene.turns],
        "protective": scene.protective,
    }


def parse_scene(raw: Any) -> Scene:
    """Validates one scene object; raises ValueError naming the offending field."""
    if not isinstance(raw, dict):
        raise ValueError("a scene must be a JSON object")
    scene_id = raw.get("id")
    if isinstance(scene_id, int) and not isinstance(scene_id, bool):
        scene_id = str(scene_id)
    if not isinstance(scene_id, str) or not scene_id:
        raise ValueError("id must be a non-empty string")
    character = raw.get("character")
    if not isinstance(character, dict):
        raise ValueError("character must be an object {full_name, short_name}")
    full_name, short_name = character.get("full_name"), character.get("short_name")
    if not isinstance(full_name, str) or not full_name.strip():
        raise ValueError("character.full_name must be a non-empty string")
    if not isinstance(short_name, str) or not short_name.strip():
        raise ValueError("character.short_name must be a non-empty string")
    location, background = raw.get("location", ""), raw.get("background", "")
    if not isinstance(location, str):
        raise ValueError("location must be a string")
    if not isinstance(background, str):
        raise ValueError("background must be a string")
    protective = raw.get("protective", False)
    if not isinstance(protective, bool):
        raise ValueError("protective must be true or false")
    raw_turns = raw.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        raise ValueError("turns must be a non-empty list")
    turns: list[Turn] = []
    for index, turn in enumerate(raw_turns):
        where = f"turns[{index}]"
        if not isinstance(turn, dict):
            raise ValueError(f"{where} must be an object {{speaker, kind, text}}")
        speaker, kind, text = turn.get("speaker"), turn.get("kind"), turn.get("text")
        if not isinstance(speaker, str) or not speaker.strip():
            raise ValueError(f"{where}.speaker must be a non-empty string")
        if kind not in TURN_KINDS:
            raise ValueError(f"{where}.kind must be one of {', '.join(TURN_KINDS)} (got {kind!r})")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}.text must be a non-empty string")
        if "<|NONSTOP|>" in text:
            raise ValueError(f"{where}.text holds <|NONSTOP|>: the generation was cut off; regenerate or drop this scene")
        turns.append(Turn(speaker=speaker, kind=kind, text=text))
    return Scene(id=scene_id, full_name=full_name, short_name=short_name, location=location,
                 background=background, turns=tuple(turns), protective=protective)


# --- the paper's released SFT lines -------------------------------------------------------------

_PROMPT_RE = re.compile(
    r"\AI want you to act like (?P<full>.+?)\. I want you to respond and answer like .+?, using the tone, "
    r"manner and vocabulary .+? would use\. You must know all of the knowledge of .+?\. \n\n"
    r"The status of you is as follows:\nLocation: (?P<location>.*?)\nStatus: (?P<status>.*)\n\n"
    r"The interactions are as follows:\n\n\Z",
    re.DOTALL,
)
_TURN_RE = re.compile(r"\A(?P<speaker>[^\n]+?) \((?P<kind>[a-z]+)\): ?(?P<text>.*)\Z", re.DOTALL)
EOT = "<|eot|>"


def import_sft_line(raw: Any, number: int = 0) -> Scene:
    """Turns one released ``{prompt, output, source}`` line back into a scene.

    Turns the paper merged (same speaker and action, joined by ``\\n``) stay merged: rendering the
    scene in the character-llm format gives back ``prompt + output`` exactly.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("prompt"), str) or not isinstance(raw.get("output"), str):
        raise ValueError("a character-llm-sft line must be an object with string fields prompt and output")
    match = _PROMPT_RE.match(raw["prompt"])
    if not match:
        raise ValueError("prompt does not follow the paper's meta prompt (I want you to act like ...)")
    output = raw["output"]
    if not output.endswith(EOT):
        raise ValueError(f"output must end with {EOT}")
    turns: list[Turn] = []
    for part in output[: -len(EOT)].split(EOT + "\n"):
        turn = _TURN_RE.match(part)
        if not turn:
            raise ValueError(f"cannot read turn {part[:60]!r}: expected 'Name (speaking): text'")
        turns.append(Turn(speaker=turn["speaker"], kind=turn["kind"], text=turn["text"]))
    full_name = match["full"]
    short_name = _guess_short_name(full_name, turns)
    location, status = match["location"], match["status"]
    source = raw.get("source")
    return Scene(id=str(source) if source else f"line-{number}", full_name=full_name, short_name=short_name,
                 location=location, background=status, turns=tuple(turns),
                 protective=location == PROTECTIVE_LOCATION)


def _guess_short_name(full_name: str, turns: list[Turn]) -> str:
    """The character's label: the speaker who thinks, else one whose name is part of the full name."""
    thinkers = {t.speaker for t in turns if t.kind == "thinking"}
    if len(thinkers) == 1:
        return thinkers.pop()
    name_parts = set(full_name.split())
    for turn in turns:
        if turn.speaker == full_name or set(turn.speaker.split()) <= name_parts:
            return turn.speaker
    return full_name.split()[-1]
