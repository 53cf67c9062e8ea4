"""`DirectRoute`: an endpoint that takes the request and returns its answer is called as it is;
any other endpoint on the same router is served by FastAPI as usual; errors reach the app's
handlers either way."""

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from gateway.rest.routing import add_routes, direct_router


class Greeting(BaseModel):
    name: str


def small_app() -> FastAPI:
    router = direct_router()

    @router.get("/direct/{name}")
    async def direct(request: Request) -> JSONResponse:
        if request.path_params["name"] == "nobody":
            raise HTTPException(status_code=404, detail="no such name")
        return JSONResponse({"hello": request.path_params["name"]}, status_code=201)

    @router.get("/modelled/{name}", response_model=Greeting)
    async def modelled(name: str) -> Any:
        return {"name": name, "dropped": "not in the model"}

    app = FastAPI()
    add_routes(app, router)
    return app


def test_a_direct_endpoint_answers_with_its_own_response_and_errors_reach_the_handlers() -> None:
    client = TestClient(small_app())
    answer = client.get("/direct/ada")
    assert (answer.status_code, answer.json()) == (201, {"hello": "ada"})
    missing = client.get("/direct/nobody")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such name"})
    assert client.post("/direct/ada").status_code == 405


def test_any_other_endpoint_is_served_by_fastapi_with_its_parameters_and_response_model() -> None:
    answer = TestClient(small_app()).get("/modelled/ada")
    assert (answer.status_code, answer.json()) == (200, {"name": "ada"})


def test_the_routes_appear_in_the_openapi_description() -> None:
    paths = TestClient(small_app()).get("/openapi.json").json()["paths"]
    assert set(paths) == {"/direct/{name}", "/modelled/{name}"}
