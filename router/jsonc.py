"""JSON with comments (JSONC, what OpenCode reads), read and edited as text.

Why edit the text instead of parsing and dumping: a user's `opencode.json` holds their
comments, their order, their formatting; a re-dump would throw all of it away. Here the
file is scanned once into a tree of spans (where each value starts and ends), and a
change is a splice: a value that exists is replaced in place, a key that is missing is
inserted before its object's closing brace, indented like its siblings. Everything
else, comments and trailing commas included, stays byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from router.errors import InputError

# json's own string scanner (escapes exactly as json.loads); typeshed does not declare it.
_scanstring: Callable[[str, int], tuple[str, int]] = vars(json.decoder)["scanstring"]


@dataclass
class Node:
    start: int
    end: int                                  # one past the value's last character
    kind: str                                 # object, array, string, number, literal
    members: dict[str, Node] = field(default_factory=dict)   # objects: key -> value
    items: list[Node] = field(default_factory=list)          # arrays
    open_end: int = 0                         # objects: one past the `{`


class _Scanner:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.i = 0

    def fail(self, what: str) -> InputError:
        line = self.text.count("\n", 0, self.i) + 1
        col = self.i - (self.text.rfind("\n", 0, self.i) + 1) + 1
        return InputError(f"{self.source}: not valid JSONC at line {line}, column {col}: "
                          f"{what}; fix the file (routerx will not rewrite a config it "
                          "cannot read)")

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c in " \t\r\n\ufeff":
                self.i += 1
            elif text.startswith("//", self.i):
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end + 1
            elif text.startswith("/*", self.i):
                end = text.find("*/", self.i + 2)
                if end < 0:
                    raise self.fail("a /* comment is never closed")
                self.i = end + 2
            else:
                return

    def value(self, depth: int = 0) -> Node:
        if depth > 200:
            raise self.fail("nested too deeply")
        self.skip()
        if self.i >= len(self.text):
            raise self.fail("the text ends where a value should be")
        c = self.text[self.i]
        start = self.i
        if c == "{":
            return self.object(depth)
        if c == "[":
            self.i += 1
            node = Node(start, start, "array")
            while True:
                self.skip()
                if self.peek("]"):
                    break
                node.items.append(self.value(depth + 1))
                self.skip()
                if not self.peek(","):
                    self.skip()
                    if not self.peek("]"):
                        raise self.fail("expected , or ]")
                    break
            node.end = self.i
            return node
        if c == '"':
            self.string()
            return Node(start, self.i, "string")
        decoder = json.JSONDecoder()
        try:
            _, end = decoder.raw_decode(self.text, self.i)
        except ValueError:
            raise self.fail("expected a value") from None
        self.i = end
        return Node(start, end, "literal")

    def peek(self, char: str) -> bool:
        if self.text.startswith(char, self.i):
            self.i += 1
            return True
        return False

    def string(self) -> str:
        try:
            value, end = _scanstring(self.text, self.i + 1)
        except ValueError:
            raise self.fail("a string is not closed or holds a bad escape") from None
        self.i = end
        return value

    def object(self, depth: int) -> Node:
        node = Node(self.i, self.i, "object")
        self.i += 1
        node.open_end = self.i
        while True:
            self.skip()
            if self.peek("}"):
                break
            if not self.text.startswith('"', self.i):
                raise self.fail("expected a \"key\" or }")
            key = self.string()
            self.skip()
            if not self.peek(":"):
                raise self.fail("expected : after a key")
            node.members[key] = self.value(depth + 1)
            self.skip()
            if not self.peek(","):
                self.skip()
                if not self.peek("}"):
                    raise self.fail("expected , or }")
                break
        node.end = self.i
        return node


def parse(text: str, source: str = "the file") -> tuple[Any, Node]:
    """(the value, its span tree); InputError naming line and column otherwise."""
    scanner = _Scanner(text, source)
    root = scanner.value()
    scanner.skip()
    if scanner.i != len(text):
        raise scanner.fail("text after the top-level value")
    return _decode(text, root), root


def _decode(text: str, node: Node) -> Any:
    if node.kind == "object":
        return {k: _decode(text, v) for k, v in node.members.items()}
    if node.kind == "array":
        return [_decode(text, v) for v in node.items]
    return json.loads(text[node.start:node.end])


class Document:
    """A JSONC text and the edits to make to it; `text` is the result so far."""

    def __init__(self, text: str, source: str = "the file") -> None:
        self.source = source
        self.text = text
        self.value, self.root = parse(text, source)
        if self.root.kind != "object":
            raise InputError(f"{source}: the top level must be a JSON object")

    def set(self, path: tuple[str, ...], value: Any) -> None:
        """Set `path` to `value`, creating the objects on the way; the rest unchanged."""
        node, depth = self.root, 0
        while depth < len(path) - 1 and node.kind == "object" and path[depth] in node.members:
            node = node.members[path[depth]]
            depth += 1
        if node.kind != "object":  # a scalar where an object is needed: replace it
            self._splice(node.start, node.end, self._dump(_nest(path[depth:], value), node))
        elif depth == len(path) - 1 and path[-1] in node.members:
            target = node.members[path[-1]]
            self._splice(target.start, target.end, self._dump(value, target))
        else:
            self._insert(node, path[depth], _nest(path[depth + 1:], value))
        self.value, self.root = parse(self.text, self.source)

    def _indent_of(self, pos: int) -> str:
        line_start = self.text.rfind("\n", 0, pos) + 1
        line = self.text[line_start:pos]
        return line[:len(line) - len(line.lstrip())]

    def _dump(self, value: Any, at: Node) -> str:
        text = json.dumps(value, indent=2, ensure_ascii=False)
        indent = self._indent_of(at.start)
        return text.replace("\n", "\n" + indent)

    def _insert(self, obj: Node, key: str, value: Any) -> None:
        if obj.members:
            first = min(obj.members.values(), key=lambda n: n.start)
            key_pos = self.text.rfind('"', obj.open_end, first.start)
            key_pos = self.text.rfind('"', obj.open_end, key_pos)  # the key's opening quote
            indent = self._indent_of(key_pos)
            last = max(obj.members.values(), key=lambda n: n.end)
            scanner = _Scanner(self.text, self.source)
            scanner.i = last.end
            scanner.skip()
            if self.text.startswith(",", scanner.i):  # a trailing comma: insert after it
                pos, lead = scanner.i + 1, ""
            else:
                pos, lead = last.end, ","
        else:
            indent = self._indent_of(obj.start) + "  "
            pos, lead = obj.open_end, ""
        inline = "\n" not in self.text[obj.start:obj.end] and obj.members
        name = f"{json.dumps(key, ensure_ascii=False)}: "
        if inline:  # an object written on one line stays on one line
            self._splice(pos, pos, f"{lead} {name}{json.dumps(value, ensure_ascii=False)}")
        else:
            member = name + json.dumps(value, indent=2, ensure_ascii=False).replace(
                "\n", "\n" + indent)
            closing = "" if obj.members else "\n" + self._indent_of(obj.start)
            self._splice(pos, pos, f"{lead}\n{indent}{member}{closing}")

    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]


def _nest(path: tuple[str, ...], value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value
