"""The DynamoDB details store against moto's server, and botocore's Stubber for throttling."""

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber
from moto.dynamodb.models.table import Table

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.protocols import DetailsClaimedByOther, ItemVersion
from schema.errors import StoreUnavailable
from schema.jsonvalue import normal_number, parse_json
from tests.integration.conftest import DENIED, THROTTLED
from tests.strategies import EDGE_NUMBERS, number_code


def new_id() -> str:
    return str(uuid.uuid4())


def test_details_are_stored_as_a_native_map_beside_the_user(
    detail_store: DynamoDetailStore, client: Any, details_table: str
) -> None:
    event_id = new_id()
    detail_store.claim(event_id, "u1", {"a": {"b": [Decimal(1), "x"]}}, "h", "w1")
    item = client.get_item(TableName=details_table, Key={"eventId": {"S": event_id}})["Item"]
    assert item["details"] == {"M": {"a": {"M": {"b": {"L": [{"N": "1"}, {"S": "x"}]}}}}}
    assert item["userId"] == {"S": "u1"}


def test_numbers_and_unicode_round_trip_exactly(detail_store: DynamoDetailStore) -> None:
    event_id = new_id()
    details = parse_json(
        '{"big": 12345678901234567890123456789012345678, "small": 1E-130, "neg": -0.5,'
        ' "text": "żółw 🐢 \\u0000 end",'
        ' "nested": [[{"x": 3.14159265358979323846264338327950288}]]}'
    )
    detail_store.claim(event_id, "u", details, "h", "w")
    assert detail_store.get_many([event_id]) == {event_id: details}


def test_every_number_the_rules_allow_reads_back_equal_and_spelled_the_same_on_both_emulators(
    detail_store: DynamoDetailStore, client: Any, details_table: str
) -> None:
    """dynalite answers numbers as DynamoDB does (zeros trimmed, 1E+40 written out in full,
    which boto3's own deserializer refuses); moto answers what it was sent. Both read back the
    same values in the same spelling."""
    storable = [Decimal(text) for text in EDGE_NUMBERS if number_code(Decimal(text)) is None]
    details = {"list": storable, "map": {str(i): n for i, n in enumerate(storable)}}
    event_id = new_id()
    detail_store.claim(event_id, "u", details, "h", "w")
    read = detail_store.get_many([event_id])[event_id]
    assert read == details
    assert [str(number) for number in read["list"]] == [str(normal_number(n)) for n in storable]
    item = client.get_item(TableName=details_table, Key={"eventId": {"S": event_id}})["Item"]
    sent = [number["N"] for number in item["details"]["M"]["list"]["L"]]
    assert all(Decimal(text) == number for text, number in zip(sent, storable, strict=True))


@pytest.mark.parametrize("table", ["__proto__", "constructor", "hasOwnProperty", "toString"])
def test_a_details_table_named_like_an_object_member_serves_every_call(
    client: Any, table: str
) -> None:
    """Table names key the requests and answers of BatchGetItem: a name JavaScript gives a
    meaning of its own is a name like any other."""
    ensure_details_table(client, table)
    store, event_id = DynamoDetailStore(table, client), new_id()
    store.claim(event_id, "u", {"__proto__": {"constructor": [Decimal(1)]}}, "h", "w1")
    store.claim(event_id, "u", {"__proto__": {"constructor": [Decimal(1)]}}, "h", "w2")
    store.release(event_id, "w2")
    assert store.get_many([event_id]) == {event_id: {"__proto__": {"constructor": [Decimal(1)]}}}
    (version,) = store.versions([event_id]).values()
    assert (version.event_id, version.claim_token) == (event_id, "w2")
    scanned = [found for page in store.scan(0, 1) for found in page.items]
    assert version in scanned
    assert store.delete_unchanged([version]) == []
    assert store.get_many([event_id]) == {}


def test_an_identical_claim_joins_and_a_different_one_is_refused(
    detail_store: DynamoDetailStore,
) -> None:
    event_id = new_id()
    detail_store.claim(event_id, "u", {"v": Decimal(1)}, "same", "w1")
    detail_store.claim(event_id, "u", {"v": Decimal(1)}, "same", "w2")
    with pytest.raises(DetailsClaimedByOther):
        detail_store.claim(event_id, "u", {"v": Decimal(2)}, "other", "w3")
    assert detail_store.get_many([event_id]) == {event_id: {"v": Decimal(1)}}


