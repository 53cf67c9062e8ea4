"""A model of the write protocol, erasure and the reconcile job for one eventId, and a search of
every interleaving of their steps (tests/unit/test_erasure_model.py runs it).

The stores are abstract, with the exact conditions the code relies on:

- SQL: one row per eventId (the primary key) in one of three states: `live` (an event, its
  content), `erasing` (marked by an erasure call, with that call's nonce: invisible to reads)
  and `fence` (erased: nothing of the event but its eventId and the fencing call's nonce). Each
  transaction is one atomic step.
- DynamoDB: one item per eventId: its content, `writers`, `claimToken`, the epoch of its last
  claim. Each call is one atomic step: a claim's UpdateItem (if the item is absent or has the
  same content), a release (DELETE writers :me; DeleteItem if no writer is left), an erasure's
  DeleteItem (if still at the version it read; an item read as absent: if still absent), the
  reconcile job's (if unchanged and last claimed before its cutoff).

The processes (`Actor`) are writers of the event (a batch's and a single POST's are the same
program), erasure calls of its user (a second call is the client's retry) and the reconcile
job. Every store call is a step, and any process may stop between any two steps for good. A
store call that fails makes an erasure or the job stop (it answers 503), which every other
process and both stores see exactly as a process stopped for good, so only the writers' failures
are explored as such (they withdraw their claims): failing before applying, or applying with
the answer lost. Time passes in epochs, only while no request is in flight (a request is shorter
than the grace period); the job treats anything from an epoch before its start as older than the
grace period. With the job in the model, processes may also die (stop, and be in flight no more).

`Protocol` is the code's protocol; each switch turned off removes one safeguard, and the search
finds how that variant breaks (tests/unit/test_erasure_model.py names each interleaving).
"""

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

ABSENT = "-"  # the version of an item that does not exist
MAX_ROUNDS = 3  # a writer's rounds of claim and commit; an erasure's rounds of deletes


class Row(NamedTuple):
    state: str  # "live" | "erasing" | "fence"
    content: str = ""  # live: the event's content
    nonce: str = ""  # erasing, fence: the erasure call that marked or fenced it
    epoch: int = 0  # erasing, fence: when it was marked or fenced
    generation: int = 0  # fences of this eventId made before this event was recorded


class Item(NamedTuple):
    content: str
    writers: frozenset[str]
    token: str
    epoch: int
    after: frozenset[str]  # the erasure calls whose deletes had ended when it was made


class Proc(NamedTuple):
    pc: str = "idle"
    answer: str = ""
    claims: tuple[str, ...] = ()  # writer: the claims (tokens) it would withdraw on failure
    target: Row | None = None  # writer: the row its commit replaces (a fence) or restores
    rounds: int = 0
    made: int = 0  # writer: claims made so far (their tokens are name.n)
    restoring: bool = False  # writer: a replay putting back details found missing
    witnessed: bool = False  # writer: its event was visible with its details when it answered
    version: str = ABSENT  # erasure: the item's version it read
    since: int = 0  # erasure: fences made before it began
    deleted: bool = False  # erasure: its deletes have ended
    cutoff: int = 0  # job: things from an epoch before this are older than the grace period


class World(NamedTuple):
    row: Row | None
    item: Item | None
    epoch: int
    fences: int  # fences made so far (rows deleted, in the old protocol)
    procs: tuple[Proc, ...]


class Actor(NamedTuple):
    name: str
    kind: str  # "writer" | "eraser" | "job"
    content: str = "A"  # writer: the event's content
    apply: bool = False  # job: delete orphans too (`--apply`)


class Protocol(NamedTuple):
    fences: bool = True  # erasure marks, deletes, fences (else: deletes the row, then the item)
    reclaim: bool = True  # a writer that meets a fence claims again before replacing it
    fence_nonce: bool = True  # a writer replaces only the fence it saw
    confirm: bool = True  # an erasure's later rounds check the row is still its own mark
    absent_checked: bool = True  # an item read as absent is deleted "if still absent"
    restore_check: bool = True  # a replay that restores details checks the row again
    finish_erasures: bool = True  # the job finishes erasures marked before the grace period
    writer_failures: bool = True  # writers' store calls may fail
    ticks: int = 1  # epochs that may pass


