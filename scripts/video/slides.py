"""The screens we draw, as HTML: titles, the layers, code, decisions, the terminal window.

One stylesheet for all of them (GitHub's dark palette, DejaVu fonts from Debian), sized for the
video's page area. Everything put on a screen is escaped here.
"""

from collections.abc import Sequence
from html import escape

from scripts.video.config import PAGE_HEIGHT, PAGE_WIDTH

STYLE = f"""
* {{ box-sizing: border-box; margin: 0; padding: 0; }}
html, body {{ width: {PAGE_WIDTH}px; height: {PAGE_HEIGHT}px; overflow: hidden; }}
body {{ background: #0d1117; color: #e6edf3; font: 22px/1.4 'DejaVu Sans', sans-serif;
       padding: 40px 64px; }}
h1 {{ font-size: 52px; margin-bottom: 18px; }}
h2 {{ font-size: 34px; margin-bottom: 18px; color: #79c0ff; }}
.kicker {{ color: #8b949e; font-size: 20px; letter-spacing: 2px; text-transform: uppercase;
          margin-bottom: 10px; }}
.muted {{ color: #8b949e; }}
code, pre, .mono {{ font-family: 'DejaVu Sans Mono', monospace; }}
ul {{ list-style: none; }}
li {{ margin: 8px 0; }}
li::before {{ content: '▸ '; color: #3fb950; }}
.centre {{ display: flex; flex-direction: column; justify-content: center; height: 100%; }}
.figure {{ margin-top: 26px; padding: 22px 28px; border-left: 6px solid #3fb950;
          background: #161b22; font-size: 24px; }}
.figure .source {{ color: #8b949e; font-size: 17px; margin-top: 10px; }}
.bar {{ display: flex; align-items: center; margin: 10px 0; font-size: 20px; }}
.bar .label {{ width: 380px; }}
.bar .fill {{ height: 30px; background: #1f6feb; margin-right: 12px; }}
.bar.good .fill {{ background: #3fb950; }}
"""


def page(body: str, extra_style: str = "") -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}{extra_style}</style>"
        f"</head><body>{body}</body></html>"
    )


def title(kicker: str, heading: str, lines: Sequence[str]) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return page(
        f"<div class='centre'><div class='kicker'>{escape(kicker)}</div>"
        f"<h1>{escape(heading)}</h1><ul>{items}</ul></div>"
    )


def bullets(kicker: str, heading: str, lines: Sequence[str], figure: str = "") -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return page(
        f"<div class='kicker'>{escape(kicker)}</div><h2>{escape(heading)}</h2>"
        f"<ul>{items}</ul>{figure}"
    )


def quote_figure(text: str, source: str) -> str:
    return f"<div class='figure'>{escape(text)}<div class='source'>{escape(source)}</div></div>"


def bars_figure(bars: Sequence[tuple[str, float, str, bool]], source: str) -> str:
    """Horizontal bars (label, value, value as written, the better one?) to one scale."""
    largest = max(value for _, value, _, _ in bars)
    rows = "".join(
        f"<div class='bar{' good' if good else ''}'><span class='label'>{escape(label)}</span>"
        f"<span class='fill' style='width:{round(520 * value / largest)}px'></span>"
        f"<span class='mono'>{escape(written)}</span></div>"
        for label, value, written, good in bars
    )
    return f"<div class='figure'>{rows}<div class='source'>{escape(source)}</div></div>"


TERMINAL_STYLE = """
body { padding: 18px 24px; background: #010409; }
.window { background: #0d1117; border: 1px solid #30363d; border-radius: 10px; height: 100%;
          overflow: hidden; }
.bar { height: 34px; background: #161b22; border-bottom: 1px solid #30363d; display: flex;
       align-items: center; padding: 0 14px; color: #8b949e; font-size: 16px; margin: 0; }
.dot { width: 12px; height: 12px; border-radius: 6px; margin-right: 8px; display: inline-block; }
.screen { padding: 10px 14px; }
.screen pre { font: 15.5px/1.32 'DejaVu Sans Mono', monospace; white-space: pre; }
"""


def terminal(window_title: str, screen_html: str) -> str:
    dots = "".join(
        f"<span class='dot' style='background:{colour}'></span>"
        for colour in ("#f85149", "#d29922", "#3fb950")
    )
    return page(
        f"<div class='window'><div class='bar'>{dots}&nbsp;{escape(window_title)}</div>"
        f"<div class='screen'>{screen_html}</div></div>",
        TERMINAL_STYLE,
    )
