"""The narration track: every cue's speech placed at its start on one silent mono track."""

import array
import wave
from collections.abc import Iterable
from pathlib import Path

from scripts.video.speech import SAMPLE_RATE
from scripts.video.timeline import Cue


def mix_narration(cues: Iterable[Cue], seconds: float, path: Path) -> None:
    samples = array.array("h", bytes(2 * round(seconds * SAMPLE_RATE)))
    for cue in cues:
        with wave.open(str(cue.speech.path)) as speech:
            assert speech.getframerate() == SAMPLE_RATE and speech.getnchannels() == 1
            clip = array.array("h", speech.readframes(speech.getnframes()))
        # Cues never overlap (the narrator says one at a time), so each is copied in place.
        start = round(cue.start * SAMPLE_RATE)
        clip = clip[: max(0, len(samples) - start)]
        samples[start : start + len(clip)] = clip
    with wave.open(str(path), "wb") as track:
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(SAMPLE_RATE)
        track.writeframes(samples.tobytes())
