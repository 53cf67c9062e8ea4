"""HTTP/1.1 over a plain socket (h11 keeps the framing right), for what client libraries will not
send: a body shorter than its Content-Length, a declared GiB, an answer read while the body is
still owed, and whether the server then closes the connection."""

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

# A guard against a hang, not a timing assertion: a test that waits this long has failed.
HANG_GUARD_SECONDS = 20


@dataclass
class Answer:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    @property
    def status_line(self) -> str:
        return f"HTTP/1.1 {self.status} {self.reason}"


class Wire:
    """One client connection to `url`."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.socket = socket.create_connection(
            (self.host, parts.port or 80), timeout=HANG_GUARD_SECONDS
        )
        self.connection = h11.Connection(h11.CLIENT)

    def __enter__(self) -> "Wire":
        return self

    def __exit__(self, *_: object) -> None:
        self.socket.close()

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> None:
        """The request head, then `body`: all of it, or the first part of what was declared."""
        fields = [("host", self.host), *headers.items()]
        self.socket.sendall(
            self.connection.send(h11.Request(method=method, target=target, headers=fields))
        )
        if body:
            self.socket.sendall(self.connection.send(h11.Data(data=body)))
        if int(headers.get("content-length", len(body))) == len(body):
            self.socket.sendall(self.connection.send(h11.EndOfMessage()))

    def answer(self) -> Answer:
        response: h11.Response | None = None
        body = bytearray()
        while True:
            event = self.connection.next_event()
            if event is h11.NEED_DATA:
                self.connection.receive_data(self.socket.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        assert response is not None
        headers = {name.decode(): value.decode() for name, value in response.headers}
        return Answer(response.status_code, response.reason.decode(), headers, bytes(body))

    def closed_by_server(self) -> bool:
        """Whether the server has closed the connection (blocks until it does, or until the hang
        guard: a server that keeps it open fails the test with a timeout)."""
        try:
            return self.socket.recv(1) == b""
        except ConnectionResetError:
            return True

    def next_cycle(self) -> None:
        """Keep the connection for another request (both sides done with this one)."""
        self.connection.start_next_cycle()
