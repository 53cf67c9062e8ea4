"""The AWS clients of a process: botocore's, with one loader of service models.

Plain botocore, not boto3: boto3's client is botocore's (its own additions are for resources,
which the API does not use), and importing boto3 brings s3transfer and multiprocessing along.

The loader finds a client's service model by looking in that service's own folder.
botocore's loader first lists every service it knows (a directory listing for each of some
400 services, once per kind of file: about half of the cost of making a client), only to check
that the service asked for is among them; boto/botocore#3687 proposes the same shortcut. The
list is still made, in full, for whoever reads it (an unknown service's error message names
them all). Its files are parsed by orjson: Python's json module, with an OrderedDict for each
object as botocore asks, takes about three times as long (endpoints.json, 1.2 MB, which every
client's endpoint resolver reads: 22 ms against 8).
"""

import gzip
import os
import threading
from collections.abc import Iterator
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader
from orjson import loads

_OPENERS: tuple[tuple[str, Any], ...] = ((".json", open), (".json.gz", gzip.open))


class _ModelFiles(JSONFileLoader):
    """botocore's file loader (a model's path without its extension in, its content out, or
    None), for the same files: `.json` and `.json.gz`."""

    def exists(self, file_path: str) -> bool:
        return any(os.path.isfile(file_path + ext) for ext, _ in _OPENERS)

    def load_file(self, file_path: str) -> Any:
        for ext, opener in _OPENERS:
            if os.path.isfile(file_path + ext):
                with opener(file_path + ext, "rb") as file:
                    return loads(file.read())
        return None


class _ServicesWithModel:
    """The services with a model of one kind: a membership test looks in that service's folder
    alone; iterating lists them all, as botocore does."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name

    def __contains__(self, service_name: object) -> bool:
        if not isinstance(service_name, str):
            return False
        try:
            self._loader.list_api_versions(service_name, self._type_name)
        except DataNotFoundError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(Loader.list_available_services(self._loader, self._type_name))


class _ServiceByServiceLoader(Loader):
    def list_available_services(self, type_name: str) -> Any:
        return _ServicesWithModel(self, type_name)


def _loader(data_path: str | None) -> Loader:
    """botocore's `create_loader`, of this module's class: AWS_DATA_PATH's folders searched
    first, then botocore's own data."""
    folders = [
        os.path.expanduser(os.path.expandvars(p)) for p in (data_path or "").split(os.pathsep)
    ]
    return _ServiceByServiceLoader(
        extra_search_paths=[f for f in folders if f], file_loader=_ModelFiles()
    )


_loader_lock = threading.Lock()
_shared_loader: Loader | None = None


def aws_client(service_name: str, **options: Any) -> BaseClient:
    """A client of `service_name` (botocore's `create_client` options). Each client has a
    session of its own, as credentials and event handlers are a session's (a test's moto
    registers its own when a session is made); the loader, which holds what reading the models
    costs, is the process's. Clients are thread-safe; making one is not, hence the lock."""
    global _shared_loader
    with _loader_lock:
        session = botocore.session.get_session()
        if _shared_loader is None:
            _shared_loader = _loader(session.get_config_variable("data_path"))
        session.register_component("data_loader", _shared_loader)
        client: BaseClient = session.create_client(service_name, **options)
        return client
