"""Transport: the FastAPI app factory, REST routes, error mapping, and the resolver layer."""

# The API's version, as the OpenAPI description states it; `make release` writes it here and in
# pyproject.toml, and a test holds them equal.
__version__ = "0.1.0"
