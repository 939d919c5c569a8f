"""Completion answers in each provider's documented wire format, for the loopback server."""

from __future__ import annotations

from typing import Any


def openai_reply(text: str, prompt: int | None = 12, completion: int | None = 7,
                 finish: str = "stop") -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000,
        "model": "m", "choices": [{"index": 0, "finish_reason": finish,
                                   "message": {"role": "assistant", "content": text}}],
    }
    if prompt is not None:
        body["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion,
                         "total_tokens": prompt + (completion or 0)}
    return body


def anthropic_reply(text: str, inp: int = 20, out: int = 9, cache_read: int = 0,
                    stop: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "text", "text": text}],
        "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": inp, "output_tokens": out,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": cache_read},
    }


def anthropic_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def gemini_reply(text: str, prompt: int = 15, candidates: int | None = 8, thoughts: int = 0,
                 finish: str = "STOP") -> dict[str, Any]:
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates is not None:
        usage["candidatesTokenCount"] = candidates
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return {
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "thinking...", "thought": True}, {"text": text}]},
            "finishReason": finish, "index": 0}],
        "usageMetadata": usage, "modelVersion": "gemini-x",
    }


def gemini_error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}