Step = tuple[str, World]


def _set(world: World, pid: int, proc: Proc, **changes: Any) -> World:
    procs = list(world.procs)
    procs[pid] = proc
    return world._replace(procs=tuple(procs), **changes)


class Model:
    """The steps of `actors` under `protocol`."""

    def __init__(self, actors: tuple[Actor, ...], protocol: Protocol) -> None:
        self.actors = actors
        self.protocol = protocol
        self.deaths = protocol.ticks > 0 and any(actor.kind == "job" for actor in actors)

    def start(self) -> World:
        return World(None, None, 0, 0, tuple(Proc() for _ in self.actors))

    def successors(self, world: World) -> Iterator[Step]:
        for pid, (actor, proc) in enumerate(zip(self.actors, world.procs, strict=True)):
            if proc.pc in ("done", "dead"):
                continue
            if self.deaths and proc.pc != "idle":
                yield f"{actor.name} dies", _set(world, pid, proc._replace(pc="dead"))
            for label, after in self.moves(world, pid):
                yield f"{actor.name}: {label}", after
        if world.epoch < self.protocol.ticks and self.quiet(world):
            yield "the grace period passes", world._replace(epoch=world.epoch + 1)

    def moves(self, world: World, pid: int) -> Iterator[Step]:
        actor, proc = self.actors[pid], world.procs[pid]
        handler: Callable[[World, int, Actor, Proc], Iterator[Step]]
        handler = getattr(self, f"_{actor.kind}_{proc.pc}")
        return handler(world, pid, actor, proc)

    def quiet(self, world: World) -> bool:
        """No request in flight (one that has not begun may begin after)."""
        return all(
            proc.pc in ("idle", "done", "dead")
            for actor, proc in zip(self.actors, world.procs, strict=True)
            if actor.kind != "job"
        )

    def _finish(self, world: World, pid: int, proc: Proc, answer: str) -> World:
        return _set(world, pid, proc._replace(pc="done", answer=answer))

    def _failures(self) -> tuple[str, ...]:
        """How a writer's store call may fail: before applying, or applied with the answer
        lost (a timeout after the store acted)."""
        return ("failed", "lost") if self.protocol.writer_failures else ()

    # Writers --------------------------------------------------------------------------------

    def _visible(self, world: World, actor: Actor) -> bool:
        """Whether the writer's event is visible now, with its details."""
        row, item = world.row, world.item
        return (
            row is not None
            and row.state == "live"
            and row.content == actor.content
            and item is not None
            and item.content == actor.content
        )

    def _answer(self, world: World, pid: int, actor: Actor, proc: Proc, answer: str) -> World:
        """A 2xx, linearized at this step."""
        seen = proc._replace(witnessed=self._visible(world, actor))
        return self._finish(world, pid, seen, answer)

    def _withdraw(self, world: World, pid: int, proc: Proc, answer: str) -> World:
        return _set(world, pid, proc._replace(pc="release", answer=answer))

    def _writer_idle(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """SELECT the eventId's row."""
        row = world.row
        if row is None or row.state == "fence":
            target = row if self.protocol.fence_nonce else None
            yield (
                f"select: {_state(row)}, claim",
                _set(world, pid, proc._replace(pc="claim", target=target)),
            )
        elif row.state == "live" and row.content == actor.content:
            # A replay is linearized here, where it sees the event.
            seen = proc._replace(pc="replay", target=row, witnessed=self._visible(world, actor))
            yield "select: the same event", _set(world, pid, seen)
        elif row.state == "live":
            yield "select: other content: 409", self._finish(world, pid, proc, "409")
        else:
            yield "select: being erased: 503", self._finish(world, pid, proc, "503")

    def _writer_replay(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """BatchGetItem of the stored event's details."""
        if world.item is not None:
            yield "details read: 200 replayed", self._finish(world, pid, proc, "replayed")
        else:
            restore = proc._replace(pc="claim", restoring=True)
            yield "details missing: restore them", _set(world, pid, restore)

    def _writer_claim(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """UpdateItem: the claim, if the item is absent or has the same content."""
        item = world.item
        if item is not None and item.content != actor.content:
            yield "claim: other content: 409", self._withdraw(world, pid, proc, "409")
            return
        token = f"{actor.name}.{proc.made}"
        claimed = proc._replace(made=proc.made + 1, claims=(*proc.claims, token))
        made = self._claimed(world, actor, token)
        for failure in self._failures():
            if failure == "failed":
                yield "claim fails", self._withdraw(world, pid, proc, "503")
            else:
                lost = _set(world, pid, claimed, item=made)
                yield "claim applied, answer lost", self._withdraw(lost, pid, claimed, "503")
        after_claim = "check" if proc.restoring else "commit"
        yield "claim", _set(world, pid, claimed._replace(pc=after_claim), item=made)

    def _claimed(self, world: World, actor: Actor, token: str) -> Item:
        item = world.item
        if item is None:
            after = frozenset(
                other.name
                for other, proc in zip(self.actors, world.procs, strict=True)
                if other.kind != "writer" and proc.deleted
            )
            return Item(actor.content, frozenset({token}), token, world.epoch, after)
        return item._replace(writers=item.writers | {token}, token=token, epoch=world.epoch)

    def _writer_check(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """A restoring replay's SELECT after its claim: is the event still there?"""
        if self.protocol.writer_failures:
            yield "check fails", self._withdraw(world, pid, proc, "503")
        row = world.row
        still = row is not None and row.state == "live" and row.content == actor.content
        if still or not self.protocol.restore_check:
            yield "still stored: 200 replayed", self._answer(world, pid, actor, proc, "replayed")
        else:
            yield "erased meanwhile", self._withdraw(world, pid, proc, "503")

    def _writer_commit(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """One transaction: DELETE the fence it saw (if any) and INSERT the row. A COMMIT in
        doubt keeps the claims and answers 503: to everyone else, the writer stopping here."""
        row = world.row
        fits = row == proc.target
        if not self.protocol.fence_nonce:
            fits = row is None or (row.state == "fence" and self.protocol.fences)
        if self.protocol.writer_failures:
            yield "commit fails", self._withdraw(world, pid, proc, "503")
        if fits:
            live = world._replace(row=Row("live", actor.content, generation=world.fences))
            yield "commit: 201 created", self._answer(live, pid, actor, proc, "created")
        else:
            yield "commit: the row changed", _set(world, pid, proc._replace(pc="reread"))

    def _writer_reread(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """After a commit that met another row: SELECT it."""
        if self.protocol.writer_failures:
            yield "reread fails", self._withdraw(world, pid, proc, "503")
        row = world.row
        if row is not None and row.state == "live":
            if row.content == actor.content:
                yield (
                    "reread: the same event: 200",
                    self._answer(world, pid, actor, proc, "replayed"),
                )
            else:
                yield "reread: other content: 409", self._finish(world, pid, proc, "409")
        elif (row is not None and row.state == "erasing") or not self.protocol.fences:
            yield f"reread: {_state(row)}: 503", self._withdraw(world, pid, proc, "503")
        elif proc.rounds + 1 >= MAX_ROUNDS:
            yield "reread: rounds spent: 503", self._withdraw(world, pid, proc, "503")
        else:
            again = proc._replace(
                pc="claim" if self.protocol.reclaim else "commit",
                target=row if self.protocol.fence_nonce else None,
                rounds=proc.rounds + 1,
            )
            yield f"reread: {_state(row)}, again", _set(world, pid, again)

    def _writer_release(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """Withdraw a claim: UpdateItem DELETE writers :me, then DeleteItem if none is left.
        One that fails is given up (logged): the item stays, invisible."""
        if not proc.claims:
            yield f"claims withdrawn: {proc.answer}", self._finish(world, pid, proc, proc.answer)
            return
        token, rest = proc.claims[0], proc.claims[1:]
        item = world.item
        if item is not None and token in item.writers:
            writers = item.writers - {token}
            item = item._replace(writers=writers) if writers else None
        if self.protocol.writer_failures:
            yield "release fails", _set(world, pid, proc._replace(claims=rest))
        # The two calls as one step: the DeleteItem holds only while no writer is left, and a
        # claim between them adds its writer, so the DeleteItem then fails.
        yield f"release {token}", _set(world, pid, proc._replace(claims=rest), item=item)

    # Erasure calls ---------------------------------------------------------------------------

    def _eraser_idle(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """SELECT the user's rows: live ones, and ones being erased (a retry finishes them)."""
        row = world.row
        began = proc._replace(since=world.fences)
        if row is not None and row.state in ("live", "erasing"):
            yield f"select: {row.state}", _set(world, pid, began._replace(pc="versions"))
        else:
            yield "select: nothing: 404", self._finish(world, pid, began, "404")

    def _eraser_versions(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """BatchGetItem of the item's version, before the mark (see `_eraser_mark`)."""
        version = ABSENT if world.item is None else world.item.token
        after = "mark" if self.protocol.fences else "unrow"
        yield f"versions: {version}", _set(world, pid, proc._replace(pc=after, version=version))

    def _eraser_mark(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """One transaction: mark the user's rows (live, or being erased by another call) with
        this call's nonce. Done after reading the versions, it confirms each version belongs to
        a row being erased by this call."""
        row = world.row
        if row is not None and row.state in ("live", "erasing"):
            marked = Row("erasing", nonce=actor.name, epoch=world.epoch, generation=row.generation)
            yield "mark", _set(world, pid, proc._replace(pc="delete"), row=marked)
        else:
            yield "mark: gone meanwhile", _set(world, pid, proc._replace(pc="lost"))

    def _eraser_delete(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """DeleteItem if the item is still at the version read (absent: still absent)."""
        item = world.item
        if proc.version != ABSENT:
            holds = item is not None and item.token == proc.version
        else:
            holds = item is None or not self.protocol.absent_checked
        if holds:
            gone = item if proc.version == ABSENT else None
            yield "delete", _set(world, pid, proc._replace(pc="fence", deleted=True), item=gone)
        elif proc.rounds + 1 >= MAX_ROUNDS:
            yield "delete: changed, rounds spent: 503", self._finish(world, pid, proc, "503")
        else:
            again = proc._replace(pc="reversion", rounds=proc.rounds + 1)
            yield "delete: the item changed", _set(world, pid, again)

    def _eraser_reversion(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """BatchGetItem of the version again."""
        version = ABSENT if world.item is None else world.item.token
        after = "confirm" if self.protocol.confirm else "delete"
        yield f"versions: {version}", _set(world, pid, proc._replace(pc=after, version=version))

    def _eraser_confirm(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """SELECT: is the row still marked by this call?"""
        row = world.row
        if row is not None and row.state == "erasing" and row.nonce == actor.name:
            yield "still ours", _set(world, pid, proc._replace(pc="delete"))
        else:
            yield "taken over", _set(world, pid, proc._replace(pc="lost"))

    def _eraser_fence(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """One transaction: the row still marked by this call becomes a fence."""
        row = world.row
        if row is not None and row.state == "erasing" and row.nonce == actor.name:
            fence = Row("fence", nonce=actor.name, epoch=world.epoch)
            fenced = world._replace(row=fence, fences=world.fences + 1)
            yield "fence: erased", self._complete(fenced, pid, actor, proc, "erased")
        else:
            yield "fence: taken over", _set(world, pid, proc._replace(pc="lost"))

    def _eraser_lost(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """Another call took the rows over: SELECT whether the user still has them."""
        row = world.row
        if row is not None and row.state in ("live", "erasing"):
            yield "still the user's: 503", self._finish(world, pid, proc, "503")
        else:
            yield "erased by another call", self._complete(world, pid, actor, proc, "gone")

    def _complete(self, world: World, pid: int, actor: Actor, proc: Proc, answer: str) -> World:
        if actor.kind == "job":
            return _set(world, pid, proc._replace(pc="purge"))
        return self._finish(world, pid, proc, answer)

    # The old protocol's erasure: the row, then the item (no fence).

    def _eraser_unrow(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        if world.row is None:
            yield "delete row: gone", self._finish(world, pid, proc, "gone")
        else:
            # Whatever is recorded after the row is gone is a new generation.
            after = _set(world, pid, proc._replace(pc="unitem"), fences=world.fences + 1)
            yield "delete row", after._replace(row=None)

    def _eraser_unitem(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        item = world.item
        gone = None if item is not None and item.token == proc.version else item
        done = proc._replace(deleted=True)
        yield "delete item: 200", self._finish(world._replace(item=gone), pid, done, "erased")

    # The reconcile job -----------------------------------------------------------------------

    def _job_idle(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """SELECT rows marked before the grace period: erasures nobody finished."""
        row = world.row
        began = proc._replace(cutoff=world.epoch, since=world.fences)
        abandoned = row is not None and row.state == "erasing" and row.epoch < world.epoch
        if abandoned and self.protocol.finish_erasures:
            yield "an abandoned erasure", _set(world, pid, began._replace(pc="versions"))
        else:
            yield "no abandoned erasure", _set(world, pid, began._replace(pc="purge"))

    def _job_mark(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """One transaction: take the abandoned rows over (this run's nonce)."""
        row = world.row
        if row is not None and row.state == "erasing":
            marked = row._replace(nonce=actor.name, epoch=world.epoch)
            yield "take over", _set(world, pid, proc._replace(pc="delete"), row=marked)
        else:
            yield "take-over: gone", _set(world, pid, proc._replace(pc="purge"))

    def _job_lost(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        yield "taken over by a request", _set(world, pid, proc._replace(pc="purge"))

    def _job_purge(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """One transaction: delete the fences older than the grace period."""
        row = world.row
        old = row is not None and row.state == "fence" and row.epoch < proc.cutoff
        after = proc._replace(pc="scan", cutoff=world.epoch)
        yield "purge fences", _set(world, pid, after, row=None if old else row)

    def _job_scan(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """Scan: the item's version; the cutoff was taken before."""
        item = world.item
        if item is None or item.epoch >= proc.cutoff:
            yield "scan: no old item", self._finish(world, pid, proc, "ran")
        else:
            yield (
                "scan: an old item",
                _set(world, pid, proc._replace(pc="rows", version=item.token)),
            )

    def _job_rows(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """SELECT: has the item a visible row?"""
        row = world.row
        if (row is not None and row.state == "live") or not actor.apply:
            yield "not deleted", self._finish(world, pid, proc, "ran")
        else:
            yield "an orphan", _set(world, pid, proc._replace(pc="orphan"))

    def _job_orphan(self, world: World, pid: int, actor: Actor, proc: Proc) -> Iterator[Step]:
        """DeleteItem if unchanged since the scan and still last claimed before the cutoff."""
        item = world.item
        if item is not None and item.token == proc.version and item.epoch < proc.cutoff:
            yield "orphan deleted", self._finish(world._replace(item=None), pid, proc, "ran")
        else:
            yield "orphan kept (claimed since)", self._finish(world, pid, proc, "ran")

    # The job finishes an erasure with an erasure's own steps.
    _job_versions = _eraser_versions
    _job_delete = _eraser_delete
    _job_reversion = _eraser_reversion
    _job_confirm = _eraser_confirm
    _job_fence = _eraser_fence


def _state(row: Row | None) -> str:
    return "nothing" if row is None else row.state


# What must hold ---------------------------------------------------------------------------


def violations(model: Model, world: World) -> Iterator[str]:
    """What is wrong in `world`: the protocol's invariants."""
    row, item = world.row, world.item
    if row is not None and row.state == "live" and (item is None or item.content != row.content):
        yield "a visible row without its details"
    if (
        row is not None
        and row.state == "fence"
        and item is not None
        and row.nonce not in item.after
    ):
        yield "a fence over details its erasure did not delete"
    for actor, proc in zip(model.actors, world.procs, strict=True):
        # The event an erasure call found is gone once it answers 2xx: what is left is a later
        # event (recorded after a fence made since the call began), or a fence.
        erased = actor.kind == "eraser" and proc.answer in ("erased", "gone")
        if erased and row is not None and row.state != "fence" and row.generation <= proc.since:
            yield f"{actor.name} answered 2xx while the event it erased is still there"
        vouched = actor.kind == "writer" and proc.answer in ("created", "replayed")
        if vouched and not proc.witnessed:
            yield f"{actor.name} answered {proc.answer} for an event not visible then"


def solo(model: Model, world: World, pid: int) -> World:
    """Run process `pid` alone, its store calls all succeeding, until it ends."""
    for _ in range(100):
        if world.procs[pid].pc in ("done", "dead"):
            return world
        (move,) = (after for _, after in model.moves(world, pid) if "fails" not in _)
        world = move
    raise AssertionError("a solo run did not end")


def retry_completes(model: Model, world: World) -> Iterator[str]:
    """From any state, the client's next erasure call (the actor named "retry") run alone with
    working stores answers 2xx and leaves nothing of the event: its row a fence, no item."""
    retry = next((pid for pid, actor in enumerate(model.actors) if actor.name == "retry"), None)
    if retry is None or world.procs[retry].pc != "idle":
        return
    after = solo(model, world, retry)
    answer = after.procs[retry].answer
    if answer not in ("erased", "404"):
        yield f"the retried erasure answered {answer}"
    found = world.row is not None and world.row.state in ("live", "erasing")
    if found and (after.row is None or after.row.state != "fence" or after.item is not None):
        yield "the retried erasure left something of the event"


def job_finishes(model: Model, world: World) -> Iterator[str]:
    """Once no request is in flight and the grace period has passed, one run of the reconcile
    job (working stores) finishes any erasure left unfinished and purges the old fences; with
    `apply`, it also removes an orphan."""
    job = next((pid for pid, actor in enumerate(model.actors) if actor.kind == "job"), None)
    if job is None or world.procs[job].pc != "idle" or not model.quiet(world):
        return
    actor = model.actors[job]
    after = solo(model, world._replace(epoch=world.epoch + 1), job)
    row = after.row
    if row is not None and row.state == "erasing":
        yield "the job left an erasure unfinished"
    if row is not None and row.state == "fence" and row.nonce != actor.name:
        yield "the job left a fence older than the grace period"
    if actor.apply and (row is None or row.state != "live") and after.item is not None:
        yield "the job left an orphan"


# The search -------------------------------------------------------------------------------

Check = Callable[[Model, World], Iterator[str]]


class Counterexample(NamedTuple):
    violation: str
    trace: tuple[str, ...]


class Explored(NamedTuple):
    states: int
    counterexample: Counterexample | None


def explore(model: Model, checks: tuple[Check, ...] = (violations,)) -> Explored:
    """Breadth first over every reachable state, so that a counterexample is a shortest one;
    each of `checks` runs in every state."""
    first = model.start()
    parents: dict[World, tuple[World, str] | None] = {first: None}
    queue = deque([first])
    while queue:
        world = queue.popleft()
        for check in checks:
            for problem in check(model, world):
                return Explored(len(parents), Counterexample(problem, _trace(parents, world)))
        for label, after in model.successors(world):
            if after not in parents:
                parents[after] = (world, label)
                queue.append(after)
    return Explored(len(parents), None)


def _trace(parents: dict[World, tuple[World, str] | None], world: World) -> tuple[str, ...]:
    steps: list[str] = []
    link = parents[world]
    while link is not None:
        world, label = link
        steps.append(label)
        link = parents[world]
    return tuple(reversed(steps))
