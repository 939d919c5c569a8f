"""The routing endpoint: OpenAI chat completions in front of every configured provider.

An agent that speaks the OpenAI API (OpenCode through `@ai-sdk/openai-compatible`, the
`openai` SDKs, curl) points its base URL at `routerx serve` and asks for `routerx/auto`
or `routerx/<category>`. routerx routes through the same strategy chain as `route`,
forwards to the chosen provider in that provider's wire format (`router.wire`), falls
back before the first byte, streams the answer through, and records the outcome.

    names.py     which model names the endpoint answers to, and what each means
    upstream.py  one attempt at one provider: open, classify the failure, read
    attempts.py  the chain of attempts: fallback before the first byte
    recorder.py  outcomes written in batches, off the request path
    routes.py    the FastAPI routes: GET /v1/models, POST /v1/chat/completions
"""

from router.proxy.routes import proxy_body_limits, proxy_router

__all__ = ["proxy_body_limits", "proxy_router"]
