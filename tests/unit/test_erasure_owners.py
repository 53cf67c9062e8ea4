"""Who owns a row being erased, and a fence (persistence.metadata): never a user, before every
user, one pseudonym per user, within the column. Reads rely on the first two (a user's listing
is a seek on their userId: it can reach neither), a user's erasure on the third and the order
(the rows it left marked come first)."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from persistence.metadata import ERASING_PREFIX, FENCE_OWNER, erasing_owner
from schema.limits import USER_ID_PATTERN

user_ids = st.from_regex(USER_ID_PATTERN, fullmatch=True)
# The extremes: the shortest and longest userIds, of the lowest and highest characters.
EXTREMES = ["+", "|", "+" * 128, "|" * 128, "-", "A", "z" * 128]


@pytest.mark.slow
@given(user_ids, user_ids)
@example("+", "|" * 128)
@example("|" * 128, "+")
@example("user-42", "USER-42")
def test_owners_are_no_user_sort_before_every_user_and_differ_by_user(
    user: str, other: str
) -> None:
    owner = erasing_owner(user)
    for marker in (owner, FENCE_OWNER):
        assert not re.fullmatch(USER_ID_PATTERN, marker)
        assert marker < other and marker < user
        assert len(marker) <= 128  # the user_id column's size
    assert FENCE_OWNER < ERASING_PREFIX <= owner
    assert owner.startswith(ERASING_PREFIX) and not FENCE_OWNER.startswith(ERASING_PREFIX)
    assert (erasing_owner(other) == owner) == (other == user)
    assert erasing_owner(user) == owner  # the same user's next call finds the same rows


def test_the_extreme_user_ids_have_owners_of_their_own() -> None:
    owners = [erasing_owner(user) for user in EXTREMES]
    assert len(set(owners)) == len(EXTREMES)
    assert all(len(owner) == 65 for owner in owners)
