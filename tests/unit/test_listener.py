"""The socket `python -m gateway` serves on: connections accepted from it send without delay."""

import asyncio
import socket

from gateway.entrypoints.server import bind_listener


def test_accepted_connections_have_nagle_off() -> None:
    """With Nagle on, a keep-alive client (a browser, wrk) waits for the delayed ACK, ~40 ms,
    on every response uvicorn writes in two pieces. asyncio turns it off only on TCP sockets."""

    async def nodelay_of_an_accepted_connection() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.set_result(
                writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            writer.close()

        listener = bind_listener("127.0.0.1", 0)
        server = await asyncio.start_server(on_connect, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            result = await asyncio.wait_for(accepted, timeout=5)
            writer.close()
        return result

    assert asyncio.run(nodelay_of_an_accepted_connection()) != 0
