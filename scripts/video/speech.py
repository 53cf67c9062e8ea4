"""Spoken narration: each caption said by flite's `slt` voice, offline, into a WAV file.

flite (Debian's package) is used rather than espeak-ng because its `slt` voice is a recorded
speaker's, not a formant synthesiser's, and as deterministic: the same text gives the same
samples. Captions are written for readers (`eventId`, `503`, `SQL`); `spoken` rewrites the few
words a voice would stumble over, so what is heard matches what is read.
"""

import hashlib
import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

VOICE = "slt"
# A little quicker than the voice's own pace (1.0), still unhurried.
STRETCH = 0.92
SAMPLE_RATE = 16_000

# Whole words as captions spell them -> as the voice should say them.
PRONUNCIATIONS = {
    "eventId": "event I D",
    "eventIds": "event I Ds",
    "userId": "user I D",
    "eventType": "event type",
    "nextCursor": "next cursor",
    "receivedAt": "received at",
    "GraphiQL": "graphical",
    "GraphQL": "graph Q L",
    "SQLite": "sequel light",
    "SQL": "sequel",
    "DynamoDB": "dynamo D B",
    "BatchGetItem": "batch get item",
    "BatchGetItems": "batch get items",
    "UpdateItem": "update item",
    "problem+json": "problem plus jason",
    "JSON": "jason",
    "UUID": "U U I D",
    "UTC": "U T C",
    "API": "A P I",
    "JWT": "J W T",
    "JWKS": "J W K S",
    "OFFSET": "offset",
    "SnapStart": "snap start",
    "DataLoader": "data loader",
    "FastAPI": "fast A P I",
    "Mangum": "man gum",
    "Retry-After": "retry after",
    "ms": "milliseconds",
    "vs": "versus",
    "README": "read me",
    "user-42": "user 42",
    "user-7": "user 7",
}
SUFFIXES = {"py": "pie", "md": "M D"}
STATUS_WORDS = {
    "200": "two hundred",
    "201": "two oh one",
    "400": "four hundred",
    "401": "four oh one",
    "403": "four oh three",
    "404": "four oh four",
    "409": "four oh nine",
    "422": "four twenty two",
    "503": "five oh three",
}
_WORD = re.compile(
    r"(?<![\w/+-])(" + "|".join(re.escape(word) for word in PRONUNCIATIONS) + r")(?![\w+-])"
)
_STATUS = re.compile(r"(?<![\d.,])(" + "|".join(STATUS_WORDS) + r")(?![\d]|[.,]\d)")


def spoken(caption: str) -> str:
    """The caption as the voice should read it."""
    text = re.sub(r"https?://\S+", "", caption)
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,758 is a number, not a list
    text = re.sub(r"(\d)x\b", r"\1 times", text)
    text = re.sub(r"\.(py|md)\b", lambda match: " dot " + SUFFIXES[match.group(1)], text)
    text = text.replace("→", " to ").replace("/", " slash ").replace("_", " ")
    text = _STATUS.sub(lambda match: STATUS_WORDS[match.group(1)], text)
    return _WORD.sub(lambda match: PRONUNCIATIONS[match.group(1)], text)


@dataclass(frozen=True)
class Speech:
    path: Path
    seconds: float


class Narrator:
    """Says captions into `folder`, once per distinct text; `max_seconds` cuts each one short."""

    def __init__(self, folder: Path, max_seconds: float | None) -> None:
        self._folder = folder
        self._max_seconds = max_seconds
        folder.mkdir(parents=True, exist_ok=True)

    def say(self, caption: str) -> Speech:
        key = hashlib.sha256(
            f"{VOICE}|{STRETCH}|{self._max_seconds}|{caption}".encode()
        ).hexdigest()[:16]
        path = self._folder / f"{key}.wav"
        if not path.exists():
            self._synthesise(spoken(caption), path)
        with wave.open(str(path)) as audio:
            return Speech(path, audio.getnframes() / audio.getframerate())

    def _synthesise(self, text: str, path: Path) -> None:
        raw = path.with_suffix(".raw.wav")
        subprocess.run(
            ["flite", "-voice", VOICE, "--setf", f"duration_stretch={STRETCH}", "-t", text,
             "-o", str(raw)],
            check=True,
        )  # fmt: skip
        # One rate and loudness for every line; quick builds keep only the start of each.
        effects = ["rate", str(SAMPLE_RATE), "norm", "-3"]
        if self._max_seconds is not None:
            effects += ["trim", "0", str(self._max_seconds)]
        subprocess.run(["sox", str(raw), "-b", "16", "-c", "1", str(path), *effects], check=True)
        raw.unlink()
