"""What crosses between the judge and the candidate, and how tests that legitimately
compare floats, sets, generators, objects and exceptions keep working."""

from __future__ import annotations

import collections
import json
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from benchmarks.sandbox import Job, Sandbox
from benchmarks.sandbox.values import (
    ITER_LIMIT,
    BadValue,
    decode,
    decode_exception,
    encode,
    encode_exception,
)
from tests.benchmarks.sandbox.conftest import PATIENT_S


class Handles:
    """The candidate's side of references, for round trips outside the sandbox."""

    def __init__(self) -> None:
        self.objects: list[Any] = []

    def ref(self, obj: Any) -> dict[str, Any]:
        self.objects.append(obj)
        return {"t": "ref", "id": len(self.objects), "type": type(obj).__name__}


def cross(value: Any) -> Any:
    """``value`` as the judge would receive it: encoded, through JSON, decoded."""
    handles = Handles()
    wire = json.loads(json.dumps(encode(value, handles.ref)))
    return decode(wire, lambda handle, name: ("ref", handle, name))


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2 ** 53, -(2 ** 200), 1.5, -0.0, math.inf, -math.inf,
    "", "héllo\udc80", [1, [2, [3]]], (1, (2,)), (), {1, 2}, frozenset({(1, 2)}),
    {"a": 1, (1, 2): [3], 3: {"b": None}}, b"\x00\xff", bytearray(b"ab"), 1 + 2j,
    range(1, 10, 3), Ellipsis, Decimal("1.10"), Fraction(3, 7),
])
def test_plain_values_cross_as_themselves(value: Any) -> None:
    back = cross(value)
    assert type(back) is type(value)
    assert back == value
    assert repr(back) == repr(value)


def test_integers_past_the_decimal_digit_limit_cross() -> None:
    assert cross(7 ** 20000) == 7 ** 20000


def test_nan_crosses() -> None:
    assert math.isnan(cross(float("nan")))


def test_dict_order_is_kept() -> None:
    assert list(cross({"b": 1, "a": 2, "c": 3})) == ["b", "a", "c"]


