"""A rotated SQL password, through the real driver stack (pyodbc, unixODBC, FreeTDS) against a
server that refuses the login as SQL Server does (error 18456, tests/tds.py): the store reads
the login again once, tries it, and answers 503 when that fails too; an unchanged login is not
tried twice, nor read again for RELOGIN_INTERVAL_SECONDS."""

from collections.abc import Callable

import pytest
from sqlalchemy.engine import URL, make_url

from persistence.metadata import SqlMetadataStore
from persistence.sql_engine import RELOGIN_INTERVAL_SECONDS, Logins, build_engine
from schema.errors import StoreUnavailable
from tests.conftest import FREETDS_URL
from tests.tds import refusing_sql_server


def store_with(logins: Logins) -> SqlMetadataStore:
    engine = build_engine(
        logins.current,
        connect_timeout_seconds=3,
        query_timeout_seconds=3,
        pool_size=1,
        pool_timeout_seconds=3,
        logins=logins,
    )
    return SqlMetadataStore(engine)


def login(port: int, password: str, user: str = "eventlog") -> URL:
    return make_url(FREETDS_URL.format(port=port)).set(username=user, password=password)


class Secret:
    """What the secret holds now, and how often it was read."""

    def __init__(self, url: Callable[[], URL]) -> None:
        self.url, self.reads = url, 0

    def read(self) -> URL:
        self.reads += 1
        return self.url()


def test_a_refused_login_is_read_again_and_the_new_one_is_tried_once() -> None:
    with refusing_sql_server() as server:
        rotated = Secret(lambda: login(server.port, "new-Secret#2", "eventlog_clone"))
        store = store_with(Logins(login(server.port, "old-Secret#1"), rotated.read))
        with pytest.raises(StoreUnavailable) as failure:
            store.ping()
    assert (failure.value.store, failure.value.in_doubt) == ("metadata", False)
    # What the driver sent: the old login, then the one read again (user and password).
    assert server.logins == [("eventlog", "old-Secret#1"), ("eventlog_clone", "new-Secret#2")]
    assert rotated.reads == 1


def test_the_new_login_is_kept_for_every_later_connection() -> None:
    with refusing_sql_server() as server:
        rotated = Secret(lambda: login(server.port, "new-Secret#2"))
        logins = Logins(login(server.port, "old-Secret#1"), rotated.read)
        store = store_with(logins)
        for _ in range(2):
            with pytest.raises(StoreUnavailable):
                store.ping()
    assert server.logins[:2] == [("eventlog", "old-Secret#1"), ("eventlog", "new-Secret#2")]
    assert server.logins[2] == ("eventlog", "new-Secret#2")
    assert logins.current.password == "new-Secret#2"


def test_an_unchanged_login_is_tried_once_and_read_again_only_after_the_interval() -> None:
    now = [100.0]
    with refusing_sql_server() as server:
        same = Secret(lambda: login(server.port, "old-Secret#1"))
        store = store_with(Logins(login(server.port, "old-Secret#1"), same.read, lambda: now[0]))
        for _ in range(3):
            with pytest.raises(StoreUnavailable):
                store.ping()
        assert same.reads == 1
        now[0] += RELOGIN_INTERVAL_SECONDS
        with pytest.raises(StoreUnavailable):
            store.ping()
    assert same.reads == 2
    assert server.logins == [("eventlog", "old-Secret#1")] * 4


def test_without_a_secret_a_refused_login_is_not_tried_again() -> None:
    with refusing_sql_server() as server:
        store = store_with(Logins(login(server.port, "old-Secret#1")))
        with pytest.raises(StoreUnavailable):
            store.ping()
    assert server.logins == [("eventlog", "old-Secret#1")]
