"""HTTP(S)_PROXY and NO_PROXY, read once for the life of the server.

Why not aiohttp's `trust_env=True`: it re-reads the environment and `~/.netrc` (a file
stat and a parse, in a worker thread) on every request. The profile of
`scripts/bench_proxy.py` showed that thread as a tenth of routerx's CPU per streamed
call, and its fight for the GIL with the event loop as queueing on every other stream.
The answer for a given scheme and host does not change while the server runs, so it is
worked out once per upstream and kept.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit


class EnvProxies:
    """Which proxy (if any) a request to a URL goes through, as curl and httpx decide
    it from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY (any case)."""

    def __init__(self, proxies: Mapping[str, str] | None = None) -> None:
        self.proxies = dict(urllib.request.getproxies_environment() if proxies is None
                            else proxies)
        self._cache: dict[tuple[str, str], str | None] = {}

    def for_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._cache:
            self._cache[key] = self._decide(parts.scheme, parts.netloc)
        return self._cache[key]

    def _decide(self, scheme: str, netloc: str) -> str | None:
        proxy = self.proxies.get(scheme) or self.proxies.get("all")
        if not proxy:
            return None
        no_proxy = self.proxies.get("no")
        if no_proxy and _bypassed(netloc, no_proxy):
            return None
        return proxy


# urllib's own NO_PROXY matching; public but missing from typeshed.
_proxy_bypass_environment: Callable[[str, dict[str, str]], bool] = vars(urllib.request)[
    "proxy_bypass_environment"]


def _bypassed(netloc: str, no_proxy: str) -> bool:
    """NO_PROXY as urllib reads it (`*`, host suffixes, host:port)."""
    host = netloc.rpartition("@")[2]
    return bool(_proxy_bypass_environment(host, {"no": no_proxy}))
