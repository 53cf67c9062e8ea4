"""A terminal on screen: lines of real output, typed and printed as a person would see them.

Output is kept as the program printed it, ANSI colours included; Rich lays it out at the
window's width (wrapping long JSON as a terminal does) and turns it into HTML. A step starts on
a clean screen, and the screen shows its last rows, as a terminal that scrolls.
"""

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.terminal_theme import TerminalTheme
from rich.text import Text

from scripts.video import slides
from scripts.video.camera import Camera
from scripts.video.storyboard import Storyboard

COLUMNS = 126
ROWS = 25
CURSOR = "\x1b[7m \x1b[0m"
# GitHub's dark terminal colours.
THEME = TerminalTheme(
    (13, 17, 23),
    (230, 237, 243),
    [
        (72, 79, 88),
        (255, 123, 114),
        (63, 185, 80),
        (210, 153, 34),
        (88, 166, 255),
        (188, 140, 255),
        (57, 197, 207),
        (177, 186, 196),
    ],
    [
        (110, 118, 129),
        (255, 161, 152),
        (86, 211, 100),
        (227, 179, 65),
        (121, 192, 255),
        (210, 168, 255),
        (86, 212, 221),
        (240, 246, 252),
    ],
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LEADING_ANSI = re.compile(r"(?:\x1b\[[0-9;]*m)+")

# `note`: said by the narrator, never shown (the screen shows only what programs printed).
Kind = Literal["header", "command", "output", "status", "say", "blank", "note"]


@dataclass(frozen=True)
class Line:
    kind: Kind
    ansi: str

    @property
    def plain(self) -> str:
        return ANSI.sub("", self.ansi).strip()


@dataclass
class Step:
    """From one header to the next."""

    lines: list[Line]
    # Said instead of the step's narration lines (a banner of ports and paths reads badly).
    spoken: list[str] | None = None

    @property
    def title(self) -> str:
        return self.lines[0].plain


def to_html(ansi_lines: Sequence[str]) -> str:
    """The screen as HTML: the lines wrapped at the window's width, the last ROWS of them."""
    layout = Console(width=COLUMNS, file=io.StringIO(), force_terminal=True)
    rows = []
    for line in ansi_lines:
        text = Text.from_ansi(line, overflow="fold")
        rows += layout.render_lines(text, layout.options, pad=False, new_lines=False)
    screen = Console(
        width=COLUMNS,
        record=True,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
    )
    for row in rows[-ROWS:]:
        screen.print(Text.assemble(*((seg.text, seg.style or "") for seg in row)), overflow="fold")
    return screen.export_html(theme=THEME, inline_styles=True, code_format="<pre>{code}</pre>")


class Terminal:
    """Plays steps on a storyboard: each line appears when it would, the narrator reads along."""

    def __init__(self, board: Storyboard, camera: Camera, window_title: str) -> None:
        self._board = board
        self._camera = camera
        self._title = window_title
        self._screen: list[str] = []

    def _show(self) -> None:
        picture = self._camera.shoot(slides.terminal(self._title, to_html(self._screen)))
        self._board.show(picture)

    def play(self, step: Step) -> None:
        self._screen = []
        lines = step.lines
        spoken = list(step.spoken) if step.spoken is not None else None
        index = 0
        while index < len(lines):
            line = lines[index]
            if line.kind == "say":
                # One sentence may be printed over several lines: show them and say it once.
                group = [line]
                while index + 1 < len(lines) and lines[index + 1].kind == "say":
                    index += 1
                    group.append(lines[index])
                self._say(group, spoken)
            elif line.kind == "note":
                self._board.settle()
                self._board.say(line.ansi)
            else:
                self._print(line, spoken)
            index += 1
        for caption in spoken or []:
            self._board.say(caption)
        self._board.settle(0.8)

    def _print(self, line: Line, spoken: list[str] | None) -> None:
        if line.kind == "command":
            self._type(line.ansi)
            return
        self._screen.append(line.ansi)
        self._show()
        if line.kind == "header":
            if spoken is None:
                self._board.say(line.plain, wait=False)
            self._board.hold(0.6)
        elif line.kind == "status":
            self._board.hold(0.7)
        elif line.kind == "output":
            self._board.hold(0.3)

    def _say(self, group: list[Line], spoken: list[str] | None) -> None:
        self._board.settle()
        self._screen += [line.ansi for line in group]
        self._show()
        if spoken is None:
            self._board.say(" ".join(line.plain for line in group))
        else:
            self._board.hold(0.8)

    def _type(self, ansi: str) -> None:
        """A command typed in a few strokes, the cursor after it, then Enter."""
        plain = ANSI.sub("", ansi)
        prefix = LEADING_ANSI.match(ansi)
        colour = prefix.group(0) if prefix else ""
        self._screen.append("")
        strokes = 5
        for stroke in range(1, strokes + 1):
            typed = plain[: round(len(plain) * stroke / strokes)]
            self._screen[-1] = f"{colour}{typed}\x1b[0m{CURSOR}"
            self._show()
            self._board.hold(0.1)
        self._screen[-1] = ansi
        self._show()
        self._board.hold(0.3)
