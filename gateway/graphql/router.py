"""The GraphQL endpoint: Strawberry's FastAPI router, exact JSON numbers, offline GraphiQL."""

import json

from fastapi.responses import HTMLResponse
from starlette.requests import Request
from strawberry.fastapi import GraphQLRouter

from gateway.assets import OfflineAssets, root_path
from gateway.graphql.context import GraphQLContext, get_context
from gateway.graphql.schema import build_schema
from schema.jsonvalue import DuplicateKeys, JsonTooDeep, MalformedJson, dump_json, parse_json


class EventLogGraphQLRouter(GraphQLRouter[GraphQLContext, None]):
    def __init__(self, assets: OfflineAssets) -> None:
        super().__init__(build_schema(), context_getter=get_context, graphql_ide="graphiql")
        self._assets = assets

    def decode_json(self, data: str | bytes) -> object:
        """Numbers become Decimals, as in REST bodies (floats would round and DynamoDB refuses)."""
        try:
            return parse_json(data, decimal_integers=False)
        except (MalformedJson, JsonTooDeep, DuplicateKeys) as exc:
            raise json.JSONDecodeError("not JSON", "", 0) from exc

    def encode_json(self, data: object) -> bytes:
        return dump_json(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        page = self.graphql_ide_html.replace(_WELCOME, _WELCOME + _WHERE_THE_TOKEN_GOES, 1)
        return HTMLResponse(self._assets.localize(page, root_path(request)))


# GraphiQL's opening comment, and what we add under it: where a bearer token goes. (It is a
# JavaScript template literal: no backticks.)
_WELCOME = "# Welcome to GraphiQL 🍓\n#\n"
_WHERE_THE_TOKEN_GOES = (
    "# Operations need a bearer token when the server checks them (introspection and this page\n"
    "# do not): open the Headers tab below and enter\n"
    '#     {"Authorization": "Bearer <your token>"}\n'
    "# (make run AUTH=dev prints one; ?headers=... in this page's address fills the tab)\n"
    "#\n"
)
