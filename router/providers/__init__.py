"""Provider adapters: one module per wire format, registered by name."""

from router.providers import anthropic, gemini, ollama, openai_compat, openrouter  # noqa: F401
