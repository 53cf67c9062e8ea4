"""Code screens cut from the source at build time: a function or class found by name, and the
lines that carry the design found by what they say, never by number, so they cannot drift.

A view whose symbol or highlighted text is no longer in the file stops the build.
"""

import ast
from dataclasses import dataclass
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from scripts.video import slides
from scripts.video.config import ROOT


@dataclass(frozen=True)
class CodeView:
    path: str  # relative to the repository root
    symbols: tuple[str, ...]  # "Class", "function" or "Class.method", shown one after another
    marks: tuple[str, ...]  # text on the lines to highlight
    heading: str
    narration: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    first: int  # line numbers, 1-based, inclusive
    last: int
    lines: list[str]
    marked: list[int]


def find_symbol(tree: ast.Module, dotted: str) -> ast.AST:
    scope: list[ast.stmt] = tree.body
    found: ast.AST | None = None
    for name in dotted.split("."):
        found = next(
            (
                node
                for node in scope
                if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name
            ),
            None,
        )
        if found is None:
            raise SystemExit(f"scripts/video: no {dotted} to show")
        scope = found.body
    assert found is not None
    return found


def excerpt(view: CodeView) -> list[Block]:
    """Each symbol's lines (with its decorators), the marked lines highlighted."""
    source = (ROOT / view.path).read_text()
    tree, lines = ast.parse(source), source.splitlines()
    blocks = []
    for symbol in view.symbols:
        node = find_symbol(tree, symbol)
        decorators = getattr(node, "decorator_list", [])
        first = min([getattr(node, "lineno", 1)] + [decorator.lineno for decorator in decorators])
        last = getattr(node, "end_lineno", None) or first
        text = lines[first - 1 : last]
        marked = [
            first + index for index, line in enumerate(text) if any(m in line for m in view.marks)
        ]
        blocks.append(Block(first, last, text, marked))
    for mark in view.marks:
        if not any(mark in line for block in blocks for line in block.lines):
            raise SystemExit(f"scripts/video: {mark!r} is not in {view.path} {view.symbols}")
    return blocks


def code_slide(view: CodeView) -> str:
    blocks = excerpt(view)
    # Fit the excerpt to the page: smaller type for longer code, never below 11 px.
    count = sum(len(block.lines) for block in blocks) + len(blocks) - 1
    size = max(11.0, min(17.0, 440 / (1.3 * count)))
    html, style = [], ""
    for block in blocks:
        formatter = HtmlFormatter(
            style="github-dark",
            linenos="inline",
            linenostart=block.first,
            hl_lines=[number - block.first + 1 for number in block.marked],
        )
        html.append(highlight("\n".join(block.lines), PythonLexer(), formatter))
        style = formatter.get_style_defs(".highlight")
    style += (
        f".highlight pre {{ font: {size:.1f}px/1.3 'DejaVu Sans Mono', monospace; }}"
        ".highlight { background: #161b22; padding: 8px 16px; border-radius: 8px; }"
        ".highlight { margin-top: 8px; }"
        ".highlight .hll { background: #2d3f1f; display: block; }"
        ".highlight .linenos { color: #6e7681; margin-right: 14px; }"
        "body { padding: 24px 48px; } h2 { font-size: 28px; margin-bottom: 6px; }"
        ".where { color: #8b949e; font: 16px 'DejaVu Sans Mono', monospace; }"
    )
    spans = ", ".join(f"{block.first}-{block.last}" for block in blocks)
    where = f"{view.path} · lines {spans} · {', '.join(view.symbols)}"
    return slides.page(
        f"<h2>{escape(view.heading)}</h2><div class='where'>{escape(where)}</div>" + "".join(html),
        style,
    )
