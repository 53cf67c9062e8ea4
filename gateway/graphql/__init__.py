"""GraphQL transport (Strawberry): types, resolvers that call the one resolver layer, errors."""
