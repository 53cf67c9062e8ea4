"""A clip assembled from still pictures: what is on screen when, and what is said over it.

The narrator sets the pace: `say` starts a caption as soon as the previous one has been said,
and (unless told not to) waits until it has been said before the next picture. Every pause is
scaled by the build's pace, so a quick build runs the same story in a fraction of the time.
"""

from dataclasses import dataclass, field
from pathlib import Path

from scripts.video.speech import Narrator
from scripts.video.timeline import Cue

# Silence after each caption, so sentences do not run into each other.
GAP_SECONDS = 0.3


@dataclass
class Storyboard:
    narrator: Narrator
    pace: float
    now: float = 0.0
    frames: list[tuple[float, Path]] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    _voice_free_at: float = 0.0

    def show(self, picture: Path) -> None:
        if self.frames and self.frames[-1][0] == self.now:
            self.frames[-1] = (self.now, picture)
        else:
            self.frames.append((self.now, picture))

    def hold(self, seconds: float) -> None:
        self.now += seconds * self.pace

    def say(self, caption: str, *, wait: bool = True) -> Cue:
        speech = self.narrator.say(caption)
        start = max(self.now, self._voice_free_at)
        cue = Cue(start, start + speech.seconds, caption, speech)
        self.cues.append(cue)
        self._voice_free_at = cue.end + GAP_SECONDS * self.pace
        if wait:
            self.now = self._voice_free_at
        return cue

    def settle(self, tail: float = 0.0) -> None:
        """Wait for the narrator to finish, then `tail` more seconds."""
        self.now = max(self.now, self._voice_free_at)
        self.hold(tail)

    @property
    def seconds(self) -> float:
        return max(self.now, self._voice_free_at)
