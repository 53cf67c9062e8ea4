"""Jobs over the stores, run outside a request: the reconcile job. They call the stores and the
resolvers' erasure directly; their entry points are in gateway/entrypoints/."""
