"""Authentication: bearer tokens from an OpenID Connect issuer turned into a `schema.access.Caller`.

`bearer` reads and answers RFC 6750 over HTTP, `tokens` checks a JWT's signature and claims,
`keys` keeps the issuer's JWKS, `dev_issuer` is the local issuer of `make run AUTH=dev` and the
tests. What a caller may do is not decided here: that is `schema.access`, applied by the resolver.
"""
