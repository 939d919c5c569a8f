"""Streams and answers in each provider's documented chat wire format, for loopback fakes.

OpenAI chat completions chunks (`data: {...}` then `data: [DONE]`, usage in a last chunk
with empty `choices` when `stream_options.include_usage` is set), Anthropic Messages
events (`event:` names, message_start ... message_stop, tool_use blocks with
input_json_delta), Gemini `streamGenerateContent?alt=sse` (whole GenerateContentResponse
objects, usage on the last).
"""

from __future__ import annotations

import json
from typing import Any

Piece = tuple[float, bytes]


def sse(data: Any, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def openai_stream(texts: list[str], *, usage: tuple[int, int] = (11, 5), gap: float = 0.0,
                  model: str = "gpt-upstream", tool: tuple[str, str, str] | None = None
                  ) -> list[Piece]:
    base = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1,
            "model": model}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}], "usage": None}]
    chunks += [{**base, "choices": [{"index": 0, "delta": {"content": t},
                                     "finish_reason": None}], "usage": None} for t in texts]
    finish = "stop"
    if tool is not None:
        call_id, name, args = tool
        half = len(args) // 2
        chunks.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": call_id, "type": "function",
             "function": {"name": name, "arguments": args[:half]}}]}, "finish_reason": None}],
            "usage": None})
        chunks.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": args[half:]}}]}, "finish_reason": None}],
            "usage": None})
        finish = "tool_calls"
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                   "usage": None})
    chunks.append({**base, "choices": [], "usage": {
        "prompt_tokens": usage[0], "completion_tokens": usage[1],
        "total_tokens": sum(usage)}})
    return [(gap, sse(c)) for c in chunks] + [(0.0, sse("[DONE]"))]


def openai_answer(text: str, usage: tuple[int, int] = (11, 5),
                  tool: tuple[str, str, str] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool is not None:
        message["tool_calls"] = [{"id": tool[0], "type": "function",
                                  "function": {"name": tool[1], "arguments": tool[2]}}]
    return {"id": "chatcmpl-up", "object": "chat.completion", "created": 1,
            "model": "gpt-upstream",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if tool else "stop"}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                      "total_tokens": sum(usage)}}


def anthropic_stream(texts: list[str], *, usage: tuple[int, int] = (20, 9),
                     tool: tuple[str, str, str] | None = None, gap: float = 0.0,
                     cache_read: int = 0) -> list[Piece]:
    events = [("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-up",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": 1,
                  "cache_read_input_tokens": cache_read}}}),
        ("ping", {"type": "ping"}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "thinking", "thinking": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1,
                                 "content_block": {"type": "text", "text": ""}})]
    events += [("content_block_delta", {"type": "content_block_delta", "index": 1,
                                        "delta": {"type": "text_delta", "text": t}})
               for t in texts]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 1}))
    stop = "end_turn"
    if tool is not None:
        call_id, name, args = tool
        half = len(args) // 2
        events += [
            ("content_block_start", {"type": "content_block_start", "index": 2,
                                     "content_block": {"type": "tool_use", "id": call_id,
                                                       "name": name, "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {
                "type": "input_json_delta", "partial_json": args[:half]}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {
                "type": "input_json_delta", "partial_json": args[half:]}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 2})]
        stop = "tool_use"
    events += [("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": stop, "stop_sequence": None},
                                  "usage": {"output_tokens": usage[1]}}),
               ("message_stop", {"type": "message_stop"})]
    return [(gap, sse(data, name)) for name, data in events]


def anthropic_answer(text: str, usage: tuple[int, int] = (20, 9),
                     tool: tuple[str, str, str] | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                     {"type": "text", "text": text}]
    if tool is not None:
        content.append({"type": "tool_use", "id": tool[0], "name": tool[1],
                        "input": json.loads(tool[2])})
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-up",
            "content": content, "stop_reason": "tool_use" if tool else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]}}


def gemini_stream(texts: list[str], *, usage: tuple[int, int] = (15, 8),
                  call: tuple[str, dict[str, Any]] | None = None, gap: float = 0.0
                  ) -> list[Piece]:
    events: list[dict[str, Any]] = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": t}]}, "index": 0}],
         "modelVersion": "gemini-up"} for t in texts]
    last_parts: list[dict[str, Any]] = []
    if call is not None:
        last_parts.append({"functionCall": {"name": call[0], "args": call[1]}})
    events.append({"candidates": [{"content": {"role": "model", "parts": last_parts},
                                   "finishReason": "STOP", "index": 0}],
                   "usageMetadata": {"promptTokenCount": usage[0],
                                     "candidatesTokenCount": usage[1],
                                     "totalTokenCount": sum(usage)},
                   "modelVersion": "gemini-up"})
    return [(gap, sse(e)) for e in events]


def gemini_answer(text: str, usage: tuple[int, int] = (15, 8),
                  call: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": "thinking...", "thought": True}, {"text": text}]
    if call is not None:
        parts.append({"functionCall": {"name": call[0], "args": call[1]}})
    return {"candidates": [{"content": {"role": "model", "parts": parts},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": usage[0], "candidatesTokenCount": usage[1]},
            "modelVersion": "gemini-up"}
