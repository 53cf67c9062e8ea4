"""The protocol model (tests/unit/erasure_model.py) searched exhaustively: every interleaving of
writers of one event, erasure calls of its user, the client's retry and the reconcile job, with
crashes and store failures, holds every invariant; and each safeguard of the protocol is needed:
without it, the search finds the interleaving that breaks it (each of which
tests/integration/test_erasure_races.py runs against the real code and stores)."""

import pytest

from tests.unit.erasure_model import (
    Actor,
    Model,
    Protocol,
    explore,
    job_finishes,
    retry_completes,
    violations,
)

W, P, Q = Actor("W", "writer"), Actor("P", "writer"), Actor("Q", "writer", content="B")
E, RETRY = Actor("E", "eraser"), Actor("retry", "eraser")
CHECKS = (violations, retry_completes, job_finishes)
# Two writers of the same event, an erasure and its retry: the race reported from outside.
RACE = (W, P, E, RETRY)

CONFIGURATIONS = {
    "two writers of the event, an erasure and its retry": RACE,
    "writers of other content, an erasure and its retry": (W, Q, E, RETRY),
    "a writer, an erasure, its retry, the job with --apply": (
        W,
        E,
        RETRY,
        Actor("job", "job", apply=True),
    ),
    "two writers, an erasure nobody retries, a dry-run job": (W, P, E, Actor("job", "job")),
}


@pytest.mark.slow
@pytest.mark.parametrize("actors", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
def test_every_interleaving_keeps_every_promise(actors: tuple[Actor, ...]) -> None:
    """No visible row without its details; a writer's 2xx true when it answered; an erasure's
    2xx leaves nothing of the event it found and no details under its fence; from any state the
    client's retry alone answers 2xx and leaves nothing of the event; once the grace period
    has passed, one run of the job (dry or not) finishes what erasures left and purges fences."""
    explored = explore(Model(actors, Protocol()), CHECKS)
    assert explored.counterexample is None


def test_the_old_protocol_loses_the_details_of_a_created_event_in_the_reported_race() -> None:
    """Rows first, then the item unless claimed since its version was read (today's erasure
    until this change, its failure path aside): P's claim came before the erasure read P's
    version, P's row commits after the row was deleted, then the item goes."""
    explored = explore(Model(RACE, Protocol(fences=False)), (violations,))
    assert explored.counterexample is not None
    assert explored.counterexample == (
        "a visible row without its details",
        (
            "W: select: nothing, claim",
            "W: claim",
            "P: select: nothing, claim",
            "W: commit: 201 created",
            "P: claim",
            "E: select: live",
            "E: versions: P.0",
            "E: delete row",
            "P: commit: 201 created",
            "E: delete item: 200",
        ),
    )


SAFEGUARDS = {
    # A writer that meets a fence claims again: its first claim went with the item.
    "reclaim": (
        "a visible row without its details",
        (
            "W: select: nothing, claim",
            "W: claim",
            "P: select: nothing, claim",
            "W: commit: 201 created",
            "P: claim",
            "P: commit: the row changed",
            "E: select: live",
            "E: versions: P.0",
            "E: mark",
            "E: delete",
            "E: fence: erased",
            "P: reread: fence, again",
            "P: commit: 201 created",
        ),
    ),
    # A writer replaces only the fence it saw before its claim.
    "fence_nonce": (
        "a visible row without its details",
        (
            "W: select: nothing, claim",
            "W: claim",
            "P: select: nothing, claim",
            "W: commit: 201 created",
            "P: claim",
            "E: select: live",
            "E: versions: P.0",
            "E: mark",
            "E: delete",
            "E: fence: erased",
            "P: commit: 201 created",
        ),
    ),
    # An erasure deletes again only while the row is still its own mark.
    "confirm": (
        "a visible row without its details",
        (
            "W: select: nothing, claim",
            "W: claim",
            "W: commit: 201 created",
            "E: select: live",
            "E: versions: W.0",
            "E: mark",
            "retry: select: erasing",
            "retry: versions: W.0",
            "retry: mark",
            "retry: delete",
            "E: delete: the item changed",
            "retry: fence: erased",
            "P: select: fence, claim",
            "P: claim",
            "P: commit: 201 created",
            "E: versions: P.0",
            "E: delete",
        ),
    ),
    # An item read as absent is deleted 'if still absent', so a claim made since is seen.
    "absent_checked": (
        "a fence over details its erasure did not delete",
        (
            "W: select: nothing, claim",
            "W: claim",
            "P: select: nothing, claim",
            "W: commit: 201 created",
            "E: select: live",
            "E: versions: W.0",
            "E: mark",
            "E: delete",
            "retry: select: erasing",
            "retry: versions: -",
            "P: claim applied, answer lost",
            "retry: mark",
            "retry: delete",
            "retry: fence: erased",
        ),
    ),
    # A replay that puts back missing details checks the row is still the event.
    "restore_check": (
        "P answered replayed for an event not visible then",
        (
            "W: select: nothing, claim",
            "W: claim",
            "W: commit: 201 created",
            "P: select: the same event",
            "E: select: live",
            "E: versions: W.0",
            "E: mark",
            "E: delete",
            "P: details missing: restore them",
            "P: claim",
            "P: still stored: 200 replayed",
        ),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("safeguard", SAFEGUARDS)
def test_without_each_safeguard_the_search_finds_the_interleaving_that_breaks_it(
    safeguard: str,
) -> None:
    without = Protocol()._replace(**{safeguard: False})
    explored = explore(Model(RACE, without), CHECKS)
    assert explored.counterexample == SAFEGUARDS[safeguard]


def test_a_job_that_only_scans_leaves_an_erasure_nobody_retries_unfinished() -> None:
    """The job's duty to finish erasures, dry run or not, is what finishes an erasure cut
    after its mark when the client never calls again."""
    actors = (W, E, Actor("job", "job"))
    explored = explore(Model(actors, Protocol(finish_erasures=False)), CHECKS)
    assert explored.counterexample == (
        "the job left an erasure unfinished",
        (
            "W: select: nothing, claim",
            "W: claim",
            "W: commit: 201 created",
            "E: select: live",
            "E: versions: W.0",
            "E: mark",
            "E dies",
        ),
    )
