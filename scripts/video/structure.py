"""The code-structure screens: the tree and its layers as they are on disk, then the few files
that carry the design, cut at the functions they name."""

import ast
from html import escape

from scripts.video import slides
from scripts.video.code_views import CodeView
from scripts.video.config import ROOT

# (folder or file, what it is): counted on disk when the video is built.
LAYOUT = [
    ("gateway/rest", "the REST door: routes, bodies, problem+json"),
    ("gateway/graphql", "the GraphQL door: types, Query and Mutation, error codes"),
    ("gateway/auth", "bearer tokens, the JWKS cache, the dev issuer"),
    ("gateway/resolvers", "the one resolver layer both doors call: writes, reads, erasure"),
    ("schema", "the rules: models, limits, numbers, times, cursors, access (no I/O)"),
    ("persistence", "the two stores, behind their protocols"),
]

VIEWS = [
    CodeView(
        "persistence/protocols.py",
        ("MetadataStore", "DetailStore"),
        ("def insert_many", "def list_page", "def claim_many", "def release_many", "def get_many"),
        "The two stores behind their protocols",
        (
            "The resolver sees the stores only through these two protocols: rows inserted and "
            "paged in SQL, details claimed, released and fetched in DynamoDB.",
            "Unit tests run the resolver against fakes of exactly these.",
        ),
    ),
    CodeView(
        "gateway/resolvers/writes.py",
        ("EventWriter._claim", "EventWriter._commit"),
        (
            "self._details.claim_many(",
            "self._metadata.insert_many(",
            "self._withdraw(claimed, failure)",
        ),
        "The write protocol",
        (
            "The write protocol. For one event or a batch alike: first the details claims, "
            "conditional updates in DynamoDB; then the rows in SQL, whose one commit makes the "
            "events visible.",
            "If the insert fails, the claims are withdrawn and the client gets a 503 to retry.",
        ),
    ),
    CodeView(
        "gateway/resolvers/events.py",
        ("EventResolver.list_events", "EventResolver._join"),
        ("self.list_records(", "self._details_of(records)", "if record.event_id in details"),
        "The join: SQL first, then the details",
        (
            "The join. A page starts from SQL, then fetches its details in batches of 100.",
            "A row whose details are gone is logged and left out, never shown half.",
        ),
    ),
    CodeView(
        "persistence/metadata.py",
        ("page_query", "_page_conditions"),
        ("row.occurred_at <= request.after.timestamp", "or_(", ".order_by("),
        "The keyset query",
        (
            "The keyset query: after a cursor, strictly after the last event seen, in index order.",
            "The redundant bound on time lets the engine seek straight to the cursor. No OFFSET "
            "anywhere.",
        ),
    ),
]


def count(relative: str) -> tuple[int, int]:
    """Python modules and lines under a folder (or in one file)."""
    path = ROOT / relative
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    return len(files), sum(len(file.read_text().splitlines()) for file in files)


def imported_by(relative: str) -> list[str]:
    """The top-level packages a module imports."""
    tree = ast.parse((ROOT / relative).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return sorted(names)


LAYERS_STYLE = """
body { padding-top: 28px; }
table { border-collapse: collapse; font-size: 19px; margin-bottom: 14px; }
td { padding: 4px 18px 4px 0; vertical-align: top; }
td.path { color: #79c0ff; font-family: 'DejaVu Sans Mono', monospace; }
td.size { color: #8b949e; text-align: right; white-space: nowrap; }
.stack { display: flex; gap: 14px; align-items: stretch; font-size: 18px; }
.box { border: 2px solid #30363d; border-radius: 8px; padding: 8px 12px; background: #161b22; }
.doors, .stores { display: flex; gap: 14px; }
.col { display: flex; flex-direction: column; gap: 8px; flex: 1; }
.arrow { text-align: center; color: #3fb950; font-size: 18px; }
.rules { width: 250px; border-color: #d29922; }
"""


def layers_slide() -> str:
    rows = []
    for relative, role in LAYOUT:
        modules, lines = count(relative)
        size = f"{modules} modules, {lines:,} lines" if modules > 1 else f"{lines:,} lines"
        rows.append(
            f"<tr><td class='path'>{escape(relative)}</td><td>{escape(role)}</td>"
            f"<td class='size'>{size}</td></tr>"
        )
    frameworks = sorted(
        {
            name
            for module in sorted((ROOT / "gateway" / "resolvers").glob("*.py"))
            for name in imported_by(str(module.relative_to(ROOT)))
            if name in FRAMEWORKS
        }
    )
    rules = " ".join(path.stem for path in sorted((ROOT / "schema").glob("[!_]*.py")))
    imports = ", ".join(frameworks) if frameworks else "neither FastAPI nor Strawberry"
    diagram = (
        "<div class='stack'><div class='col'>"
        "<div class='doors'><div class='box' style='flex:1'>REST: /events</div>"
        "<div class='box' style='flex:1'>GraphQL: /graphql</div></div>"
        "<div class='arrow'>both call ↓</div>"
        f"<div class='box'>EventResolver (gateway/resolvers/): imports {escape(imports)}</div>"
        "<div class='arrow'>through protocols ↓</div>"
        "<div class='stores'><div class='box' style='flex:1'>MetadataStore: SQL Server, SQLite"
        "</div><div class='box' style='flex:1'>DetailStore: DynamoDB</div></div></div>"
        "<div class='box rules'>schema/: every rule once, used by all the layers; no I/O"
        f"<div class='muted mono' style='font-size:15px;margin-top:8px'>{escape(rules)}</div></div>"
        "</div>"
    )
    return slides.page(
        "<div class='kicker'>Code structure</div><h2>The tree and its layers</h2>"
        f"<table>{''.join(rows)}</table>{diagram}",
        LAYERS_STYLE,
    )


FRAMEWORKS = {"fastapi", "starlette", "strawberry"}
LAYERS_NARRATION = (
    "The code as it is on disk: two thin doors, REST and GraphQL, call one resolver layer, "
    "which imports no web framework.",
    "Below it, the two stores sit behind their protocols; every rule lives once, in schema.",
)
