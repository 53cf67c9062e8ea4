"""`python -m gateway`: the server, or with `reconcile` or `retention` that job
(gateway/entrypoints/)."""

import sys

from gateway.entrypoints.server import cli

if __name__ == "__main__":
    cli(sys.argv[1:])
