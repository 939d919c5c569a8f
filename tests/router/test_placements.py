"""Placements import/export and fallback tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from router.errors import InputError, UnknownNameError
from router.placements import (
    fallback_order,
    import_placements,
    latest_fallback_tables,
    list_placements,
    parse_placements,
    read_placements_file,
    split_model_id,
    write_fallback_table,
)
from router.store import session_scope
from router.store.models import FallbackTable, Model, Placement
from router.store.versions import PLACEMENTS, read_versions
from tests.router.routing_fixtures import doc, seed


def _listing(url: str, category: str | None = None) -> dict:
    with session_scope(url) as s:
        return list_placements(s, category)


def _version(url: str) -> int:
    with session_scope(url) as s:
        return read_versions(s, [PLACEMENTS])[PLACEMENTS]


def test_round_trip(database_url: str) -> None:
    data = {**doc(5), **doc(2, category="debugging", prefix="ollama")}
    data["debugging"][1]["pass_rate"] = None
    summary = seed(database_url, data)
    assert _listing(database_url) == data
    assert summary.placements == 7 and summary.fallback_versions == {
        "code-generation": 1, "debugging": 1}
    assert _listing(database_url, "debugging") == {"debugging": data["debugging"]}


def test_new_models_are_catalogued_with_the_provider_before_the_first_slash(
    database_url: str,
) -> None:
    seed(database_url, {"c": [
        {"model": "ollama/llama3.1:8b", "layer": 1, "score": 1.0},
        {"model": "openrouter/meta-llama/llama-3-70b", "layer": 2, "score": 0.5},
    ]}, models=[Model(id="groq/llama-3-70b", provider="custom-gateway", name="llama-3-70b")])
    seed(database_url, {"d": [{"model": "groq/llama-3-70b", "layer": 1, "score": 1.0}]})
    with session_scope(database_url) as s:
        rows = {m.id: (m.provider, m.name) for m in s.exec(select(Model)).all()}
    assert rows == {
        "ollama/llama3.1:8b": ("ollama", "llama3.1:8b"),
        "openrouter/meta-llama/llama-3-70b": ("openrouter", "meta-llama/llama-3-70b"),
        "groq/llama-3-70b": ("custom-gateway", "llama-3-70b"),  # an existing row is kept
    }


def test_fallback_order_is_layer_then_score() -> None:
    entries = parse_placements({"c": [
        {"model": "a/x", "layer": 2, "score": 0.9},
        {"model": "a/y", "layer": 1, "score": 0.1},
        {"model": "a/z", "layer": 1, "score": 0.5},
        {"model": "a/w", "layer": 1, "score": 0.5},
    ]})["c"]
    assert fallback_order(entries) == ["a/z", "a/w", "a/y", "a/x"]  # ties keep file order


def test_a_new_fallback_version_only_when_the_order_changes(database_url: str) -> None:
    seed(database_url, doc(3))
    seed(database_url, doc(3))
    with session_scope(database_url) as s:
        assert [t.version for t in s.exec(select(FallbackTable)).all()] == [1]
        assert write_fallback_table(s, "code-generation",
                                    ["prov/model-0:8b", "prov/model-1:8b", "prov/model-2:8b"]) \
            == (1, False)
        assert write_fallback_table(s, "code-generation",
                                    ["prov/model-1:8b", "prov/model-0:8b"]) == (2, True)
    with session_scope(database_url) as s:
        assert latest_fallback_tables(s)["code-generation"].models == [
            "prov/model-1:8b", "prov/model-0:8b"]
    assert _version(database_url) == 2  # every import bumps the placements version


def test_reimport_replaces_a_category_and_leaves_others(database_url: str) -> None:
    seed(database_url, {**doc(3), **doc(2, category="debugging")})
    summary = seed(database_url, doc(1))
    assert summary.removed == 2
    listing = _listing(database_url)
    assert [e["model"] for e in listing["code-generation"]] == ["prov/model-0:8b"]
    assert len(listing["debugging"]) == 2


def test_bad_file_changes_nothing_and_names_the_entry(database_url: str) -> None:
    data = {**doc(2), "debugging": [
        {"model": "a/ok", "layer": 1, "score": 1.0},
        {"model": "a/bad", "layer": 7, "score": 1.0},
    ]}
    with pytest.raises(InputError, match=r"category 'debugging' entry 2 \(model 'a/bad'\).*layer"):
        seed(database_url, data)
    with session_scope(database_url) as s:
        assert s.exec(select(Model)).all() == [] and s.exec(select(Placement)).all() == []
    assert _version(database_url) == 0


def test_a_failure_while_writing_rolls_everything_back(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a, **_k):  # noqa: ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr("router.placements.write_fallback_table", broken)
    with pytest.raises(RuntimeError):
        seed(database_url, doc(3))
    with session_scope(database_url) as s:
        assert s.exec(select(Model)).all() == [] and s.exec(select(Placement)).all() == []


@pytest.mark.parametrize(("data", "message"), [
    ([], "expected an object"),
    ({}, "no categories"),
    ({"c": []}, "non-empty list"),
    ({"c": [{"model": "nope", "layer": 1, "score": 1}]}, "provider/model"),
    ({"c": [{"model": "a/b", "layer": True, "score": 1}]}, "layer"),
    ({"c": [{"model": "a/b", "layer": 1, "score": "high"}]}, "score"),
    ({"c": [{"model": "a/b", "layer": 1, "score": 1, "pass_rate": 1.2}]}, "pass_rate"),
    ({"c": [{"model": "a/b", "layer": 1, "score": 1, "provisional": "yes"}]}, "provisional"),
    ({"c": [{"model": "a/b", "layer": 1, "score": 1, "pasrate": 0.5}]}, "unknown field"),
    ({"c": [{"model": "a/b", "layer": 1, "score": 1}, {"model": "a/b", "layer": 2, "score": 0}]},
     "appears twice"),
])
def test_parse_errors_are_specific(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_placements(data, source="f.json")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_placements_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"c": [\n  {"model": "a/b",}\n]}')
    with pytest.raises(InputError, match="line 2"):
        read_placements_file(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc(2)))
    assert list(read_placements_file(good)) == ["code-generation"]


def test_unknown_category_lists_the_known(database_url: str) -> None:
    seed(database_url, doc(1))
    with pytest.raises(UnknownNameError, match="known: code-generation"):
        _listing(database_url, "nope")


def test_model_ids_split_at_the_first_slash_only() -> None:
    assert split_model_id("ollama/qwen2.5-coder:7b") == ("ollama", "qwen2.5-coder:7b")
    with pytest.raises(ValueError):
        split_model_id("/x")


def test_import_runs_in_the_callers_transaction(database_url: str) -> None:
    with session_scope(database_url) as s:
        import_placements(s, parse_placements(doc(1)), source="x.json")
        s.rollback()
    assert _listing(database_url) == {}
