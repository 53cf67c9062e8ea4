"""The contract check: today's docs/schema.graphql and docs/openapi.json against the last
released contract (docs/released/), CHANGELOG.md's listed breaking changes, and `make release`."""
