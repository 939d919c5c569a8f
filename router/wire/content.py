"""Pieces of an OpenAI chat request that every translation reads the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from router.errors import InputError

_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[^,]*)?;base64,(?P<data>.*)$", re.S)


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content
                       if isinstance(p, dict) and p.get("type") in ("text", None))
    raise InputError(f"message content must be a string or a list of parts, not "
                     f"{type(content).__name__}")


def parts_of(content: Any) -> list[dict[str, Any]]:
    """A message's content as a list of OpenAI parts (a string becomes one text part)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if isinstance(content, list):
        return [p for p in content if isinstance(p, dict)]
    raise InputError(f"message content must be a string or a list of parts, not "
                     f"{type(content).__name__}")


def image_source(part: dict[str, Any]) -> tuple[str, str, str]:
    """('base64', mime, data) for a data URL, ('url', '', url) otherwise."""
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise InputError("an image_url part needs image_url.url")
    match = _DATA_URL.match(url)
    if match:
        return "base64", match.group("mime") or "image/png", match.group("data")
    return "url", "", url


def arguments(raw: Any, where: str) -> dict[str, Any]:
    """A tool call's `arguments` (a JSON string in OpenAI's format) as an object."""
    if isinstance(raw, dict):
        return raw
    if raw in (None, ""):
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        raise InputError(f"{where}: function.arguments is not JSON; send the arguments "
                         "the model produced, as a JSON string") from None
    return value if isinstance(value, dict) else {"value": value}


def max_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def stop_list(body: dict[str, Any]) -> list[str] | None:
    stop = body.get("stop")
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and stop:
        return [str(s) for s in stop]
    return None


def tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """tool_call id -> function name, from the assistant turns (Gemini answers by name)."""
    names: dict[str, str] = {}
    for m in messages:
        for call in m.get("tool_calls") or ():
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                names[str(call.get("id"))] = str(call["function"].get("name", ""))
    return names


@dataclass(frozen=True)
class TurnFormat:
    """How a wire format writes the turns of a conversation.

    `part` turns one OpenAI content part into the format's (None: not carried);
    `tool_call` an assistant's tool call; `tool_result` a `tool` message (with its index,
    for messages). Turns of one role in a row are merged into one.
    """

    assistant_role: str
    items_key: str
    part: Callable[[dict[str, Any]], dict[str, Any] | None]
    tool_call: Callable[[dict[str, Any], int], dict[str, Any]]
    tool_result: Callable[[dict[str, Any], int], dict[str, Any]]


def turns(messages: list[dict[str, Any]], fmt: TurnFormat) -> tuple[str, list[dict[str, Any]]]:
    """(system text, turns) from OpenAI `messages`: system and developer turns are joined
    into one system text, the rest written in `fmt`."""
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def append(role: str, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        if out and out[-1]["role"] == role:
            out[-1][fmt.items_key].extend(items)
        else:
            out.append({"role": role, fmt.items_key: items})

    for i, m in enumerate(messages):
        role = m.get("role")
        if role in ("system", "developer"):
            system.append(text_of(m.get("content")))
            continue
        items = [b for p in parts_of(m.get("content")) if (b := fmt.part(p)) is not None]
        if role == "user":
            append("user", items)
        elif role == "assistant":
            items += [fmt.tool_call(call, i) for call in m.get("tool_calls") or ()
                      if isinstance(call, dict)]
            append(fmt.assistant_role, items)
        elif role == "tool":
            append("user", [fmt.tool_result(m, i)])
        else:
            raise InputError(f"messages[{i}].role is {role!r}; use system, user, assistant "
                             "or tool")
    return "\n\n".join(s for s in system if s), out
