"""Turns each kind of screen into a clip on the timeline: slides, terminal steps, recordings."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser

from scripts.video.camera import Camera
from scripts.video.config import Mode
from scripts.video.encode import stills_to_clip
from scripts.video.recording import Recording
from scripts.video.speech import Narrator
from scripts.video.storyboard import Storyboard
from scripts.video.terminal import Step, Terminal
from scripts.video.timeline import Clip, Timeline


@dataclass
class Studio:
    mode: Mode
    narrator: Narrator
    browser: Browser
    camera: Camera
    folder: Path
    timeline: Timeline

    def _path(self, name: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        return self.folder / f"{len(self.timeline.clips):02d}-{slug}.mkv"

    def _board(self) -> Storyboard:
        return Storyboard(self.narrator, self.mode.pace)

    def _add(self, name: str, board: Storyboard) -> None:
        out = self._path(name)
        seconds = stills_to_clip(board.frames, board.seconds, out, self.mode)
        self.timeline.add(Clip(name, out, seconds, board.cues))

    def slide(self, name: str, html: str, narration: Sequence[str]) -> None:
        board = self._board()
        board.show(self.camera.shoot(html))
        board.hold(0.6)
        for caption in narration:
            board.say(caption)
        board.settle(1.0)
        self._add(name, board)

    def terminal(self, name: str, window_title: str, steps: Sequence[Step]) -> None:
        board = self._board()
        terminal = Terminal(board, self.camera, window_title)
        for step in steps:
            terminal.play(step)
        self._add(name, board)

    def record(self, name: str, allowed: str, script: Callable[[Recording], None]) -> None:
        recording = Recording(self.browser, self.folder, self.narrator, self.mode, allowed)
        script(recording)
        clip = recording.finish(name)
        clip.video = clip.video.rename(self._path(name))
        self.timeline.add(clip)
