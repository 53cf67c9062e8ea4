"""Where each caption falls: cues within a clip, clips one after another, captions written out.

A clip is one screen's worth of video (a slide, the terminal walk, a browser recording) with the
captions spoken over it, timed from the clip's start. `Timeline` lays the clips end to end and
writes what the viewer reads: WebVTT beside the video, and ASS for the band it is burned into.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scripts.video.speech import Speech


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speech: Speech


@dataclass
class Clip:
    """A silent video file at the build's size and rate, `seconds` long, and its cues."""

    name: str
    video: Path
    seconds: float
    cues: list[Cue] = field(default_factory=list)


@dataclass
class Timeline:
    clips: list[Clip] = field(default_factory=list)

    def add(self, clip: Clip) -> None:
        self.clips.append(clip)

    @property
    def seconds(self) -> float:
        return sum(clip.seconds for clip in self.clips)

    def cues(self) -> Iterator[Cue]:
        """Every cue on the whole video's clock."""
        offset = 0.0
        for clip in self.clips:
            for cue in clip.cues:
                yield Cue(offset + cue.start, offset + cue.end, cue.text, cue.speech)
            offset += clip.seconds

    def segments(self) -> Iterator[tuple[str, float, float]]:
        """(name, start, seconds) of each clip, for the build's report."""
        offset = 0.0
        for clip in self.clips:
            yield clip.name, offset, clip.seconds
            offset += clip.seconds

    def last_caption_of(self, name: str) -> float:
        """The middle of a clip's last caption, on the whole video's clock."""
        offset = 0.0
        for clip in self.clips:
            if clip.name == name and clip.cues:
                return offset + (clip.cues[-1].start + clip.cues[-1].end) / 2
            offset += clip.seconds
        raise LookupError(name)

    def write_webvtt(self, path: Path) -> None:
        lines = ["WEBVTT", ""]
        for number, cue in enumerate(self.cues(), start=1):
            lines += [str(number), f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}"]
            lines += [cue.text, ""]
        path.write_text("\n".join(lines), encoding="utf-8")

    def write_ass(self, path: Path, width: int, height: int, band: int) -> None:
        """Captions centred in the band below the page, in a size that fits two lines there."""
        size = round(band * 0.3)
        header = [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {width}",
            f"PlayResY: {height}",
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
            "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
            "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
            f"Style: Caption,DejaVu Sans,{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,"
            f"0,0,0,0,100,100,0,0,1,0,0,2,{width // 16},{width // 16},"
            f"{max(2, (band - 2 * round(size * 1.2)) // 2)},1",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
        events = [
            f"Dialogue: 0,{_ass_clock(cue.start)},{_ass_clock(cue.end)},Caption,,0,0,0,,"
            + cue.text.replace("\n", " ").replace("{", "(").replace("}", ")")
            for cue in self.cues()
        ]
        path.write_text("\n".join(header + events) + "\n", encoding="utf-8")


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _ass_clock(seconds: float) -> str:
    centis = round(seconds * 100)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6000)
    secs, centis = divmod(centis, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"
