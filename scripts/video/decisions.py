"""The key-decision screens: their words from decisions.toml, their figures from SOLUTION.md."""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.video import slides
from scripts.video.config import ROOT

DATA = Path(__file__).with_name("decisions.toml")


@dataclass(frozen=True)
class Decision:
    title: str
    points: list[str]
    narration: list[str]
    figure_html: str


def plain(markdown: str) -> str:
    """SOLUTION.md's text as a screen shows it: no code ticks or emphasis."""
    return re.sub(r"[`*]", "", markdown).strip()


def figure(spec: dict[str, Any], solution: str) -> tuple[str, dict[str, str]]:
    """The figure's HTML and the values narration may name."""
    found = re.search(spec["pattern"], solution)
    if found is None:
        raise SystemExit(f"SOLUTION.md no longer says what decisions.toml shows: {spec['pattern']}")
    values = {name: plain(value) for name, value in found.groupdict().items()}
    values.setdefault("figure", plain(found.group(0)))
    if spec["kind"] == "bars":
        bars = [
            (
                bar["label"],
                float(values[bar["group"]].replace(",", "")),
                f"{values[bar['group']]} {bar['unit']}",
                bool(bar["better"]),
            )
            for bar in spec["bars"]
        ]
        return slides.bars_figure(bars, spec["source"]), values
    shown = spec.get("prefix", "") + values["figure"]
    return slides.quote_figure(shown, spec["source"]), values


ORDINALS = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth"]


def load() -> list[Decision]:
    solution = (ROOT / "SOLUTION.md").read_text()
    decisions = []
    for place, entry in enumerate(tomllib.loads(DATA.read_text())["decision"]):
        html, values = figure(entry["figure"], solution)
        values["ordinal"] = ORDINALS[place]
        narration = [line.format(**values) for line in entry["narration"]]
        decisions.append(Decision(entry["title"], entry["points"], narration, html))
    return decisions


def decision_slide(number: int, total: int, decision: Decision) -> str:
    return slides.bullets(
        f"Key decision {number} of {total}", decision.title, decision.points, decision.figure_html
    )
