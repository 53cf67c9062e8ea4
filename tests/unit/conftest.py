"""The fake world every unit test of the resolver layer starts from."""

import pytest

from tests.unit.fakes import World


@pytest.fixture
def world() -> World:
    return World()
