"""The `routerx` command line.

Each subcommand lives in its own module and is registered here with one line. Heavy
imports (Prefect, the flows) happen inside the subcommands that need them, so
`routerx --help` and `routerx route` stay fast.
"""

from __future__ import annotations

import sys

import typer

from router.cli import assess as _assess
from router.cli import config as _config
from router.cli import demo as _demo
from router.cli import deploy as _deploy
from router.cli import discover as _discover
from router.cli import evaluate as _evaluate
from router.cli import explore as _explore
from router.cli import models as _models
from router.cli import opencode as _opencode
from router.cli import outcome as _outcome
from router.cli import pin as _pin
from router.cli import placements as _placements
from router.cli import report as _report
from router.cli import route as _route
from router.cli import serve as _serve
from router.cli.output import fail
from router.errors import RouterxError

app = typer.Typer(
    name="routerx",
    help="Keep a coding agent's choice of language models honest: "
    "discover models, measure them in a sandbox, place them, route to them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

app.command("discover")(_discover.discover)
app.command("models")(_models.models)
app.command("evaluate")(_evaluate.evaluate)
app.add_typer(_placements.app, name="placements")
app.command("route")(_route.route)
app.command("outcome")(_outcome.outcome)
app.command("pin")(_pin.pin)
app.command("unpin")(_pin.unpin)
app.command("explore")(_explore.explore)
app.command("serve")(_serve.serve)
app.command("deploy")(_deploy.deploy)
app.command("assess")(_assess.assess)
app.command("demo")(_demo.demo)
app.command("report")(_report.report)
app.command("opencode")(_opencode.opencode)
app.command("config")(_config.config)


def main() -> None:
    """Console entry point: a user's mistake is one line and a non-zero exit, never a trace."""
    try:
        app()
    except RouterxError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    sys.exit(0)
