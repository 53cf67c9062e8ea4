"""The shortcuts `schema.details` takes on the hot path answer what the full walks answer."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.details import (
    _DYNAMODB_BYTES_PER_JSON_BYTE,
    _DYNAMODB_SLACK_BYTES,
    _obeys,
    _walk,
    dynamodb_size,
)
from schema.jsonvalue import dump_json
from tests.strategies import details_documents, leaves


@pytest.mark.slow
@settings(max_examples=600)
@given(document=details_documents())
def test_the_quick_check_passes_exactly_the_documents_the_walk_finds_nothing_in(
    document: dict[str, Any],
) -> None:
    assert _obeys(document, depth=1) == (next(_walk(document, "details", depth=1), None) is None)


# What costs DynamoDB the most per byte of JSON: one-digit numbers, nulls, empty containers.
_DENSE: st.SearchStrategy[Any] = st.recursive(
    st.sampled_from([0, 1, None, True, "", [], {}]) | leaves(),
    lambda inner: (
        st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=3), inner, max_size=8)
    ),
    max_leaves=60,
)


@pytest.mark.slow
@settings(max_examples=600)
@given(document=st.dictionaries(st.text(max_size=3), _DENSE, max_size=8) | details_documents())
def test_dynamodb_never_counts_more_than_the_bound_the_size_shortcut_assumes(
    document: dict[str, Any],
) -> None:
    if not _obeys(document, depth=1):
        return  # refused before any size is taken
    compact = len(dump_json(document))
    assert (
        dynamodb_size(document) <= _DYNAMODB_BYTES_PER_JSON_BYTE * compact + _DYNAMODB_SLACK_BYTES
    )
