"""The one exception hierarchy of routerx.

Why a single module: callers (the CLI, the HTTP API, Prefect tasks) need to tell a
user's mistake from an infrastructure failure without importing half the package.
A candidate model's code failing is *not* an exception anywhere in routerx: it is a
verdict stored as a result. Exceptions are for things an operator must fix.

    RouterxError
    ├── ConfigError            bad routerx.toml / environment value; names file, key, fix
    │   └── UnknownNameError   an unknown provider/benchmark/category name; lists known ones
    ├── StoreError             the database is unreachable or its schema is unusable
    ├── ProviderError          a provider could not be polled or asked (after retries)
    │   ├── ProviderAuthError      401/403: the key is wrong or lacks access
    │   ├── ProviderRateLimited    429 that outlived the retry budget
    │   ├── ProviderTimeout        no answer within the per-request timeout
    │   └── ProviderResponseError  malformed or unexpected body
    ├── SandboxUnavailable     the executor cannot contain code here (never runs it bare)
    ├── InputError             a user-supplied file or value is malformed; names the line
    └── RoutingError           no usable model for a category
"""

from __future__ import annotations

from collections.abc import Iterable


class RouterxError(Exception):
    """Base class: everything routerx raises on purpose derives from this."""


class ConfigError(RouterxError):
    """A configuration value is wrong. The message names where and how to fix it."""


class UnknownNameError(ConfigError):
    """A registry lookup failed; the message lists every known name."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known) or '(none)'}")


class StoreError(RouterxError):
    """The store cannot be reached or migrated."""


class ProviderError(RouterxError):
    """A provider request failed for good. Messages never contain a key."""

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(f"{provider}: {message}")


class ProviderAuthError(ProviderError):
    """The provider rejected the key (401/403)."""


class ProviderRateLimited(ProviderError):
    """The provider kept answering 429 beyond the retry budget."""


class ProviderTimeout(ProviderError):
    """The provider did not answer within the timeout."""


class ProviderResponseError(ProviderError):
    """The provider answered with a body routerx cannot read."""


class SandboxUnavailable(RouterxError):
    """The sandbox cannot be set up; routerx refuses to run untrusted code bare."""


class InputError(RouterxError):
    """A user-supplied file or value is malformed."""


class RoutingError(RouterxError):
    """No usable model for the requested category."""
