"""Gemini `generateContent` <-> OpenAI chat completions, requests, answers and streams.

Requests: system and developer turns go to `systemInstruction`; assistant turns are role
`model` with `functionCall` parts for their tool calls; `tool` turns become
`functionResponse` parts of a user turn, named by the function the call named (Gemini
matches answers by name, OpenAI by id); tools are declared with `parametersJsonSchema`,
which takes the agent's JSON Schema as it is. Answers: text parts join into `content`
(thought parts go to `reasoning_content`), `functionCall` parts become `tool_calls`
with ids of our own when Gemini gives none, and tokens count thoughts as output, as in
`router.completions`. Streams (`streamGenerateContent?alt=sse`) carry whole function
calls per event, so each becomes one tool-call delta.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from router.errors import InputError
from router.json_values import array, obj
from router.wire.content import (
    TurnFormat,
    arguments,
    image_source,
    max_tokens,
    stop_list,
    text_of,
    tool_names,
    turns,
)
from router.wire.openai import TranslatedStream, Usage, completion, error_message
from router.wire.sse import Event

FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter",
          "RECITATION": "content_filter", "BLOCKLIST": "content_filter",
          "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
          "MALFORMED_FUNCTION_CALL": "stop", "OTHER": "stop"}


def _part(part: dict[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "text":
        return {"text": str(part.get("text", ""))}
    if kind == "image_url":
        how, mime, data = image_source(part)
        if how == "base64":
            return {"inlineData": {"mimeType": mime, "data": data}}
        return {"fileData": {"fileUri": data}}
    return None


def _response_object(content: Any) -> dict[str, Any]:
    text = text_of(content)
    try:
        value = json.loads(text)
    except ValueError:
        return {"content": text}
    return value if isinstance(value, dict) else {"content": value}


def _function_call(call: dict[str, Any], i: int) -> dict[str, Any]:
    fn = call.get("function") or {}
    return {"functionCall": {"name": str(fn.get("name", "")),
                             "args": arguments(fn.get("arguments"), f"messages[{i}]")}}


def contents(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(system text, Gemini contents); a tool answer is named by its call's function."""
    names = tool_names(body["messages"])

    def function_response(m: dict[str, Any], i: int) -> dict[str, Any]:
        call_id = str(m.get("tool_call_id"))
        name = names.get(call_id)
        if not name:
            raise InputError(f"messages[{i}] answers tool call {call_id!r}, which no "
                             "assistant turn made; Gemini needs the function's name")
        return {"functionResponse": {"name": name,
                                     "response": _response_object(m.get("content"))}}

    return turns(body["messages"],
                 TurnFormat("model", "parts", _part, _function_call, function_response))


def _tool_config(choice: Any) -> dict[str, Any] | None:
    if choice in (None, "auto"):
        return None
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    if choice == "none":
        return {"functionCallingConfig": {"mode": "NONE"}}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"functionCallingConfig": {
            "mode": "ANY", "allowedFunctionNames": [str(choice["function"].get("name", ""))]}}
    raise InputError(f"tool_choice {choice!r} is not auto, none, required or a function")


