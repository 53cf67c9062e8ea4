"""The request deadline: one point in time every wait of a request shares."""

import pytest

from persistence.deadline import (
    DeadlineExceeded,
    budget,
    deadline_after,
    remaining_seconds,
    reserving,
    whole_seconds_budget,
)


def test_without_a_deadline_every_wait_keeps_its_own_bound() -> None:
    assert remaining_seconds() is None
    assert budget(7.5) == 7.5
    assert whole_seconds_budget(5) == 5


def test_a_wait_gets_what_is_left_when_that_is_less_than_its_bound() -> None:
    with deadline_after(2):
        assert 1 < budget(10) <= 2
        assert budget(0.5) == 0.5
        assert whole_seconds_budget(10) == 2  # rounded up: pyodbc counts whole seconds
    assert remaining_seconds() is None


def test_nothing_may_wait_once_the_deadline_has_passed() -> None:
    with deadline_after(0), pytest.raises(DeadlineExceeded):
        budget(10)


def test_an_inner_deadline_never_extends_the_outer_one() -> None:
    with deadline_after(1), deadline_after(100):
        assert budget(50) <= 1


def test_a_reserve_ends_the_block_earlier_and_is_given_back_after_it() -> None:
    with deadline_after(3):
        with reserving(1):
            assert 1 < budget(10) <= 2
        assert 2 < budget(10) <= 3
        with reserving(5), pytest.raises(DeadlineExceeded):
            budget(10)
    with reserving(1):
        assert remaining_seconds() is None
