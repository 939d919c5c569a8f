"""Anthropic Messages <-> OpenAI chat completions, requests, answers and streams.

Requests: system and developer turns go to the top-level `system`; an assistant turn's
`tool_calls` become `tool_use` blocks; `tool` turns become `tool_result` blocks of a user
turn (consecutive turns of one role are merged, as the API wants them alternating);
`max_tokens` is required by Anthropic, so an agent that sends none gets the model's
catalogued output limit (or the proxy's default). Answers: text blocks join into
`content`, `tool_use` blocks become `tool_calls`, thinking becomes `reasoning_content`
(the field `@ai-sdk/openai-compatible` reads), `stop_reason` maps to `finish_reason`,
and prompt tokens include cached ones, as in `router.completions`.
"""

from __future__ import annotations

import json
from typing import Any

from router.errors import InputError
from router.json_values import obj
from router.wire.content import (
    TurnFormat,
    arguments,
    image_source,
    max_tokens,
    stop_list,
    text_of,
    turns,
)
from router.wire.openai import TranslatedStream, Usage, completion, error_message
from router.wire.sse import Event

FINISH: dict[str | None, str] = {
    "end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
    "tool_use": "tool_calls", "pause_turn": "stop", "refusal": "content_filter"}


def prompt_tokens(usage: dict[str, Any]) -> int | None:
    counts = [usage.get(k) for k in ("input_tokens", "cache_creation_input_tokens",
                                     "cache_read_input_tokens")]
    ints = [c for c in counts if isinstance(c, int) and not isinstance(c, bool) and c >= 0]
    return sum(ints) if ints else None


def _block(part: dict[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": str(part.get("text", ""))}
    if kind == "image_url":
        how, mime, data = image_source(part)
        if how == "base64":
            return {"type": "image", "source": {"type": "base64", "media_type": mime,
                                                "data": data}}
        return {"type": "image", "source": {"type": "url", "url": data}}
    return None  # audio, files: not carried by Anthropic's chat


def _tool_use(call: dict[str, Any], i: int) -> dict[str, Any]:
    fn = call.get("function") or {}
    return {"type": "tool_use", "id": str(call.get("id")), "name": str(fn.get("name", "")),
            "input": arguments(fn.get("arguments"), f"messages[{i}]")}


def _tool_result(m: dict[str, Any], i: int) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": str(m.get("tool_call_id")),
            "content": text_of(m.get("content"))}


TURNS = TurnFormat("assistant", "content", _block, _tool_use, _tool_result)


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice is None and parallel is not False:
        return None
    if choice in (None, "auto"):
        out: dict[str, Any] = {"type": "auto"}
    elif choice == "required":
        out = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        out = {"type": "tool", "name": str(choice["function"].get("name", ""))}
    else:
        raise InputError(f"tool_choice {choice!r} is not auto, none, required or a function")
    if parallel is False:
        out["disable_parallel_tool_use"] = True
    return out


def request_body(body: dict[str, Any], model: str, default_max_tokens: int,
                 stream: bool) -> dict[str, Any]:
    system, turns_ = turns(body["messages"], TURNS)
    out: dict[str, Any] = {"model": model, "messages": turns_,
                           "max_tokens": max_tokens(body) or default_max_tokens}
    if system:
        out["system"] = system
    for src, dst in (("temperature", "temperature"), ("top_p", "top_p")):
        if isinstance(body.get(src), int | float) and not isinstance(body.get(src), bool):
            out[dst] = body[src]
    stops = stop_list(body)
    if stops:
        out["stop_sequences"] = stops
    tools = [t["function"] for t in body.get("tools") or ()
             if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    if tools:
        out["tools"] = [{"name": f.get("name"), "description": f.get("description", ""),
                         "input_schema": f.get("parameters") or {"type": "object",
                                                                 "properties": {}}}
                        for f in tools]
        choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
        if choice is not None:
            out["tool_choice"] = choice
    if isinstance(body.get("user"), str):
        out["metadata"] = {"user_id": body["user"][:256]}
    if stream:
        out["stream"] = True
    return out


def response(body: Any, model: str) -> dict[str, Any]:
    """A whole Anthropic answer as a `chat.completion`."""
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise ValueError("the answer has no `content` list")
    text, reasoning, calls = [], [], []
    for block in body["content"]:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            text.append(str(block.get("text", "")))
        elif kind == "thinking":
            reasoning.append(str(block.get("thinking", "")))
        elif kind == "tool_use":
            calls.append({"id": str(block.get("id")), "type": "function",
                          "function": {"name": str(block.get("name", "")),
                                       "arguments": json.dumps(block.get("input") or {})}})
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    usage = obj(body.get("usage"))
    return completion(model, message, FINISH.get(body.get("stop_reason"), "stop"),
                      Usage(prompt_tokens(usage), _int(usage.get("output_tokens"))))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


class Stream(TranslatedStream):
    """Anthropic's stream events in, OpenAI chunks out."""

    def __init__(self, model: str, include_usage: bool) -> None:
        super().__init__(model, include_usage)
        self._tools: dict[int, int] = {}  # content block index -> tool call index

    def feed(self, event: Event) -> list[bytes]:
        data = self.decode(event)
        if data is None:
            return []
        kind = data.get("type") or event.event
        w = self.writer
        if kind == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            self.usage.prompt = prompt_tokens(usage)
            self.usage.completion = _int(usage.get("output_tokens"))
            return [w.delta({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                i = self._tools[data.get("index", 0)] = len(self._tools)
                return [w.delta({"tool_calls": [{
                    "index": i, "id": str(block.get("id")), "type": "function",
                    "function": {"name": str(block.get("name", "")), "arguments": ""}}]})]
            if block.get("type") == "text" and block.get("text"):
                return [w.delta({"content": block["text"]})]
            return []
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                return [w.delta({"content": str(delta.get("text", ""))})]
            if dtype == "thinking_delta":
                return [w.delta({"reasoning_content": str(delta.get("thinking", ""))})]
            if dtype == "input_json_delta":
                tool = self._tools.get(data.get("index", 0))
                if tool is None:
                    return []
                return [w.delta({"tool_calls": [{
                    "index": tool,
                    "function": {"arguments": str(delta.get("partial_json", ""))}}]})]
            return []
        if kind == "message_delta":
            usage = data.get("usage") or {}
            completion_tokens, prompt = _int(usage.get("output_tokens")), prompt_tokens(usage)
            if completion_tokens is not None:
                self.usage.completion = completion_tokens
            if prompt is not None:
                self.usage.prompt = prompt
            reason = (data.get("delta") or {}).get("stop_reason")
            self.finish_reason = FINISH.get(reason, "stop")
            return [w.delta({}, self.finish_reason)]
        if kind == "message_stop":
            self.done = True
            return w.end(self.usage)
        if kind == "error":
            self.error = error_message(data) or "the provider reported an error"
        return []  # ping, content_block_stop, and event types added later
