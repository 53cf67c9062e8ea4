"""A SQL Server that refuses logins, speaking just enough TDS for a real ODBC driver (FreeTDS) to
send its login and read the refusal: a PRELOGIN answer (no encryption), then for each LOGIN7 the
error SQL Server sends for a wrong password (18456, "Login failed for user"). It records each
login's user and password (TDS sends the password merely scrambled), so a test sees exactly
what the driver tried."""

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PRELOGIN, LOGIN7, TABULAR = 0x12, 0x10, 0x04


def _packet(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BBHHBB", kind, 0x01, 8 + len(payload), 0, 1, 0) + payload


def _read_message(connection: socket.socket) -> tuple[int, bytes]:
    kind, payload, last = 0, b"", False
    while not last:
        header = _read_exactly(connection, 8)
        kind, status, length = header[0], header[1], struct.unpack(">H", header[2:4])[0]
        payload += _read_exactly(connection, length - 8)
        last = bool(status & 0x01)
    return kind, payload


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _prelogin_answer() -> bytes:
    # VERSION (6 bytes) and ENCRYPTION (1 byte: 2, not supported), then the terminator.
    options_end = 5 + 5 + 1
    return (
        struct.pack(">BHH", 0x00, options_end, 6)
        + struct.pack(">BHH", 0x01, options_end + 6, 1)
        + b"\xff"
        + bytes([16, 0, 0x0F, 0xA0, 0, 0])
        + b"\x02"
    )


def _login(payload: bytes) -> tuple[str, str]:
    def text(offset_at: int) -> bytes:
        offset, characters = struct.unpack("<HH", payload[offset_at : offset_at + 4])
        return payload[offset : offset + 2 * characters]

    scrambled = text(44)
    password = bytes((((b ^ 0xA5) << 4) & 0xF0) | ((b ^ 0xA5) >> 4) for b in scrambled)
    return text(40).decode("utf-16-le"), password.decode("utf-16-le")


def _b_varchar(value: str) -> bytes:
    return bytes([len(value)]) + value.encode("utf-16-le")


def _login_failed(user: str) -> bytes:
    message = f"Login failed for user '{user}'."
    error = (
        struct.pack("<iBB", 18456, 1, 14)
        + struct.pack("<H", len(message))
        + message.encode("utf-16-le")
        + _b_varchar("fake")
        + _b_varchar("")
        + struct.pack("<i", 1)
    )
    done = struct.pack("<BHHQ", 0xFD, 0x0002, 0, 0)
    return b"\xaa" + struct.pack("<H", len(error)) + error + done


class RefusingServer:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _talk(self, connection: socket.socket) -> None:
        with connection:
            try:
                while True:
                    kind, payload = _read_message(connection)
                    if kind == PRELOGIN:
                        connection.sendall(_packet(TABULAR, _prelogin_answer()))
                    elif kind == LOGIN7:
                        user, password = _login(payload)
                        self.logins.append((user, password))
                        connection.sendall(_packet(TABULAR, _login_failed(user)))
                        return
                    else:
                        return
            except (ConnectionError, OSError):
                return

    def close(self) -> None:
        self._listener.close()


@contextmanager
def refusing_sql_server() -> Iterator[RefusingServer]:
    server = RefusingServer()
    threading.Thread(target=server.serve, daemon=True).start()
    try:
        yield server
    finally:
        server.close()
