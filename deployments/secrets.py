"""Provider keys for deployed flow runs: the environment first, then Prefect Secret blocks.

routerx itself reads keys from the environment only. A worker on another machine may
not have them in its environment, so before a flow run starts (a pull step in
prefect.yaml, or `routerx deploy --serve` before serving) every key variable that is
unset is filled from the Secret block named after it: `OPENAI_API_KEY` from
`routerx-openai-api-key`. The key then lives in that process's environment only; this
module returns and logs variable names, never values.
"""

from __future__ import annotations

import logging
import os
from typing import cast

from router.providers.catalog import load_providers
from router.settings import load_settings

BLOCK_PREFIX = "routerx-"
log = logging.getLogger(__name__)


def block_name(variable: str, prefix: str = BLOCK_PREFIX) -> str:
    """`OPENAI_API_KEY` -> `routerx-openai-api-key` (block names allow a-z, 0-9 and -)."""
    return prefix + variable.lower().replace("_", "-")


def key_variables() -> list[str]:
    """Every variable a configured provider's key may come from (built-in and routerx.toml)."""
    names = {c.key_env for c in load_providers(load_settings()).values() if c.key_env}
    if "GEMINI_API_KEY" in names:
        names.add("GOOGLE_API_KEY")
    return sorted(names)


def load_secret_blocks(prefix: str = BLOCK_PREFIX) -> dict[str, list[str]]:
    """Fill each unset key variable from its Secret block, when that block exists.

    Usable as a Prefect pull step (`deployments.secrets.load_secret_blocks: {}`): it
    returns a dict of variable NAMES, which Prefect may log.
    """
    from prefect.blocks.system import Secret

    loaded: list[str] = []
    for variable in key_variables():
        if os.environ.get(variable):
            continue
        try:
            # Called from synchronous code, `load` returns the block (not a coroutine).
            value = cast(Secret, Secret.load(block_name(variable, prefix))).get()
        except ValueError:  # no such block: this provider stays unconfigured
            continue
        if value:
            os.environ[variable] = str(value)
            loaded.append(variable)
    if loaded:
        log.info("provider keys from Secret blocks: %s", ", ".join(loaded))
    return {"loaded": loaded}