def request_body(body: dict[str, Any]) -> dict[str, Any]:
    system, turns = contents(body)
    config: dict[str, Any] = {}
    for src, dst in (("temperature", "temperature"), ("top_p", "topP"), ("seed", "seed"),
                     ("presence_penalty", "presencePenalty"),
                     ("frequency_penalty", "frequencyPenalty")):
        value = body.get(src)
        if isinstance(value, int | float) and not isinstance(value, bool):
            config[dst] = value
    if max_tokens(body) is not None:
        config["maxOutputTokens"] = max_tokens(body)
    stops = stop_list(body)
    if stops:
        config["stopSequences"] = stops
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        config["responseMimeType"] = "application/json"
        schema = (fmt.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            config["responseJsonSchema"] = schema
    out: dict[str, Any] = {"contents": turns}
    if config:
        out["generationConfig"] = config
    if system:
        out["systemInstruction"] = {"parts": [{"text": system}]}
    tools = [t["function"] for t in body.get("tools") or ()
             if isinstance(t, dict) and isinstance(t.get("function"), dict)]
    if tools:
        declarations = []
        for f in tools:
            decl: dict[str, Any] = {"name": f.get("name"), "description": f.get("description", "")}
            if f.get("parameters"):
                decl["parametersJsonSchema"] = f["parameters"]
            declarations.append(decl)
        out["tools"] = [{"functionDeclarations": declarations}]
        tool_config = _tool_config(body.get("tool_choice"))
        if tool_config is not None:
            out["toolConfig"] = tool_config
    return out


def usage_of(body: dict[str, Any]) -> Usage:
    usage = body.get("usageMetadata")
    if not isinstance(usage, dict):
        return Usage()

    def n(key: str) -> int | None:
        v = usage.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None

    out = [v for v in (n("candidatesTokenCount"), n("thoughtsTokenCount")) if v is not None]
    return Usage(n("promptTokenCount"), sum(out) if out else None)


def _call(part: dict[str, Any]) -> dict[str, Any]:
    call = part["functionCall"]
    return {"id": str(call.get("id") or f"call_{uuid.uuid4().hex[:24]}"), "type": "function",
            "function": {"name": str(call.get("name", "")),
                         "arguments": json.dumps(call.get("args") or {})}}


def _candidate(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    candidates = body.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        feedback = body.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            return [], "content_filter"
        return [], None
    first = obj(candidates[0])
    content = obj(first.get("content"))
    parts = array(content.get("parts"))
    reason = first.get("finishReason")
    return [p for p in parts if isinstance(p, dict)], FINISH.get(reason, "stop") if reason \
        else None


def response(body: Any, model: str) -> dict[str, Any]:
    parts, finish = _candidate(body)
    if not parts and finish is None:
        raise ValueError("the answer has no candidates")
    text = "".join(str(p.get("text", "")) for p in parts if "text" in p and not p.get("thought"))
    thoughts = "".join(str(p.get("text", "")) for p in parts if p.get("thought"))
    calls = [_call(p) for p in parts if isinstance(p.get("functionCall"), dict)]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if thoughts:
        message["reasoning_content"] = thoughts
    if calls:
        message["tool_calls"] = calls
        finish = "tool_calls" if finish in (None, "stop") else finish
    return completion(model, message, finish or "stop", usage_of(body))


class Stream(TranslatedStream):
    """Gemini's `alt=sse` events in, OpenAI chunks out."""

    def __init__(self, model: str, include_usage: bool) -> None:
        super().__init__(model, include_usage)
        self._started = False
        self._calls = 0

    def feed(self, event: Event) -> list[bytes]:
        data = self.decode(event)
        if data is None:
            return []
        if error_message(data):
            self.error = error_message(data)
            return []
        w = self.writer
        out: list[bytes] = []
        if not self._started:
            self._started = True
            out.append(w.delta({"role": "assistant", "content": ""}))
        usage = usage_of(data)
        if usage.prompt is not None or usage.completion is not None:
            self.usage = usage
        parts, finish = _candidate(data)
        for p in parts:
            if isinstance(p.get("functionCall"), dict):
                call = _call(p)
                call["index"] = self._calls
                self._calls += 1
                out.append(w.delta({"tool_calls": [call]}))
            elif "text" in p and p["text"]:
                key = "reasoning_content" if p.get("thought") else "content"
                out.append(w.delta({key: str(p["text"])}))
        if finish is not None and self.finish_reason is None:
            if self._calls and finish == "stop":
                finish = "tool_calls"
            self.finish_reason = finish
            out.append(w.delta({}, finish))
        return out

    def close(self) -> list[bytes]:
        """Gemini's stream simply ends: the end is ours to write."""
        if self.error is not None or self.finish_reason is None:
            return []
        self.done = True
        return self.writer.end(self.usage)
