"""ffmpeg: pictures and recordings into clips, clips and narration into the one video file.

Clips are kept lossless (H.264 at qp 0) at the build's size and rate, so the video is compressed
exactly once, at the end: VP9 for the picture (mostly still text, which it packs into a few
kilobits a second), Opus for the voice. Metadata that would differ between builds (encoder
versions, creation times) is left out of the file.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

from scripts.video.config import Mode

BACKGROUND = "0x0d1117"
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]
# Intermediate clips: the same pictures give the same bytes (no dates or random ids in them).
LOSSLESS = [
    *["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"],
    *["-map_metadata", "-1", *BITEXACT],
]


def ffmpeg(*arguments: str, cwd: Path | None = None) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *arguments], check=True, cwd=cwd
    )


def frame_count(seconds: float, mode: Mode) -> int:
    return max(1, round(seconds * mode.fps))


def page_filter(mode: Mode) -> str:
    """The page scaled to the build's width, at the build's rate."""
    return f"scale={mode.width}:-2:flags=lanczos,fps={mode.fps},format=yuv420p"


def stills_to_clip(
    frames: list[tuple[float, Path]], seconds: float, out: Path, mode: Mode
) -> float:
    """Each picture from its time until the next one's; returns the clip's exact length."""
    frames_total = frame_count(seconds, mode)
    listing = []
    for index, (start, picture) in enumerate(frames):
        end = frames[index + 1][0] if index + 1 < len(frames) else seconds
        duration = (frame_count(end, mode) - frame_count(start, mode)) / mode.fps
        if duration > 0:
            listing += [f"file '{picture}'", f"duration {duration:.4f}"]
    listing.append(f"file '{frames[-1][1]}'")  # the concat demuxer drops the last duration
    script = out.with_suffix(".txt")
    script.write_text("\n".join(listing) + "\n")
    # The demuxer shows the last picture for no time at all: hold it to the clip's last frame.
    hold = ",tpad=stop_mode=clone:stop_duration=5"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(script), "-vf", page_filter(mode) + hold,
           "-frames:v", str(frames_total), *LOSSLESS, str(out))  # fmt: skip
    return frames_total / mode.fps


def finish(clips: list[Path], narration: Path, captions: Path, out: Path, mode: Mode) -> None:
    """The clips end to end over the caption band with the captions burned in, and the voice."""
    listing = captions.parent / "clips.txt"
    listing.write_text("".join(f"file '{clip.resolve()}'\n" for clip in clips))
    picture = (
        f"[0:v]pad={mode.width}:{mode.height}:0:0:color={BACKGROUND},"
        f"ass={captions.name},format=yuv420p[v]"
    )
    ffmpeg(
        "-f", "concat", "-safe", "0", "-i", str(listing.resolve()), "-i", str(narration.resolve()),
        "-filter_complex", picture, "-map", "[v]", "-map", "1:a",
        "-c:v", "libvpx-vp9", "-crf", str(mode.crf), "-b:v", "0", "-deadline", "good",
        "-cpu-used", str(mode.cpu_used), "-row-mt", "1", "-g", str(12 * mode.fps),
        "-c:a", "libopus", "-b:a", "32k", "-ac", "1", "-ar", "48000",
        "-shortest", "-map_metadata", "-1", "-map_chapters", "-1", *BITEXACT,
        str(out.resolve()),
        cwd=captions.parent,
    )  # fmt: skip


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's view of a media file: its format and streams."""
    answer = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(answer.stdout)
    return result


def still_from(video: Path, at_seconds: float, out: Path) -> None:
    """One picture of the finished video, captions included (the README's still)."""
    ffmpeg("-ss", f"{at_seconds:.2f}", "-i", str(video), "-frames:v", "1", str(out))