def test_subclasses_cross_as_their_base_type_whatever_they_override() -> None:
    class Loud(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    class Odd(list):
        def __iter__(self):  # noqa: ANN204
            return iter([99])

    class Words(str):
        def __str__(self) -> str:
            return "lie"

    Point = collections.namedtuple("Point", "x y")
    assert type(cross(Loud(5))) is int and cross(Loud(5)) == 5
    assert cross(Odd([1, 2])) == [1, 2]
    assert cross(Words("truth")) == "truth"
    assert cross(Point(1, 2)) == (1, 2)
    assert cross(collections.Counter("aab")) == {"a": 2, "b": 1}
    assert cross(collections.OrderedDict(a=1)) == {"a": 1}


def test_standard_mappings_and_views_compare_as_they_would() -> None:
    chain = cross(collections.ChainMap({"a": 1}, {"b": 2, "a": 3}))  # MBPP/87
    assert type(chain) is dict and chain == {"a": 1, "b": 2}
    assert cross(collections.UserDict(a=1)) == {"a": 1}
    assert cross(collections.UserList([1])) == [1]
    assert cross(collections.deque([1, 2])) == collections.deque([1, 2])
    keys = cross({"a": 1, "b": 2}.keys())
    assert keys == {"a", "b"} and list(keys) == ["a", "b"]
    assert cross({1: [2]}.items()) == {1: [2]}.items()
    values = cross({"a": 1}.values())
    assert values == values and values != {"a": 1}.values()  # as in Python


def test_sets_keep_their_iteration_order_where_cpython_allows() -> None:
    # MBPP/341 compares tuple(s) of a set display with a tuple: the order the test's
    # own set iterates in is the one the candidate sees
    display = {12, 13, 14, 15, 16}
    built = set(range(12, 17))
    assert list(display) != list(built)
    assert list(cross(display)) == list(display)
    assert list(cross(built)) == list(built)


def test_iterators_are_materialised_up_to_the_limit() -> None:
    assert list(cross(x * x for x in range(4))) == [0, 1, 4, 9]
    assert list(cross(map(str, [1, 2]))) == ["1", "2"]
    endless = cross(iter(int, 1))  # never stops
    for _ in range(ITER_LIMIT):
        assert next(endless) == 0
    with pytest.raises(RuntimeError, match="past"):
        next(endless)


def test_an_iterator_that_raises_raises_there_on_the_judges_side() -> None:
    def gen():  # noqa: ANN202
        yield 1
        raise ValueError("bad input")

    got = cross(gen())
    assert next(got) == 1
    with pytest.raises(ValueError, match="bad input"):
        next(got)


def test_objects_become_references() -> None:
    class Node:
        pass

    assert cross(Node()) == ("ref", 1, "Node")
    assert cross([len, Node]) == [("ref", 1, "builtin_function_or_method"), ("ref", 2, "type")]
    nested: list[Any] = []
    nested.append(nested)
    assert cross(nested) == ("ref", 1, "list")  # a cycle: too deep to cross as data


@pytest.mark.parametrize("wire", [
    {"t": "set", "v": [[1]]},                      # unhashable member
    {"t": "dict", "v": [[[1], 2]]},                # unhashable key
    {"t": "int", "v": "0xzz"},                     # not hexadecimal
    {"t": "complex", "v": ["1", 2]},
    {"t": "range", "v": [0, 10, 0]},
    {"t": "fraction", "v": [1, 0]},
    {"t": "no such tag"},
    {"t": "import", "m": "os", "q": "system"},     # the judge never imports by name
    {"t": "tuple", "v": {"not": "a list"}},
    list(range(1_000_001)),
])
def test_malformed_values_are_refused(wire: Any) -> None:
    with pytest.raises(BadValue):
        decode(wire, lambda handle, name: None)


def test_nesting_is_capped() -> None:
    node: Any = 1
    for _ in range(101):
        node = [node]
    with pytest.raises(BadValue, match="deeper"):
        decode(node, lambda handle, name: None)


def test_exceptions_cross_as_builtin_types_or_stand_ins() -> None:
    class Mine(KeyError):
        pass

    def back(exc: BaseException) -> BaseException:
        handles = Handles()
        return decode_exception(json.loads(json.dumps(encode_exception(exc, handles.ref))),
                                lambda handle, name: None)

    value_error = back(ValueError("bad", 3))
    assert type(value_error) is ValueError and value_error.args == ("bad", 3)
    key_error = back(KeyError("k"))
    assert str(key_error) == "'k'"
    mine = back(Mine("x"))
    assert isinstance(mine, KeyError) and type(mine).__name__ == "Mine"
    syntax = back(SyntaxError("invalid syntax", ("<sample>", 3, 1, "x(", 3, 2)))
    assert (syntax.msg, syntax.lineno) == ("invalid syntax", 3)


# -- through the sandbox -------------------------------------------------------------
CASES = [
    # (candidate program, judge test): each must pass
    ("def f():\n    return 0.1 + 0.2\n",
     "import math\nassert math.isclose(f(), 0.3)\nassert abs(f() - 0.3) < 1e-9\n"),
    ("def f():\n    return float('nan'), float('inf'), -0.0\n",
     "import math\nn, i, z = f()\nassert math.isnan(n) and i == math.inf\n"
     "assert math.copysign(1, z) == -1\n"),
    ("def f(xs):\n    return set(xs), frozenset(xs)\n",
     "s, fs = f([3, 1, 3])\nassert s == {1, 3} and isinstance(s, set)\n"
     "assert fs == frozenset({1, 3}) and type(fs) is frozenset\n"),
    ("def f(n):\n    for i in range(n):\n        yield i * i\n",
     "g = f(4)\nassert next(g) == 0\nassert list(g) == [1, 4, 9]\n"
     "assert sum(f(3)) == 5\n"),
    ("def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x\n",
     "try:\n    f(-1)\nexcept ValueError as e:\n    assert str(e) == 'negative'\n"
     "else:\n    raise AssertionError('no exception')\n"),
    ("class Bad(ValueError):\n    pass\n"
     "def f(x):\n    raise Bad(x)\n",
     "try:\n    f(1)\nexcept ValueError as e:\n    assert type(e).__name__ == 'Bad'\n"),
    ("def f(d):\n    d = dict(d)\n    d[(1, 2)] = b'\\x00'\n    return d\n",
     "assert f({'a': [1]}) == {'a': [1], (1, 2): b'\\x00'}\n"),
    ("def f(n):\n    return 2 ** n\n",
     "assert f(5000) == 2 ** 5000\nassert f(3) == 8\n"),
    ("from collections import Counter, namedtuple\nP = namedtuple('P', 'x y')\n"
     "def f(s):\n    return Counter(s), P(1, 2)\n",
     "c, p = f('aab')\nassert c == {'a': 2, 'b': 1} and p == (1, 2)\n"),
    ("def f(t, kind):\n    return [x for x in t if not isinstance(x, kind)]\n",
     "assert f((1, 2.5, 'a'), int) == [2.5, 'a']\nassert f((1, 'a'), str) == [1]\n"),
    ("def f(*args, sep='-', **kw):\n    return sep.join(map(str, args)) + str(sorted(kw))\n",
     "assert f(1, 2, sep='+', z=1, a=2) == \"1+2['a', 'z']\"\n"),
    ("def make_adder(n):\n    return lambda x: x + n\n",
     "add2 = make_adder(2)\nassert add2(3) == 5 and add2 == add2 and add2 != make_adder(2)\n"),
    # MBPP/367's shape: the set-up builds a tree of the candidate's own Node objects
    ("class Node:\n    def __init__(self, data):\n        self.data = data\n"
     "        self.left = None\n        self.right = None\n"
     "def height(root):\n    if root is None:\n        return 0\n"
     "    return 1 + max(height(root.left), height(root.right))\n",
     "root = Node(1)\nroot.left = Node(2)\nroot.left.left = Node(3)\n"
     "assert root.left.data == 2 and root.right is None\n"
     "assert height(root) == 3 and height(root.left) == 2\n"),
    # MBPP/596's shape: the test uses a module only the solution imports
    ("import sys\ndef size(t):\n    return sys.getsizeof(t)\n",
     "assert size((1, 2)) == sys.getsizeof((1, 2))\n"),
    # MBPP/126's shape: the function is named like a builtin
    ("def sum(a, b):\n    return a - b\n", "assert sum(5, 3) == 2\n"),
]


@pytest.mark.parametrize(("program", "test"), CASES)
def test_tests_that_compare_real_values_pass(sandbox: Sandbox, program: str,
                                              test: str) -> None:
    entry = program.split("def ", 1)[1].split("(", 1)[0]
    verdict = sandbox.run([Job(program, test=test, entry_point=entry, timeout_s=PATIENT_S)])[0]
    assert verdict.status == "passed", verdict


def test_a_value_that_cannot_cross_as_data_is_opaque(sandbox: Sandbox) -> None:
    program = "def f():\n    return object()\n"
    test = "r = f()\nassert r == r and r != f() and bool(r)\nprint(repr(r))\nlen(r)\n"
    verdict = sandbox.run([Job(program, test=test, entry_point="f", timeout_s=PATIENT_S)])[0]
    assert (verdict.status, verdict.detail) == (
        "error", "TypeError: object of type 'Remote' has no len()")


def test_a_judge_function_cannot_be_passed_to_the_candidate(sandbox: Sandbox) -> None:
    program = "def f(key):\n    return key(1)\n"
    verdict = sandbox.run([Job(program, test="f(lambda x: x)\n", entry_point="f",
                               timeout_s=PATIENT_S)])[0]
    assert verdict.status == "error"
    assert "cannot pass a function to the candidate" in (verdict.detail or "")


def test_a_proxy_kept_past_its_job_cannot_reach_the_next_candidate() -> None:
    # the judge is one process for a worker's samples: a test that stashes a proxy
    # (here in a module both tests import) must not call the next sample through it
    first = Job("def f():\n    return 1\n", entry_point="f", timeout_s=PATIENT_S,
                test="import math\nmath.kept = f\nassert f() == 1\n")
    second = Job("def f():\n    return 2\n", entry_point="f", timeout_s=PATIENT_S,
                 test="import math\nassert f() == 2\nmath.kept()\n")
    with Sandbox(workers=1) as sb:
        verdicts = sb.run([first, second])
    assert verdicts[0].status == "passed"
    assert verdicts[1].status == "error", verdicts[1]
    assert "was asked after its job ended" in (verdicts[1].detail or "")
