"""Writes of an event racing its erasure, in the orders the protocol model found
(tests/unit/erasure_model.py: each test is a counterexample to the variant of the protocol
without one safeguard), run by the real resolver against SQLite and each DynamoDB emulator
(moto, dynalite). Every request runs in a thread of its own and makes its store calls when the
test says (tests/interleaving.py); a request the test runs itself runs straight through."""

import uuid
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from persistence.details import DynamoDetailStore
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord, Fence
from resolvers import EventResolver
from schema.access import Caller
from schema.errors import EventBeingErased, EventNotFound, StoreUnavailable
from schema.events import EventListQuery
from schema.limits import Limits
from schema.outcome import Outcome
from tests.factories import make_event
from tests.interleaving import Interleaving

ANYONE = Caller.anyone()


@pytest.fixture
def metadata(engine: Engine) -> SqlMetadataStore:
    return SqlMetadataStore(engine)


@pytest.fixture
def details(client: Any, details_table: str) -> DynamoDetailStore:
    return DynamoDetailStore(details_table, client)


@pytest.fixture
def turns(metadata: SqlMetadataStore, details: DynamoDetailStore) -> Interleaving:
    return Interleaving(metadata, details)


@pytest.fixture
def api(turns: Interleaving) -> EventResolver:
    return EventResolver(turns.metadata, turns.details, limits=Limits(), cursor_secret=b"k" * 32)


def new_event() -> dict[str, Any]:
    return make_event(eventId=str(uuid.uuid4()), details={"page": "/pricing", "n": 1})


def assert_whole(api: EventResolver, event: dict[str, Any]) -> None:
    """The event reads back with its details, and is listed: visible and whole."""
    stored = api.get_event(event["userId"], event["eventId"], caller=ANYONE)
    assert stored.details == event["details"]
    page = api.list_events(event["userId"], EventListQuery(), caller=ANYONE)
    assert [str(listed.event_id) for listed in page.events] == [event["eventId"]]


def assert_gone(
    api: EventResolver,
    metadata: SqlMetadataStore,
    details: DynamoDetailStore,
    event: dict[str, Any],
) -> None:
    """Nothing of the event: not readable, its row a fence, no details item."""
    with pytest.raises(EventNotFound):
        api.get_event(event["userId"], event["eventId"], caller=ANYONE)
    assert isinstance(metadata.get_many([event["eventId"]])[event["eventId"]], Fence)
    assert details.versions([event["eventId"]]) == {}


def test_a_batch_that_claimed_before_a_post_and_an_erasure_of_its_event_records_it_whole(
    turns: Interleaving, api: EventResolver, metadata: SqlMetadataStore
) -> None:
    """The race reported from outside (10 of 10 trials on the old protocol): a batch claims X;
    a single POST of the same X claims and commits (201); a DELETE erases X; the batch then
    inserts X's row. The old erasure deleted the item whose latest claim was the POST's, with
    the batch's claim in it, and the batch's row committed without details: 'created', then
    404. Now the batch meets the fence, claims again, and its event is whole."""
    event = new_event()
    turns.start("batch", lambda: api.record_events({"events": [event]}, caller=ANYONE))
    turns.step("batch", "metadata.get_many", "details.claim_many")
    assert api.record_event(event, caller=ANYONE).created
    api.delete_event(event["userId"], event["eventId"], caller=ANYONE)
    (outcome,) = turns.finish("batch")
    assert outcome.outcome is Outcome.CREATED
    assert_whole(api, event)
    assert isinstance(metadata.get(event["eventId"]), EventRecord)


def test_a_write_that_meets_a_fence_it_did_not_see_claims_again_before_replacing_it(
    turns: Interleaving, api: EventResolver
) -> None:
    """The model's trace without the second claim: P saw nothing and claimed; W committed
    first; the erasure deleted the item (P's claim in it) and fenced the row; P's commit meets
    the fence. Replacing it with the claim made before would commit a row without details."""
    event = new_event()
    turns.start("P", lambda: api.record_event(event, caller=ANYONE))
    turns.step("P", "metadata.get_many", "details.claim_many")
    assert api.record_event(event, caller=ANYONE).created  # W
    turns.step("P", "metadata.insert_many")  # the row is W's: a duplicate
    api.delete_event(event["userId"], event["eventId"], caller=ANYONE)
    turns.step("P", "metadata.get_many", "details.claim_many", "metadata.insert_many")
    assert turns.finish("P").created
    assert_whole(api, event)


def test_a_write_replaces_only_the_fence_it_saw(turns: Interleaving, api: EventResolver) -> None:
    """P saw fence F1 and claimed; Q recorded the event anew over F1 (joining P's item), and a
    second erasure deleted that item and left fence F2. P's commit must not replace F2: its
    claim is gone with the item."""
    event = new_event()
    assert api.record_event(event, caller=ANYONE).created
    api.delete_event(event["userId"], event["eventId"], caller=ANYONE)
    turns.start("P", lambda: api.record_event(event, caller=ANYONE))
    turns.step("P", "metadata.get_many", "details.claim_many")
    assert api.record_event(event, caller=ANYONE).created  # Q, over F1
    api.delete_event(event["userId"], event["eventId"], caller=ANYONE)  # F2
    turns.step("P", "metadata.insert_many", "metadata.get_many", "details.claim_many")
    assert turns.finish("P").created
    assert_whole(api, event)


