"""The one resolver layer both doors call: `EventResolver` (events), with the write protocol in
`writes` and erasure in `erasure`."""

from resolvers.events import EventResolver

__all__ = ["EventResolver"]
