"""GraphiQL, Swagger UI and ReDoc load their files from this app, byte for byte the ones their
pages pin (the SRI hashes prove it), so they work with no internet."""

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from gateway.assets import PACKAGE_URL

pytestmark = pytest.mark.local_assets

INTEGRITY = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="sha384-([^"]+)"')
LOCAL_ASSET = re.compile(r'(?:src|href)="(/assets/[^"]+)"')


def sha384(content: bytes) -> str:
    return base64.b64encode(hashlib.sha384(content).digest()).decode()


def test_graphiql_loads_every_file_from_the_app_and_each_matches_its_sri_hash(
    client: TestClient,
) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"}).text
    pinned = INTEGRITY.findall(page)
    assert len(pinned) == 7, "run `make assets`: GraphiQL's files are not installed"
    for url, digest in pinned:
        assert url.startswith("/assets/"), url
        served = client.get(url)
        assert served.status_code == 200
        assert sha384(served.content) == digest, url
    assert PACKAGE_URL.search(page) is None


def test_swagger_ui_and_redoc_load_their_files_from_the_app(client: TestClient) -> None:
    for path, expected in (("/docs", 2), ("/redoc", 1)):
        page = client.get(path).text
        assets = LOCAL_ASSET.findall(page)
        assert len(assets) == expected, f"run `make assets`: {path} still loads from a CDN"
        assert PACKAGE_URL.search(page) is None
        for url in assets:
            assert client.get(url).status_code == 200, url