def test_concurrent_identical_claims_all_join_the_one_item(
    detail_store: DynamoDetailStore, client: Any, details_table: str, monkeypatch: Any
) -> None:
    """DynamoDB applies each write to an item atomically; the embedded emulator must too.
    moto's UpdateItem stores the bare key before the attributes: widened here by a pause, that
    gap would make a concurrent claim see a half-made item and refuse it, or overwrite it."""
    put_item = Table.put_item

    def slow_put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        stored = put_item(self, *args, **kwargs)
        time.sleep(0.05)
        return stored

    monkeypatch.setattr(Table, "put_item", slow_put_item)
    event_id = new_id()
    writers = [f"w{number}" for number in range(8)]
    with ThreadPoolExecutor(len(writers)) as pool:
        claims = [
            pool.submit(detail_store.claim, event_id, "u", {"v": Decimal(1)}, "same", writer)
            for writer in writers
        ]
        for claim in claims:
            claim.result()
    item = client.get_item(TableName=details_table, Key={"eventId": {"S": event_id}})["Item"]
    assert sorted(item["writers"]["SS"]) == sorted(writers)


def test_the_item_goes_only_when_its_last_writer_withdraws(
    detail_store: DynamoDetailStore,
) -> None:
    event_id = new_id()
    detail_store.claim(event_id, "u", {}, "h", "w1")
    detail_store.claim(event_id, "u", {}, "h", "w2")
    detail_store.release(event_id, "w1")
    assert event_id in detail_store.get_many([event_id])
    detail_store.release(event_id, "stranger")
    assert event_id in detail_store.get_many([event_id])
    detail_store.release(event_id, "w2")
    assert detail_store.get_many([event_id]) == {}


def test_a_conditional_delete_deletes_what_is_unchanged_and_names_what_changed(
    detail_store: DynamoDetailStore,
) -> None:
    """Erasure's deletes: an item still at the version read goes; one read as absent and still
    absent is left absent; one claimed since (made again, or claimed by another writer, or
    gone) is kept and named, for the erasure to read again."""
    unchanged, absent, made, claimed, gone = (new_id() for _ in range(5))
    for event_id in (unchanged, claimed, gone):
        detail_store.claim(event_id, "u", {"k": 1}, "h", "w1")
    read = detail_store.versions([unchanged, absent, made, claimed, gone])
    detail_store.claim(made, "u", {"k": 1}, "h", "w2")
    detail_store.claim(claimed, "u", {"k": 1}, "h", "w2")
    detail_store.release(gone, "w1")
    versions = [
        read[unchanged],
        ItemVersion.absent(absent),
        ItemVersion.absent(made),
        read[claimed],
        read[gone],
    ]
    assert detail_store.delete_unchanged(versions) == [made, claimed, gone]
    assert set(detail_store.versions([unchanged, absent, made, claimed, gone])) == {made, claimed}


def test_get_many_batches_100_keys_per_call(detail_store: DynamoDetailStore, client: Any) -> None:
    ids = [new_id() for _ in range(250)]
    for event_id in ids:
        detail_store.claim(event_id, "u", {"i": Decimal(1)}, "h", "w")
    calls: list[int] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.BatchGetItem",
        lambda params, **_: calls.append(len(next(iter(params["RequestItems"].values()))["Keys"])),
    )
    found = detail_store.get_many(ids)
    assert set(found) == set(ids)
    assert calls == [100, 100, 50]


def stubbed(client: Any, table: str, **options: Any) -> tuple[DynamoDetailStore, Stubber]:
    sleeps: list[float] = []
    store = DynamoDetailStore(table, client, sleep=sleeps.append, **options)
    return store, Stubber(client)


def keys(*event_ids: str) -> list[dict[str, Any]]:
    return [{"eventId": {"S": event_id}} for event_id in event_ids]


