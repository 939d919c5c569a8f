"""`routerx serve`: the router's HTTP API (one uvicorn worker)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from router.cli.output import err_console, text
from router.errors import ConfigError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs "
                                           "ROUTERX_API_TOKEN.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8787,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log",
                                             help="Log every request.")] = False,
) -> None:
    """Serve the HTTP API: /v1/route, /v1/outcomes, /v1/placements, /v1/exploration, ...
    and the OpenAI-compatible routing endpoint (/v1/models, /v1/chat/completions) that
    agents such as OpenCode point their base URL at.

    Example: routerx serve --port 8787
    (then: curl '127.0.0.1:8787/v1/route?category=code-generation', or an OpenAI client
    with base URL http://127.0.0.1:8787/v1 and model routerx/auto)
    """
    from router.settings import load_settings

    secret = load_settings().api_token
    token = secret.get_secret_value() if secret is not None else None
    if token is not None and not token.strip():
        raise ConfigError("ROUTERX_API_TOKEN is set but empty; set a long random value")
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"binding {host} exposes the router beyond this machine; set ROUTERX_API_TOKEN "
            "(clients then send 'Authorization: Bearer <token>') or bind 127.0.0.1"
        )
    import uvicorn

    from router.api import create_app

    app = create_app(token=token)
    auth = "bearer token required" if token else "no token (loopback only)"
    err_console.print(text(f"routerx API on http://{host}:{port} ({auth}); docs at /docs"),
                      highlight=False)
    uvicorn.run(app, host=host, port=port, workers=1, access_log=access_log, log_level="warning")
