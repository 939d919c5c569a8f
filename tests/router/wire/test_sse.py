"""The SSE parser: events complete the moment their blank line arrives, however split."""

from __future__ import annotations

from router.wire.sse import Event, SSEParser

STREAM = (b"event: message_start\r\ndata: {\"a\": 1}\r\n\r\n: keep-alive\n\n"
          b"data: line one\ndata: line two\n\ndata: [DONE]\n\n")
EXPECTED = [Event("message_start", b'{"a": 1}'), Event(None, b"", comment=True),
            Event(None, b"line one\nline two"), Event(None, b"[DONE]")]


def test_whole_stream() -> None:
    assert SSEParser().feed(STREAM) == EXPECTED


def test_every_split_point_gives_the_same_events() -> None:
    for cut in range(1, len(STREAM)):
        parser = SSEParser()
        got = parser.feed(STREAM[:cut]) + parser.feed(STREAM[cut:]) + parser.close()
        assert got == EXPECTED, cut


def test_an_event_is_handed_on_before_the_next_arrives() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: 1\n") == []
    assert parser.feed(b"\ndata: 2") == [Event(None, b"1")]
    assert parser.close() == [Event(None, b"2")]


def test_a_read_of_exactly_one_event_and_its_neighbours() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: {}\n\n") == [Event(None, b"{}")]
    assert parser.feed(b"data: a\r\n\r\n") == [Event(None, b"a")]
    assert parser.feed(b"data: b\n") == []
    assert parser.feed(b"data: c\n\n") == [Event(None, b"b\nc")]  # joined to the rest
    assert parser.feed(b"data: d\n\ndata: e\n\n") == [Event(None, b"d"), Event(None, b"e")]
