"""Files a user hands routerx that are not what they should be: `placements import FILE`
and routerx.toml. Each gets one line on stderr naming the file, exit 2, no traceback,
and nothing changes in the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli import app
from router.placements import MAX_IMPORT_BYTES
from tests.router.cli.process import routerx
from tests.router.routing_fixtures import doc, run_main

runner = CliRunner()


def _entry(model: str = "p/a") -> dict:
    return {"model": model, "layer": 1, "score": 0.5}


BAD_IMPORTS: list[tuple[str, bytes, str]] = [
    ("latin1", '{"café": []}'.encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 5)"),
    ("utf16", json.dumps(doc(1)).encode("utf-16"), "not UTF-8 text"),
    ("deep", b"[" * 100_000, "JSON nested too deeply"),
    ("deep-object", b'{"a":' * 100_000, "JSON nested too deeply"),
    ("long-int", b'{"c": [{"model": "p/a", "layer": 1' + b"0" * 5000 + b', "score": 1}]}',
     "a number has more digits"),
    ("list", b"[1, 2, 3]", "expected an object"),
    ("string", b'"placements"', "expected an object"),
    ("empty", b"", "not valid JSON at line 1 column 1"),
    ("truncated", b'{"c": [', "not valid JSON"),
    ("entries-not-list", b'{"c": {"model": "p/a"}}', "must map to a non-empty list"),
    ("entry-not-object", b'{"c": ["p/a"]}', "must be an object, got str"),
    ("dup-category", b'{"c": [{"model": "p/a", "layer": 1, "score": 1}], '
                     b'"c": [{"model": "p/b", "layer": 1, "score": 1}]}',
     "key 'c' appears twice"),
    ("nan", json.dumps({"c": [{**_entry(), "score": float("nan")}]}).encode(),
     "'score' must be a finite number"),
    ("space-in-id", json.dumps({"c": [_entry("p/a b")]}).encode(),
     "'model' 'p/a b' contains U+0020"),
    ("nul-in-id", json.dumps({"c": [_entry("p/a\x00")]}).encode(),
     "'model' 'p/a\\x00' contains U+0000"),
    ("lone-surrogate", b'{"c": [{"model": "p/\\ud800", "layer": 1, "score": 1}]}',
     "contains U+D800"),
    ("ctrl-category", json.dumps({"code\x1bgen": [_entry()]}).encode(),
     "category name 'code\\x1bgen' contains U+001B"),
    ("long-category", json.dumps({"c" * 101: [_entry()]}).encode(), "is too long"),
    ("long-id", json.dumps({"c": [_entry("p/" + "m" * 1000)]}).encode(), "is too long"),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_IMPORTS,
                         ids=[b[0] for b in BAD_IMPORTS])
def test_bad_import_is_one_line_exit_2_and_changes_nothing(
    name: str, content: bytes, expected: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc(2)))
    assert runner.invoke(app, ["placements", "import", str(good)]).exit_code == 0
    before = runner.invoke(app, ["placements", "--json"]).stdout

    path = tmp_path / f"{name}.json"
    path.write_bytes(content)
    code, out, err = run_main(monkeypatch, capsys, "placements", "import", str(path))
    assert code == 2 and out == ""
    assert expected in err, err
    assert str(path) in err.replace("\n", "")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert runner.invoke(app, ["placements", "--json"]).stdout == before


def test_huge_import_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.write(b'{"c": [' + b" " * (MAX_IMPORT_BYTES + 1) + b"]}")
    code, _, err = run_main(monkeypatch, capsys, "placements", "import", str(path))
    assert code == 2 and "larger than 16 MiB" in err and "Traceback" not in err
    assert json.loads(runner.invoke(app, ["placements", "--json"]).stdout) == {}


def test_unreadable_import_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for path, expected in ((tmp_path / "missing.json", "No such file"),
                           (tmp_path, "Is a directory")):
        code, _, err = run_main(monkeypatch, capsys, "placements", "import", str(path))
        assert code == 2 and "cannot read" in err and expected in err, err
        assert "Traceback" not in err


def test_bad_import_through_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000)
    proc = routerx("placements", "import", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "JSON nested too deeply" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("content", "expected"), [
    ('[providers.vllm]\nbase_url = "http://127.0.0.1:8000/v1" # café\n'.encode("latin-1"),
     "routerx.toml: not UTF-8 text (byte 0xe9 at offset"),
    ("[providers.vllm]\nbase_url = ".encode("utf-16"), "routerx.toml: not UTF-8 text"),
    (b"[providers.vllm\n", "routerx.toml: not valid TOML"),
    (b"x = " + b"[" * 100_000, "routerx.toml: not valid TOML"),
    (b"[providers.vllm]\nbase_url = \"http://x\"\n[providers.vllm]\n", "not valid TOML"),
    (b'[providers."Bad\\u001bName"]\nbase_url = "http://x"\n',
     '[providers."Bad\\u001bName"]: provider names are lowercase'),
    (b'[prices."openai/gpt\\u0000x"]\ninput = 1\noutput = 1\n',
     '[prices."openai/gpt\\u0000x"]: the key must be a model id'),
])
def test_bad_routerx_toml_is_one_line_naming_the_file(
    content: bytes, expected: str, tmp_path: Path
) -> None:
    (tmp_path / "routerx.toml").write_bytes(content)
    proc = routerx("discover", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr, proc.stderr
    assert str(tmp_path / "routerx.toml") in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "\x1b" not in proc.stderr and "\x00" not in proc.stderr
