"""`python -m scripts.video [--quick]`: build the walkthrough (see scripts/video/__init__.py).

--quick   every segment, each caption cut to half a second, at 640x360 and 5 fps: what the
          test runs to check the whole pipeline in about a minute
"""

import argparse
import shutil
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from scripts.video import batch, decisions, slides, structure
from scripts.video.audio import mix_narration
from scripts.video.auth import EVENT, authentication_steps
from scripts.video.browser_scenes import graphiql, swagger_ui
from scripts.video.camera import Camera, launch
from scripts.video.code_views import code_slide
from scripts.video.config import FULL, QUICK, ROOT, Mode
from scripts.video.encode import finish, still_from
from scripts.video.speech import Narrator
from scripts.video.stack import Shell, dev_auth_server
from scripts.video.studio import Studio
from scripts.video.timeline import Timeline
from scripts.video.walk import narrated, parse, run_demo


def endpoints(studio: Studio, demo_output: str) -> None:
    studio.slide(
        "part 1: endpoints",
        slides.title("Part 1", "Endpoints", ["the terminal walk", "tokens and batches",
                                             "GraphiQL and Swagger UI"]),
        ["Part one: the endpoints, as a client sees them."],
    )  # fmt: skip
    studio.terminal("terminal walk", "make demo", narrated(parse(demo_output)))
    with dev_auth_server() as server:
        shell = Shell(server)
        studio.terminal("authentication", "make run AUTH=dev", authentication_steps(server, shell))
        studio.terminal("batch recording", "make run AUTH=dev", batch.batch_steps(shell))
        event_id = str(EVENT["eventId"])
        studio.record("graphiql", server.url, lambda rec: graphiql(rec, server, event_id))
        studio.record("swagger ui", server.url, lambda rec: swagger_ui(rec, server))


def code_structure(studio: Studio) -> None:
    studio.slide("code: layers", structure.layers_slide(), structure.LAYERS_NARRATION)
    for view in structure.VIEWS:
        studio.slide(f"code: {view.heading}", code_slide(view), view.narration)


def key_decisions(studio: Studio) -> None:
    chosen = decisions.load()
    for number, decision in enumerate(chosen, start=1):
        html = decisions.decision_slide(number, len(chosen), decision)
        studio.slide(f"decision: {decision.title}", html, decision.narration)


def build(mode: Mode, out: Path, work: Path) -> Timeline:
    clips = work / f"clips-{mode.name}"
    shutil.rmtree(clips, ignore_errors=True)
    clips.mkdir(parents=True)
    timeline = Timeline()
    demo_output = run_demo()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        camera = Camera(browser, work / "screens")
        narrator = Narrator(work / "speech", mode.max_cue_seconds)
        studio = Studio(mode, narrator, browser, camera, clips, timeline)
        studio.slide("title", slides.title("A walkthrough", "Event Log API", [
            "1. Endpoints: REST, tokens, batches, GraphiQL, Swagger UI",
            "2. Code structure: the layers and the files that carry the design",
            "3. Key decisions, each with the figure behind it",
        ]), [
            "The Event Log API records user events: metadata in SQL, details in DynamoDB, "
            "behind REST and GraphQL.",
            "This walkthrough is built from the running product by make demo-video.",
        ])  # fmt: skip
        endpoints(studio, demo_output)
        studio.slide("part 2: code structure", slides.title("Part 2", "Code structure", [
            "REST and GraphQL over one resolver layer", "two stores behind their protocols",
            "the rules in schema/"]), ["Part two: how the code is laid out."])  # fmt: skip
        code_structure(studio)
        studio.slide("part 3: key decisions", slides.title("Part 3", "Key decisions", [
            "each one explained in SOLUTION.md"]), ["Part three: the key decisions."])  # fmt: skip
        key_decisions(studio)
        studio.slide("closing", slides.title("Event Log API", "Try it", [
            "make run, then make demo", "make run AUTH=dev for tokens",
            "README.md, SOLUTION.md, docs/rest.md, docs/graphql.md",
            "make demo-video builds this video again"]), [
            "To try it: make run, then make demo. The reasons and the figures are in "
            "SOLUTION.md."])  # fmt: skip
        browser.close()
    narration = clips / "narration.wav"
    mix_narration(timeline.cues(), timeline.seconds, narration)
    captions = clips / "captions.ass"
    timeline.write_ass(captions, mode.width, mode.height, mode.band)
    finish([clip.video for clip in timeline.clips], narration, captions, out, mode)
    timeline.write_webvtt(out.with_suffix(".vtt"))
    return timeline


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.video", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every segment, briefly and small")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "demo.webm")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "demo-video")
    parser.add_argument("--still", type=Path, help="a PNG of the finished video, for the README")
    arguments = parser.parse_args()
    started = time.monotonic()
    mode = QUICK if arguments.quick else FULL
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    timeline = build(mode, arguments.out, arguments.work)
    report = [f"{arguments.out}: {timeline.seconds:.1f} s, {mode.width}x{mode.height}"]
    for name, start, seconds in timeline.segments():
        report.append(f"  {start:7.1f} s  {seconds:6.1f} s  {name}")
    if arguments.still:  # GraphiQL's answer with details, and its caption
        still_from(arguments.out, timeline.last_caption_of("graphiql"), arguments.still)
    report.append(f"built in {time.monotonic() - started:.0f} s")
    sys.stdout.write("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
