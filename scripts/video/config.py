"""The two ways to build: the full walkthrough, and a quick one that runs every step briefly."""

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The page area every screen is drawn in; the captions get a band of their own below it, so
# they never cover what they describe.
PAGE_WIDTH = 1280
PAGE_HEIGHT = 608
CAPTION_BAND = 112


@dataclass(frozen=True)
class Mode:
    """How long each caption may hold, the picture's size and rate, and the encoder's effort."""

    name: str
    width: int
    height: int
    fps: int
    # None: each caption lasts as long as it takes to say; quick builds cut speech short.
    max_cue_seconds: float | None
    # Multiplies every pause between things happening on screen.
    pace: float
    crf: int
    cpu_used: int

    @property
    def band(self) -> int:
        return self.height - round(PAGE_HEIGHT * self.width / PAGE_WIDTH)


FULL = Mode("full", 1280, 720, 10, None, 1.0, crf=40, cpu_used=4)
QUICK = Mode("quick", 640, 360, 5, 0.5, 0.25, crf=50, cpu_used=8)
