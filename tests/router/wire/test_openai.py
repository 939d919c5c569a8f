"""The pass-through's model rename: the same bytes whether the provider's `model` text is
found by the regex (first chunk) or by the remembered text (every later chunk)."""

from __future__ import annotations

from router.wire.openai import _MODEL_FIELD, PassThroughStream
from router.wire.sse import Event

CHUNKS = [
    b'{"id":"c","model":"gpt-x","choices":[{"delta":{"content":"a"},"finish_reason":null}]}',
    b'{"id":"c","model" : "gpt-x","choices":[]}',                  # spaced: regex again
    b'{"y":{"model":"gpt-x"},"model":"other"}',                    # remembered text not first
    b'{"model":"gpt-x","c":"\\"model\\":\\"gpt-x\\""}',             # escaped look-alike
    b'{"no":"field"}',
    b'{"model":"gpt-x","choices":[{"delta":{},"finish_reason":"stop"}]}',
]


def test_every_chunk_renamed_as_the_regex_would() -> None:
    stream = PassThroughStream("openai/gpt-x", hide_usage_chunk=False)
    for chunk in CHUNKS:
        want = b"data: " + _MODEL_FIELD.sub(b'"model":"openai/gpt-x"', chunk, count=1) + b"\n\n"
        assert stream.feed(Event(None, chunk)) == [want]
    assert stream.finish_reason == "stop"


def test_a_null_finish_reason_is_no_finish() -> None:
    stream = PassThroughStream("m", hide_usage_chunk=False)
    stream.feed(Event(None, b'{"model":"m","choices":[{"finish_reason": null}]}'))
    assert stream.finish_reason is None