def test_an_erasure_whose_rows_its_retry_took_over_leaves_a_later_event_whole(
    turns: Interleaving, api: EventResolver
) -> None:
    """E marked the row, then its retry took the row over, deleted the item and fenced the row,
    and P recorded the event anew. E's delete finds the item changed and reads P's version:
    deleting at that version would take P's details, so E deletes again only while the row is
    still its own mark. It is not (P's event): E answers 503, and P's event stays whole."""
    event = new_event()
    assert api.record_event(event, caller=ANYONE).created
    user, event_id = event["userId"], event["eventId"]
    turns.start("E", lambda: api.delete_event(user, event_id, caller=ANYONE))
    turns.step("E", "metadata.user_event_ids", "details.versions", "metadata.mark_erasing")
    api.delete_event(user, event_id, caller=ANYONE)  # the retry
    assert api.record_event(event, caller=ANYONE).created  # P
    turns.step(
        "E",
        "details.delete_unchanged",
        "details.versions",
        "metadata.still_marked",
        "metadata.user_event_ids",
    )
    with pytest.raises(StoreUnavailable):
        turns.finish("E")
    assert_whole(api, event)


def test_details_claimed_between_an_erasures_version_read_and_its_mark_are_deleted_too(
    turns: Interleaving,
    api: EventResolver,
    metadata: SqlMetadataStore,
    details: DynamoDetailStore,
) -> None:
    """E marked the row and deleted the item, then stopped before its fence; its retry read no
    item; P (which had seen no row) claimed, making the item again; the retry then marked the
    row. The item read as absent is deleted only 'if still absent', which fails: the retry
    reads it again and deletes it, and its fence leaves nothing of the event. P's commit then
    meets the fence, claims again, and records the event anew."""
    event = new_event()
    user, event_id = event["userId"], event["eventId"]
    turns.start("P", lambda: api.record_event(event, caller=ANYONE))
    turns.step("P", "metadata.get_many")
    assert api.record_event(event, caller=ANYONE).created  # W
    turns.start("E", lambda: api.delete_event(user, event_id, caller=ANYONE))
    turns.step(
        "E",
        "metadata.user_event_ids",
        "details.versions",
        "metadata.mark_erasing",
        "details.delete_unchanged",
    )
    turns.start("retry", lambda: api.delete_event(user, event_id, caller=ANYONE))
    turns.step("retry", "metadata.user_event_ids", "details.versions")
    turns.step("P", "details.claim_many")
    turns.step(
        "retry",
        "metadata.mark_erasing",
        "details.delete_unchanged",
        "details.versions",
        "metadata.still_marked",
        "details.delete_unchanged",
        "metadata.fence",
    )
    turns.finish("retry")
    assert_gone(api, metadata, details, event)
    assert turns.finish("P").created
    assert_whole(api, event)
    with pytest.raises(StoreUnavailable):
        turns.finish("E")  # its mark was taken over, and the user has the event again


def test_a_replay_that_restores_details_of_an_event_being_erased_withdraws_them(
    turns: Interleaving,
    api: EventResolver,
    metadata: SqlMetadataStore,
    details: DynamoDetailStore,
) -> None:
    """P saw the event, then E marked it and deleted its item; P's replay finds no details and
    puts them back (as for details lost outside the API), then checks the row again: it is
    being erased, so P withdraws the item and answers 503. Answering 200 would vouch for an
    erased event and leave its details behind E's fence."""
    event = new_event()
    assert api.record_event(event, caller=ANYONE).created
    user, event_id = event["userId"], event["eventId"]
    turns.start("P", lambda: api.record_event(event, caller=ANYONE))
    turns.step("P", "metadata.get_many")
    turns.start("E", lambda: api.delete_event(user, event_id, caller=ANYONE))
    turns.step(
        "E",
        "metadata.user_event_ids",
        "details.versions",
        "metadata.mark_erasing",
        "details.delete_unchanged",
    )
    turns.step("P", "details.get_many", "details.claim", "metadata.get_many", "details.release")
    with pytest.raises(EventBeingErased):
        turns.finish("P")
    turns.finish("E")
    assert_gone(api, metadata, details, event)


def test_a_write_that_meets_a_row_being_erased_answers_503_and_its_repeat_records_anew(
    turns: Interleaving, api: EventResolver
) -> None:
    event = new_event()
    assert api.record_event(event, caller=ANYONE).created
    user, event_id = event["userId"], event["eventId"]
    turns.start("E", lambda: api.delete_event(user, event_id, caller=ANYONE))
    turns.step("E", "metadata.user_event_ids", "details.versions", "metadata.mark_erasing")
    with pytest.raises(EventBeingErased) as refused:
        api.record_event(event, caller=ANYONE)
    assert refused.value.store == "metadata"
    turns.finish("E")
    assert api.record_event(event, caller=ANYONE).created
    assert_whole(api, event)
