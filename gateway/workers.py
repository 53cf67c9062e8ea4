"""How many blocking calls a process runs at once, and so how many connections they may need.

Starlette runs sync routes, and our async routes and Strawberry's resolvers their store calls,
in anyio's worker threads, at most `WORKER_THREADS` at a time (anyio's default limiter). A pool
of HTTP connections smaller than that (botocore keeps 10 by default) opens and discards one per
call beyond it under load; a test holds this number to anyio's.
"""

WORKER_THREADS = 40
