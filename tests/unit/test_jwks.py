"""Which keys of a JWKS are used: the issuer's RS256 and ES256 keys, whatever else it holds;
every other entry skipped and logged once; and a document with no usable key is the issuer's
failure, never an error of ours."""

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.auth.dev_issuer import SigningKey
from gateway.auth.jwks import ALGORITHMS, JwksUnreachable, usable_keys
from tests.strategies import json_values, jwks_entries

GOOD = [SigningKey.generate("RS256").public_jwk(), SigningKey.generate("ES256").public_jwk()]
GOOD_KIDS = {key["kid"] for key in GOOD}


@pytest.mark.slow
@settings(max_examples=500)
@given(
    junk=st.lists(jwks_entries(GOOD), max_size=8),
    good=st.lists(st.sampled_from(GOOD), unique_by=lambda key: key["kid"]),
    data=st.data(),
)
def test_the_issuers_keys_are_used_whatever_else_the_jwks_holds(
    junk: list[Any], good: list[dict[str, Any]], data: st.DataObject
) -> None:
    entries = data.draw(st.permutations(junk + good))
    try:
        keys = usable_keys({"keys": entries}, set())
    except JwksUnreachable:
        keys = []
    kids = {key.key_id for key in keys}
    assert {key["kid"] for key in good} <= kids
    assert all(key.algorithm_name in ALGORITHMS for key in keys)
    for key in keys:
        if key.key_id in GOOD_KIDS:
            [published] = [jwk for jwk in GOOD if jwk["kid"] == key.key_id]
            assert key.algorithm_name == published["alg"]
    if not keys:
        with pytest.raises(JwksUnreachable):
            usable_keys({"keys": entries}, set())


@pytest.mark.slow
@settings(max_examples=300)
@given(document=json_values())
def test_a_document_that_is_no_jwk_set_is_the_issuers_failure(document: Any) -> None:
    with pytest.raises(JwksUnreachable):
        usable_keys(document, set())


@pytest.mark.parametrize("entries", [[], [None], [{}], [[]]], ids=["empty", "null", "{}", "[]"])
def test_an_empty_or_keyless_set_is_the_issuers_failure(entries: list[Any]) -> None:
    with pytest.raises(JwksUnreachable, match="no usable signing key"):
        usable_keys({"keys": entries}, set())


def test_each_unusable_entry_is_logged_once_by_its_place_and_kid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    material = GOOD[0]["n"]
    entries = [{**GOOD[0], "kid": "old", "alg": "RS512"}, 42, *GOOD]
    reported: set[str] = set()
    with caplog.at_level(logging.WARNING, logger="gateway.auth.jwks"):
        assert [key.key_id for key in usable_keys({"keys": entries}, reported)] == [
            key["kid"] for key in GOOD
        ]
        usable_keys({"keys": entries}, reported)
    assert [record.getMessage() for record in caplog.records] == [
        "the issuer's JWKS key #0 (kid 'old') is skipped: not an RS256 or ES256 key (alg)",
        "the issuer's JWKS key #1 (kid none) is skipped: not a JSON object",
    ]
    assert material not in caplog.text
