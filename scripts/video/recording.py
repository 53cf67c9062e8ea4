"""A real page recorded in Chromium while the narrator speaks over it.

The page is used as a person would, in real time, and Chromium's screencast (the DevTools
protocol stream Playwright's own video is made from) sends a picture each time the page changes,
stamped with its time. Playwright's `record_video_dir` would need a browser-side ffmpeg build
downloaded from its CDN; the screencast needs nothing but Chromium, and its pictures go through
the same encoder as every other screen. Captions are placed at the moments they were started.
The clip begins at `begin()`, once the first page has loaded.
"""

import base64
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route

from scripts.video.camera import VIEWPORT
from scripts.video.config import PAGE_HEIGHT, PAGE_WIDTH, Mode
from scripts.video.encode import stills_to_clip
from scripts.video.speech import Narrator
from scripts.video.storyboard import GAP_SECONDS
from scripts.video.timeline import Clip, Cue


class Recording:
    def __init__(
        self, browser: Browser, folder: Path, narrator: Narrator, mode: Mode, allowed: str
    ) -> None:
        self._folder = folder / f"recording-{time.monotonic_ns()}"
        self._folder.mkdir(parents=True)
        self._narrator = narrator
        self._mode = mode
        self._context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        self.page: Page = self._context.new_page()
        self._begun: float | None = None
        self._voice_free_at = 0.0
        self._frames: list[tuple[float, Path]] = []
        self.cues: list[Cue] = []

        def only(route: Route) -> None:
            if route.request.url.startswith((allowed, "data:")):
                route.continue_()
            else:
                route.abort()

        self.page.route("**/*", only)
        self._screencast = self._context.new_cdp_session(self.page)
        self._screencast.on("Page.screencastFrame", self._keep)
        self._screencast.send(
            "Page.startScreencast",
            {"format": "png", "maxWidth": PAGE_WIDTH, "maxHeight": PAGE_HEIGHT},
        )

    def _keep(self, frame: dict[str, Any]) -> None:
        path = self._folder / f"{len(self._frames):05d}.png"
        path.write_bytes(base64.b64decode(frame["data"]))
        self._frames.append((float(frame["metadata"]["timestamp"]), path))
        self._screencast.send("Page.screencastFrameAck", {"sessionId": frame["sessionId"]})

    def _now(self) -> float:
        return time.time() - (self._begun or 0.0)

    def begin(self) -> None:
        self._begun = time.time()

    def hold(self, seconds: float) -> None:
        self.page.wait_for_timeout(1000 * seconds * self._mode.pace)

    def say(self, caption: str, *, wait: bool = True) -> None:
        """Start a caption when the last one is done; with `wait`, let it finish first."""
        self.settle()
        speech = self._narrator.say(caption)
        start = self._now()
        self.cues.append(Cue(start, start + speech.seconds, caption, speech))
        self._voice_free_at = start + speech.seconds + GAP_SECONDS * self._mode.pace
        if wait:
            self.settle()

    def settle(self) -> None:
        left = self._voice_free_at - self._now()
        if left > 0:
            self.page.wait_for_timeout(1000 * left)

    def finish(self, name: str, tail: float = 1.0) -> Clip:
        self.settle()
        self.hold(tail)
        assert self._begun is not None, "begin() was never called"
        seconds = self._now()
        self._screencast.send("Page.stopScreencast")
        self._context.close()
        frames = self._timed_from_begin()
        out = self._folder.parent / f"{name}.mkv"
        return Clip(name, out, stills_to_clip(frames, seconds, out, self._mode), self.cues)

    def _timed_from_begin(self) -> list[tuple[float, Path]]:
        """Frames on the clip's clock; the last one before `begin` is its first picture."""
        assert self._begun is not None and self._frames, "the screencast sent no picture"
        before = [frame for frame in self._frames if frame[0] <= self._begun]
        after = [(at - self._begun, path) for at, path in self._frames if at > self._begun]
        return [(0.0, before[-1][1] if before else self._frames[0][1]), *after]
