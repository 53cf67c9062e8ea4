"""Pure ASGI middleware wrapped around both doors: request id and access log (`observability`),
body guard, HEAD as GET, the request deadline, CORS. None imports a door."""
