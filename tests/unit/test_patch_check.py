"""The check that the installed dynalite carries the project's patch, on generated files and
patches: a patched file never counts as unpatched, and a file without a line the patch adds
always does."""

import difflib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persistence.embedded import unpatched_files

# Text of one line: anything but what str.splitlines() reads as the end of a line.
LINE = st.text(
    st.characters(
        exclude_categories=["Cs"],
        exclude_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    max_size=6,
)
FILE = st.lists(LINE, max_size=12)


def check(installed: list[str], before: list[str], after: list[str]) -> list[str]:
    """`unpatched_files` of a package whose f.js holds `installed`, against the patch that turns
    `before` into `after`, as patch-package names its files."""
    with tempfile.TemporaryDirectory() as folder:
        package, patches = Path(folder, "dynalite"), Path(folder, "patches")
        package.mkdir()
        patches.mkdir()
        (package / "f.js").write_text("".join(line + "\n" for line in installed))
        diff = difflib.unified_diff(
            [line + "\n" for line in before],
            [line + "\n" for line in after],
            "a/node_modules/dynalite/f.js",
            "b/node_modules/dynalite/f.js",
        )
        (patches / "dynalite+1.0.0.patch").write_text("".join(diff))
        return unpatched_files(package, patches)


@pytest.mark.slow
@settings(max_examples=200)
@given(before=FILE, after=FILE)
def test_a_patched_file_is_never_counted_unpatched(before: list[str], after: list[str]) -> None:
    assert check(after, before, after) == []


@pytest.mark.slow
@settings(max_examples=200)
@given(before=FILE, after=FILE, added=LINE, at=st.integers(min_value=0))
def test_a_file_without_a_line_the_patch_adds_is_counted_unpatched(
    before: list[str], after: list[str], added: str, at: int
) -> None:
    before = [line for line in before if line != added]
    after = [*after[: at % (len(after) + 1)], added, *after[at % (len(after) + 1) :]]
    assert check(before, before, after) == ["f.js"]


def test_no_patch_and_the_empty_patch_find_nothing_missing(tmp_path: Path) -> None:
    (tmp_path / "patches").mkdir()
    assert unpatched_files(tmp_path / "dynalite", tmp_path / "patches") == []
    assert check([], [], []) == []
    assert check(["a"], ["a"], ["a"]) == []


def test_a_missing_file_counts_as_unpatched(tmp_path: Path) -> None:
    patches = tmp_path / "patches"
    patches.mkdir()
    diff = difflib.unified_diff(
        [], ["x\n"], "a/node_modules/dynalite/g.js", "b/node_modules/dynalite/g.js"
    )
    (patches / "dynalite+1.0.0.patch").write_text("".join(diff))
    assert unpatched_files(tmp_path / "dynalite", patches) == ["g.js"]
