"""Asking models for completions: one module per wire format, registered by name."""

from router.completions import anthropic_messages, gemini_generate, openai_chat  # noqa: F401
from router.completions.client import complete, completion_policy
from router.completions.limiter import CrossLoopSemaphore, ProviderLimiter, shared_limiter
from router.completions.records import Completion

__all__ = [
    "Completion",
    "CrossLoopSemaphore",
    "ProviderLimiter",
    "complete",
    "completion_policy",
    "shared_limiter",
]
