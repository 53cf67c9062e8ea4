"""The REST door: routes, body reading, problem+json mapping, OpenAPI examples, docs pages."""
