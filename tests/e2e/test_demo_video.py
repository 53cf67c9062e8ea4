"""`make demo-video` as a viewer gets it: a video with picture and sound, captions that follow it
from start to end and tell all three parts. The quick build runs every segment of the script end
to end (each caption cut to half a second, at 640x360); the committed video is checked as it is
shipped, 5 to 10 minutes long."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from scripts.video.encode import probe
from tests.docs import ROOT

COMMITTED = ROOT / "docs" / "demo.webm"


@dataclass(frozen=True)
class Caption:
    start: float
    end: float
    text: str


def seconds(clock: str) -> float:
    hours, minutes, rest = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def read_webvtt(path: Path) -> list[Caption]:
    """The cues of a WebVTT file; fails on anything WebVTT does not allow where we write it."""
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    assert blocks[0] == "WEBVTT"
    captions = []
    for block in blocks[1:]:
        lines = block.splitlines()
        timing = next(index for index, line in enumerate(lines) if "-->" in line)
        found = re.fullmatch(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})", lines[timing])
        assert found, lines[timing]
        text = " ".join(lines[timing + 1 :])
        assert text
        captions.append(Caption(seconds(found.group(1)), seconds(found.group(2)), text))
    return captions


def streams(path: Path) -> tuple[float, list[str]]:
    media = probe(path)
    kinds = sorted(f"{stream['codec_type']}:{stream['codec_name']}" for stream in media["streams"])
    return float(media["format"]["duration"]), kinds


def assert_captions_follow(captions: list[Caption], duration: float, longest_gap: float) -> None:
    assert captions[0].start < 3
    assert duration - 8 < captions[-1].end <= duration + 0.1
    for before, after in pairwise(captions):
        assert before.start < before.end <= after.start
        assert after.start - before.end < longest_gap, (before, after)


def mean_volume_db(path: Path) -> float:
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(path), "-map", "0:a", "-af", "volumedetect",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.search(r"mean_volume: (-?[\d.]+) dB", result.stderr).group(1))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def quick_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("video") / "demo.webm"
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTLOG_")}
    result = subprocess.run(
        [sys.executable, "-m", "scripts.video", "--quick", "--out", str(out),
         "--work", str(out.parent / "work"), "--still", str(out.parent / "still.png")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def test_the_quick_build_has_picture_and_sound_for_its_whole_length(quick_video: Path) -> None:
    duration, kinds = streams(quick_video)
    assert kinds == ["audio:opus", "video:vp9"]
    assert 40 < duration < 150
    assert mean_volume_db(quick_video) > -40  # speech, not silence
    assert (quick_video.parent / "still.png").stat().st_size > 10_000


def test_the_quick_build_captions_follow_it_and_tell_all_three_parts(quick_video: Path) -> None:
    captions = read_webvtt(quick_video.with_suffix(".vtt"))
    duration, _ = streams(quick_video)
    assert_captions_follow(captions, duration, longest_gap=10)
    said = " ".join(caption.text for caption in captions)
    for words in [
        "Part one: the endpoints",
        "1. Record an event",  # demo.sh's own narration, read from its output
        "8. DynamoDB is back",
        "Without a token: 401",
        "GraphiQL",
        "Swagger UI",
        "Part two",
        "The write protocol.",
        "The keyset query",
        "Part three",
        "SQL decides visibility",
        "Lambda",
    ]:
        assert words in said


def test_the_committed_video_runs_five_to_ten_minutes_with_picture_sound_and_captions() -> None:
    duration, kinds = streams(COMMITTED)
    assert kinds == ["audio:opus", "video:vp9"]
    assert 300 <= duration <= 600
    assert COMMITTED.stat().st_size < 12_000_000
    assert mean_volume_db(COMMITTED) > -40
    assert_captions_follow(read_webvtt(COMMITTED.with_suffix(".vtt")), duration, longest_gap=12)


def test_the_readme_shows_a_still_of_the_video_and_links_it() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "[![" in readme and "](docs/img/demo-video.png)](docs/demo.webm)" in readme
    assert (ROOT / "docs" / "img" / "demo-video.png").stat().st_size > 10_000
    assert "make demo-video" in readme
