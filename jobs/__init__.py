"""Jobs over the stores, run outside any request: the reconcile job (abandoned erasures, old
fences, the audit sweep), the delayed check of each details claim, and retention. They share the
orphan judgement (`orphans`) and call the resolvers' erasure; their doors (CLI, Lambda
handlers) are in gateway/entrypoints/."""
