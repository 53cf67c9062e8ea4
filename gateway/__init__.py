"""Transport: the FastAPI app factory, REST routes, error mapping, and the resolver layer."""