def test_unprocessed_keys_are_retried_until_answered(client: Any, details_table: str) -> None:
    store, stub = stubbed(client, details_table)
    a, b = new_id(), new_id()
    table_request = {"ConsistentRead": True}
    stub.add_response(
        "batch_get_item",
        {
            "Responses": {details_table: [{"eventId": {"S": a}, "details": {"M": {}}}]},
            "UnprocessedKeys": {details_table: {"Keys": keys(b), **table_request}},
        },
        {"RequestItems": {details_table: {"Keys": keys(a, b), **table_request}}},
    )
    stub.add_response(
        "batch_get_item",
        {
            "Responses": {
                details_table: [{"eventId": {"S": b}, "details": {"M": {"k": {"S": "v"}}}}]
            }
        },
        {"RequestItems": {details_table: {"Keys": keys(b), **table_request}}},
    )
    with stub:
        assert store.get_many([a, b]) == {a: {}, b: {"k": "v"}}
    stub.assert_no_pending_responses()


def test_keys_never_processed_make_the_store_unavailable_not_a_short_page(
    client: Any, details_table: str
) -> None:
    store, stub = stubbed(client, details_table, unprocessed_retries=2)
    a = new_id()
    unprocessed = {"UnprocessedKeys": {details_table: {"Keys": keys(a)}}, "Responses": {}}
    for _ in range(3):
        stub.add_response("batch_get_item", unprocessed)
    with stub, pytest.raises(StoreUnavailable) as failure:
        store.get_many([a])
    assert failure.value.store == "details"
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_throttling_and_server_errors_make_the_store_unavailable(
    client: Any, details_table: str, code: str
) -> None:
    store, stub = stubbed(client, details_table)
    stub.add_client_error("batch_get_item", service_error_code=code, http_status_code=400)
    stub.add_client_error("update_item", service_error_code=code, http_status_code=400)
    with stub:
        with pytest.raises(StoreUnavailable):
            store.get_many([new_id()])
        with pytest.raises(StoreUnavailable):
            store.claim(new_id(), "u", {}, "h", "w")
    stub.assert_no_pending_responses()


def test_a_throttled_call_is_attempted_again_up_to_max_attempts(
    settings: Settings, scripted_dynamodb: Any
) -> None:
    table = {"Table": {"TableName": "t", "TableStatus": "ACTIVE"}}
    endpoint = scripted_dynamodb([THROTTLED, (200, table), THROTTLED, THROTTLED, THROTTLED], DENIED)
    client = dynamodb_client(settings, endpoint.url)
    store = DynamoDetailStore("t", client, max_attempts=3, backoff_base_seconds=0.001)
    store.ping()
    assert endpoint.calls == 2
    with pytest.raises(StoreUnavailable):
        store.ping()
    assert endpoint.calls == 5
    with pytest.raises(StoreUnavailable):
        store.ping()  # not transient: one attempt
    assert endpoint.calls == 6


def test_an_unreachable_endpoint_makes_the_store_unavailable(details_table: str) -> None:
    from gateway.settings import Settings
    from gateway.stores import dynamodb_client
    from tests.conftest import TEST_CURSOR_SECRET, closed_port

    settings = Settings(
        database_url="sqlite://",
        dynamodb_endpoint=f"http://127.0.0.1:{closed_port()}",
        cursor_secret=TEST_CURSOR_SECRET,
        dynamodb_max_attempts=1,
    )
    store = DynamoDetailStore(details_table, dynamodb_client(settings, settings.dynamodb_endpoint))
    with pytest.raises(StoreUnavailable):
        store.ping()
    with pytest.raises(StoreUnavailable):
        store.get_many([new_id()])


def test_sandboxes_restored_from_one_snapshot_pause_for_different_times(
    client: Any, details_table: str
) -> None:
    """SnapStart restores every sandbox with the interpreter's state of the snapshot, `random`'s
    included: the pauses between retries of throttled reads must not come from it."""
    snapshot = random.getstate()
    pauses: list[list[float]] = []
    for _sandbox in range(2):
        random.setstate(snapshot)
        sleeps: list[float] = []
        store = DynamoDetailStore(details_table, client, sleep=sleeps.append)
        stub = Stubber(client)
        unprocessed = {details_table: {"Keys": keys("a"), "ConsistentRead": True}}
        for _ in range(4):
            stub.add_response("batch_get_item", {"UnprocessedKeys": unprocessed})
        stub.add_response("batch_get_item", {"Responses": {details_table: []}})
        with stub:
            assert store.get_many(["a"]) == {}
        pauses.append(sleeps)
    assert len(pauses[0]) == len(pauses[1]) == 4
    assert pauses[0] != pauses[1]
