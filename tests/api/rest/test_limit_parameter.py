"""`limit` as each operation reads it (docs/rest.md, Limits: "How `limit` is read"): plain
digits from 1 to 1000 on both; the listing also takes what pydantic reads as an integer, the
erasure only ASCII digits."""

import pytest
from fastapi.testclient import TestClient

from tests.docs import ROOT
from tests.factories import unique_user

# Spellings the listing reads as 20 and the erasure refuses.
LENIENT_SPELLINGS = [" 20", "20 ", "+20", "20.0", "2_0"]
# The last is 20 in fullwidth digits.
REFUSED_BY_BOTH = ["0", "1001", "-1", "20.5", "1e1", "0x14", "", "\uff12\uff10"]


@pytest.mark.parametrize("spelling", ["20", "020", *LENIENT_SPELLINGS])
def test_the_listing_reads_plain_digits_and_pydantic_integers(
    client: TestClient, spelling: str
) -> None:
    user = unique_user()
    answer = client.get(f"/events/{user}", params={"limit": spelling})
    assert answer.status_code == 200
    assert answer.json() == {"userId": user, "events": [], "nextCursor": None}


@pytest.mark.parametrize("spelling", ["20", "020"])
def test_the_erasure_reads_plain_digits(client: TestClient, spelling: str) -> None:
    user = unique_user()
    answer = client.delete(f"/events/{user}", params={"limit": spelling})
    assert answer.status_code == 200
    assert answer.json() == {"userId": user, "deleted": 0, "more": False}


@pytest.mark.parametrize("spelling", LENIENT_SPELLINGS + REFUSED_BY_BOTH)
def test_the_erasure_refuses_anything_but_ascii_digits_from_1_to_1000(
    client: TestClient, spelling: str
) -> None:
    answer = client.delete(f"/events/{unique_user()}", params={"limit": spelling})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "field": "limit",
            "message": "`limit` must be an integer from 1 to 1000",
            "code": "erase_limit",
        }
    ]


@pytest.mark.parametrize("spelling", REFUSED_BY_BOTH)
def test_the_listing_refuses_what_is_no_integer_from_1_to_1000(
    client: TestClient, spelling: str
) -> None:
    answer = client.get(f"/events/{unique_user()}", params={"limit": spelling})
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == "limit"
    assert error["code"] in {"int_parsing", "greater_than_equal", "less_than_equal"}


def test_rest_md_says_what_each_operation_reads() -> None:
    text = (ROOT / "docs" / "rest.md").read_text()
    said = text.split("**How `limit` is read.**", 1)[1].split("\n", 1)[0]
    for spelling in LENIENT_SPELLINGS:
        assert f"`{spelling.strip()}`" in said, spelling
