"""Event details in DynamoDB: one item per eventId, the details as a native map.

Writes are claims: an item records which write attempts rely on it (`writers`), so an attempt
that fails after writing can withdraw its own claim without deleting details that a concurrent,
identical attempt is about to make visible. Reads are batched (100 keys a call) and retry
`UnprocessedKeys` with backoff; a key is never dropped.

Each claim also stamps the item with its writer (`claimToken`) and time (`lastClaimAt`, epoch
ms): a deletion that read an item's version deletes it only if no claim came since (an erasure
learns of a claim made while it runs, and deletes again only while its rows are still marked:
`resolvers.erasure`), and the reconcile job only items last claimed long enough ago
that no write relying on them can still be in flight.

Single-item writes of a batch run several at a time (`persistence.parallel`): a conditional
UpdateItem or DeleteItem has no batch form. Withdrawals run in a pool of their own, so undoing a
failed write never waits behind other requests' claims.

Every call ends by the request's deadline (`persistence.deadline`). botocore still makes the
attempts and says which errors are transient (its standard retry checkers), but the store
decides whether another attempt is worth it: botocore's standard mode would sleep up to 20 s
between attempts and start attempts that cannot finish in time. So the client must make one
attempt per call by itself (`retries={"max_attempts": 1}`); each attempt's read timeout is what
is left of the deadline, and no pause runs past it.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)

from persistence.attribute_values import from_attribute, to_attribute
from persistence.deadline import DeadlineExceeded, budget, remaining_seconds
from persistence.metric_catalogue import DYNAMODB_RETRIES, DYNAMODB_THROTTLES
from persistence.parallel import BoundedParallel
from persistence.protocols import (
    Claim,
    ClaimResult,
    DetailsClaimedByOther,
    ItemVersion,
    ScanPage,
)
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.errors import StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

logger = logging.getLogger(__name__)
_JITTER = random.SystemRandom()

BATCH_GET_MAX_KEYS = 100
# Single-item writes of one batch in flight at once (each holds a pooled HTTP connection).
DEFAULT_PARALLEL_WRITES = 16
_CONDITION_FAILED = "ConditionalCheckFailedException"
# What a version read or a scan asks for: never the details themselves.
_VERSION_ATTRIBUTES = "eventId, claimToken, lastClaimAt"


class DynamoDetailStore:
    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient,
        *,
        max_attempts: int = 3,
        unprocessed_retries: int = 8,
        backoff_base_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        parallel_writes: int = DEFAULT_PARALLEL_WRITES,
        scan_page_items: int | None = None,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._table = table_name
        self._scan_page_items = scan_page_items
        self._client = client
        self._unprocessed_retries = unprocessed_retries
        self._backoff_base = backoff_base_seconds
        self._sleep = sleep
        self._clock_ms = clock_ms
        self._parallel = BoundedParallel(parallel_writes, name="dynamodb-write")
        self._withdrawals = BoundedParallel(parallel_writes, name="dynamodb-withdraw")
        bound_attempts_by_deadline(
            client, max_attempts=max_attempts, backoff=self._backoff, telemetry=telemetry
        )
        if telemetry.sink is not None or telemetry.tracer is not None:
            measure_calls(client, telemetry)

    def claim(
        self,
        event_id: str,
        user_id: str,
        details: dict[str, Any],
        content_hash: str,
        writer_id: str,
    ) -> None:
        try:
            with self._translated_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key={"eventId": {"S": event_id}},
                    UpdateExpression=(
                        "SET userId = if_not_exists(userId, :user), "
                        "details = if_not_exists(details, :details), "
                        "contentHash = if_not_exists(contentHash, :hash), "
                        "claimToken = :token, lastClaimAt = :now "
                        "ADD writers :writer"
                    ),
                    ConditionExpression="attribute_not_exists(eventId) OR contentHash = :hash",
                    ExpressionAttributeValues={
                        ":user": {"S": user_id},
                        ":details": to_attribute(details),
                        ":hash": {"S": content_hash},
                        ":token": {"S": writer_id},
                        ":now": {"N": str(self._clock_ms())},
                        ":writer": {"SS": [writer_id]},
                    },
                )
        except ClientError as exc:
            if _error_code(exc) == _CONDITION_FAILED:
                raise DetailsClaimedByOther(event_id) from exc
            raise

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        def claim(one: Claim) -> ClaimResult:
            self.claim(one.event_id, one.user_id, one.details, one.content_hash, one.writer_id)
            return "claimed"

        results: list[ClaimResult] = []
        for outcome in self._parallel.map(claim, claims):
            if isinstance(outcome, DetailsClaimedByOther):
                results.append("conflict")
            elif isinstance(outcome, DeadlineExceeded):
                results.append("not_started")
            elif isinstance(outcome, StoreUnavailable) and isinstance(
                outcome.__cause__, BotoCoreError
            ):
                results.append("unanswered")
            elif _unavailable(outcome):
                results.append("unavailable")
            elif isinstance(outcome, Exception):
                raise outcome
            else:
                results.append(outcome)
        return results

    def release_many(self, claims: Sequence[Claim]) -> None:
        def release(one: Claim) -> None:
            self.release(one.event_id, one.writer_id)

        failures = self._withdrawals.map(release, claims)
        left = sum(_unavailable(failure) for failure in failures)
        if left:
            logger.warning("could not withdraw %d claims of a batch; left invisible", left)
        for failure in failures:
            if isinstance(failure, Exception) and not _unavailable(failure):
                raise failure

    def release(self, event_id: str, writer_id: str) -> None:
        key = {"eventId": {"S": event_id}}
        with self._translated_errors(ignore_condition_failure=True):
            # The common case in one call: the item is ours alone.
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="writers = :only",
                    ExpressionAttributeValues={":only": {"SS": [writer_id]}},
                )
                return
            except ClientError as exc:
                if _error_code(exc) != _CONDITION_FAILED:
                    raise
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="DELETE writers :writer",
                ConditionExpression="contains(writers, :id)",
                ExpressionAttributeValues={":writer": {"SS": [writer_id]}, ":id": {"S": writer_id}},
            )
            # DynamoDB drops a set that becomes empty: no attribute, no writer left.
            self._client.delete_item(
                TableName=self._table,
                Key=key,
                ConditionExpression="attribute_exists(eventId) AND attribute_not_exists(writers)",
            )

    def get_many(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        # Whole items, no ProjectionExpression: DynamoDB charges by item size either way
        # ("Projection expression has no effect on provisioned throughput consumption",
        # developerguide/Expressions.ProjectionExpressions.html).
        items = self._batch_get(event_ids, {})
        return {event_id: from_attribute(item["details"]) for event_id, item in items.items()}

    def versions(self, event_ids: Sequence[str]) -> dict[str, ItemVersion]:
        items = self._batch_get(event_ids, {"ProjectionExpression": _VERSION_ATTRIBUTES})
        return {event_id: _version(item) for event_id, item in items.items()}

    def delete_unchanged(
        self, versions: Sequence[ItemVersion], *, before_ms: int | None = None
    ) -> list[str]:
        def delete(version: ItemVersion) -> bool:
            return self._delete_if_unchanged(version, before_ms)

        outcomes = self._parallel.map(delete, versions)
        for outcome in outcomes:
            if isinstance(outcome, Exception) and not _unavailable(outcome):
                raise outcome
        if any(_unavailable(outcome) for outcome in outcomes):
            raise StoreUnavailable("details")
        return [
            version.event_id
            for version, outcome in zip(versions, outcomes, strict=True)
            if outcome is False
        ]

    def scan(self, segment: int, segments: int, *, after: str | None = None) -> Iterator[ScanPage]:
        """Scan pages hold up to 1 MB of items read (projected to their versions), or
        `scan_page_items` items.

        Eventually consistent reads, at half the cost of consistent ones: a version read stale
        (or an item missed) is harmless, since every deletion is conditional on the version
        still being current, and an item created after the scan passed is not yet an orphan.
        """
        request: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": _VERSION_ATTRIBUTES,
            "Segment": segment,
            "TotalSegments": segments,
        }
        if self._scan_page_items is not None:
            request["Limit"] = self._scan_page_items
        if after is not None:
            request["ExclusiveStartKey"] = {"eventId": {"S": after}}
        while True:
            with self._translated_errors():
                page = self._client.scan(**request)
            last = page.get("LastEvaluatedKey")
            items = [_version(item) for item in page.get("Items", [])]
            yield ScanPage(items, None if last is None else str(last["eventId"]["S"]))
            if last is None:
                return
            request["ExclusiveStartKey"] = last

    def ping(self) -> None:
        with self._translated_errors():
            self._client.describe_table(TableName=self._table)

    def close(self) -> None:
        self._parallel.close()
        self._withdrawals.close()

    def _delete_if_unchanged(self, version: ItemVersion, before_ms: int | None) -> bool:
        """Delete the item unless a claim came after `version` was read (or, with `before_ms`,
        since then): True if deleted (an absent item: still absent), False if kept."""
        values: dict[str, Any] = {}
        if not version.exists:
            # Nothing to delete, unless a claim made the item since: then it is kept, and the
            # caller learns it changed (DynamoDB checks a condition on a missing item as on one
            # without attributes, and deletes nothing).
            condition = "attribute_not_exists(eventId)"
        elif version.claim_token is None:
            condition = "attribute_exists(eventId) AND attribute_not_exists(claimToken)"
        else:
            condition = "claimToken = :token"
            values[":token"] = {"S": version.claim_token}
        if before_ms is not None:
            condition += " AND (attribute_not_exists(lastClaimAt) OR lastClaimAt < :before)"
            values[":before"] = {"N": str(before_ms)}
        options: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        try:
            with self._translated_errors():
                self._client.delete_item(
                    TableName=self._table,
                    Key={"eventId": {"S": version.event_id}},
                    ConditionExpression=condition,
                    **options,
                )
        except ClientError as exc:
            if _error_code(exc) == _CONDITION_FAILED:
                return False
            raise
        return True

    def _batch_get(
        self, event_ids: Sequence[str], options: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """Whole or projected items by eventId, 100 keys a call."""
        found: dict[str, dict[str, Any]] = {}
        unique_ids = list(dict.fromkeys(event_ids))
        for start in range(0, len(unique_ids), BATCH_GET_MAX_KEYS):
            chunk = unique_ids[start : start + BATCH_GET_MAX_KEYS]
            found.update(self._get_chunk(chunk, options))
        return found

    def _get_chunk(self, event_ids: list[str], options: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            self._table: {
                "Keys": [{"eventId": {"S": event_id}} for event_id in event_ids],
                "ConsistentRead": True,
                **options,
            }
        }
        found: dict[str, Any] = {}
        for attempt in range(self._unprocessed_retries + 1):
            with self._translated_errors():
                if attempt:
                    self._pause(self._backoff(attempt))
                response = self._client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(self._table, []):
                found[item["eventId"]["S"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        logger.warning(
            "BatchGetItem left keys unprocessed after %d retries", self._unprocessed_retries
        )
        raise StoreUnavailable("details")

    def _backoff(self, attempt: int) -> float:
        """Full jitter: spreads retries of many callers throttled at the same moment. Drawn from
        the operating system (SystemRandom), not from `random`'s state, which a SnapStart
        snapshot freezes: every sandbox restored from it would draw the same pauses."""
        return _JITTER.uniform(0, self._backoff_base * 2**attempt)

    def _pause(self, seconds: float) -> None:
        """Sleep before asking again, unless the deadline would pass first: then there is no
        time left to ask, and waiting would only delay the answer."""
        if not _time_for(seconds):
            raise DeadlineExceeded
        self._sleep(seconds)

    @contextmanager
    def _translated_errors(self, *, ignore_condition_failure: bool = False) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            code = _error_code(exc)
            if code == _CONDITION_FAILED:
                if ignore_condition_failure:
                    return
                raise
            if code in _STORE_PROBLEMS:
                logger.warning("details store refused: %s", code)
                raise StoreUnavailable("details") from exc
            raise
        except BotoCoreError as exc:
            logger.warning("details store unreachable: %s", type(exc).__name__)
            raise StoreUnavailable("details") from exc
        except DeadlineExceeded as exc:
            logger.warning("details store call cut by the request deadline")
            raise StoreUnavailable("details") from exc


_STORE_PROBLEMS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "ResourceNotFoundException",
        "LimitExceededException",
        "TransactionConflictException",
        "UnrecognizedClientException",
        "AccessDeniedException",
    }
)


def bound_attempts_by_deadline(
    client: DynamoDBClient,
    *,
    max_attempts: int,
    backoff: Callable[[int], float],
    telemetry: Telemetry = NO_TELEMETRY,
) -> None:
    """Hooks into `client` (once per client): each attempt's read timeout is at most what is
    left of the request's deadline (botocore reads a per-request `read_timeout` from the request
    context), no attempt starts once nothing is left, and a transient failure is attempted again,
    up to `max_attempts`, only if the pause before it ends before the deadline. The connect
    timeout stays the client's own."""
    configured: float = getattr(client.meta.config, "read_timeout")  # noqa: B009 (not in stubs)

    def within_deadline(request: Any, **_: Any) -> None:
        request.context["read_timeout"] = budget(configured)

    def another_attempt(
        attempts: int,
        response: tuple[Any, dict[str, Any]] | None = None,
        caught_exception: Exception | None = None,
        **_: Any,
    ) -> float | None:
        """botocore's `needs-retry`: seconds to pause before the next attempt, or None."""
        http_response, parsed = response if response is not None else (None, None)
        context = RetryContext(
            attempt_number=attempts,
            parsed_response=parsed,
            http_response=http_response,
            caught_exception=caught_exception,
        )
        if _THROTTLED.is_retryable(context):
            telemetry.add(DYNAMODB_THROTTLES)
        if attempts >= max_attempts or not any(c.is_retryable(context) for c in _TRANSIENT):
            return None
        pause = backoff(attempts)
        if not _time_for(pause):
            return None
        telemetry.add(DYNAMODB_RETRIES)
        return pause

    events = client.meta.events
    events.register("before-send.dynamodb", within_deadline, unique_id="eventlog-deadline")
    # The stubs type handlers as returning None; `needs-retry` handlers answer the pause.
    events.register(
        "needs-retry.dynamodb",
        another_attempt,  # type: ignore[arg-type]
        unique_id="eventlog-attempts",
    )


