"""The embedded DynamoDB: moto's server in this process, on a free loopback port.

It keeps items in memory, so the embedded SQL store must not outlive it (the settings refuse
that pairing). Imported only in embedded mode: moto is heavy and has no place on Lambda.
"""

import logging

from moto.server import ThreadedMotoServer


class EmbeddedDynamoDB:
    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()
