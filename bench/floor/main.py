"""The floor: a hello-world functions-framework HTTP function, served like the ingest function."""

import flask
import functions_framework


@functions_framework.http
def hello(request: flask.Request) -> tuple[dict[str, bool], int]:
    """Answer at once."""
    return {"ok": True}, 200