# What botocore's standard mode retries: throttling, 5xx, connections that failed or timed out.
_THROTTLED = ThrottledRetryableChecker()
_TRANSIENT = (TransientRetryableChecker(), _THROTTLED)


def measure_calls(client: DynamoDBClient, telemetry: Telemetry) -> None:
    """Each DynamoDB operation's time, all its attempts together, and its span, by operation;
    a failed one counted by kind. (botocore's own events: `before-call` and `after-call` wrap
    the attempts and their pauses.)"""

    def began(model: Any, context: dict[str, Any], **_: Any) -> None:
        span = None
        if telemetry.tracer is not None:
            span = telemetry.start_span(
                f"details {model.name}", **{"db.operation.name": model.name}
            )
        context["eventlog.call"] = (model.name, time.perf_counter(), span)

    def ended(context: dict[str, Any], parsed: Any = None, **_: Any) -> None:
        code = str((parsed or {}).get("Error", {}).get("Code", ""))
        status = (parsed or {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
        _call_ended(context, None if code == _CONDITION_FAILED else _kind_of(code, status))

    def failed(context: dict[str, Any], exception: Exception, **_: Any) -> None:
        _call_ended(context, _exception_kind(exception))

    def _call_ended(context: dict[str, Any], failure: str | None) -> None:
        started = context.pop("eventlog.call", None)
        if started is None:
            return
        name, start, span = started
        telemetry.call_ended("details", name, time.perf_counter() - start, failure)
        telemetry.end_span(span, failure)

    events = client.meta.events
    events.register("before-call.dynamodb", began, unique_id="eventlog-measure-began")
    events.register("after-call.dynamodb", ended, unique_id="eventlog-measure-ended")
    events.register("after-call-error.dynamodb", failed, unique_id="eventlog-measure-failed")


_THROTTLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_REFUSED_CODES = frozenset(
    {"ResourceNotFoundException", "UnrecognizedClientException", "AccessDeniedException"}
)


def _kind_of(code: str, status: int) -> str | None:
    """A DynamoDB error answer's kind, or None for an answer that is no failure."""
    if not code:
        return None
    if code in _THROTTLE_CODES:
        return "throttle"
    return "refused" if code in _REFUSED_CODES else "error" if status >= 400 else None


def _exception_kind(exc: Exception) -> str:
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError | DeadlineExceeded):
        return "timeout"
    return "refused" if isinstance(exc, EndpointConnectionError) else "error"


def _version(item: dict[str, Any]) -> ItemVersion:
    token = item.get("claimToken")
    claimed = item.get("lastClaimAt")
    return ItemVersion(
        event_id=item["eventId"]["S"],
        claim_token=None if token is None else cast(str, token["S"]),
        last_claim_ms=None if claimed is None else int(claimed["N"]),
    )


def _unavailable(outcome: object) -> bool:
    """A call that failed as the store's (or that the deadline refused before it started)."""
    return isinstance(outcome, StoreUnavailable | DeadlineExceeded)


def _time_for(pause: float) -> bool:
    """Whether a pause of `pause` seconds ends before the deadline."""
    left = remaining_seconds()
    return left is None or left > pause


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def ensure_details_table(client: DynamoDBClient, table_name: str) -> None:
    """Local modes only: in AWS the table belongs to the SAM template."""
    try:
        client.create_table(
            TableName=table_name,
            KeySchema=[{"AttributeName": "eventId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "eventId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if _error_code(exc) != "ResourceInUseException":
            raise
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
