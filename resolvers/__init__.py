"""The one resolver layer both doors call: `EventResolver` (events), with the write protocol in
`writes`, erasure in `erasure` and the page both doors show in `page`. It imports neither
FastAPI nor Strawberry."""

from resolvers.events import EventResolver

__all__ = ["EventResolver"]
