"""Values crossing between the judge and the candidate: plain data, never live objects.

Why: a value the judge compares must behave as what it is. If the candidate's own
object reached the test, its ``__eq__`` (or ``__bool__``, ``__hash__``, ``__sub__``...)
would decide the assertion, and an object that equals everything would pass every
test. So the candidate's side turns a return value into JSON with a type tag, and the
judge's side rebuilds it from builtin types only: what the judge holds is a fresh
``int``, ``list``... made by the judge, whatever the candidate sent.

What crosses, and how (``encode`` on the sending side, ``decode`` on the receiving):

- ``None``, ``bool``, ``int``, ``float`` (nan and the infinities included), ``str``:
  as JSON scalars (integers beyond 2**53 as a hexadecimal string, which has no
  digit limit);
- ``list`` as a JSON array; ``tuple``, ``set``, ``frozenset``, ``dict`` (any keys,
  order kept), ``bytes``, ``bytearray``, ``complex``, ``range``, ``Ellipsis``,
  ``decimal.Decimal``, ``fractions.Fraction``, ``collections.deque`` and dict views
  (``keys()``, ``values()``, ``items()``) as tagged objects, rebuilt as the same type
  (a set so that it iterates in the same order where CPython allows);
- ``ChainMap``, ``UserDict`` and any mapping that keeps ``Mapping``'s own ``__eq__``
  as a ``dict`` of its items, ``UserList`` and ``UserString`` as their data: each
  compares exactly as that would;
- a subclass of one of those (a ``Counter``, a ``namedtuple``, an ``IntEnum``, an
  ``int`` with its own ``__eq__``) as its base type, read through the base type's own
  methods, so overridden methods play no part; numpy scalars as their ``item()``;
- a numpy array of booleans, numbers, text or bytes as its dtype, shape and items,
  rebuilt with numpy by the judge (``tuple(a)``, ``a == b`` and ``a.tolist()`` behave
  as they would in one process); other arrays are references;
- a generator or any other iterator: materialised by the candidate (at most
  ``ITER_LIMIT`` items) and handed to the test as a judge-side iterator over them,
  which raises the candidate's exception where the candidate's iterator raised one;
- from the judge to the candidate only: a class or function that the candidate can
  import by module and qualified name (``int``, ``str.upper``, ``math.sqrt``: MBPP
  passes types to functions), as that name; the judge never takes such a name from the
  candidate, so a candidate cannot make the test call into the judge's own library;
- anything else (functions, classes, instances of the program's own classes, values
  over the limits): a *reference*. The judge holds an opaque ``Remote`` that equals
  only itself; it can be called, its attributes read and set, and passed back to the
  candidate, each through the channel, but no method of the candidate's object runs
  for the judge's comparisons.

Limits (a value past them becomes a reference on the candidate's side, and the judge
refuses a message past them): ``MAX_DEPTH`` levels of nesting, ``MAX_ITEMS`` values in
one message. The channel itself caps a message's size (``judge.MESSAGE_LIMIT``).
An exception a call raised crosses as its type's name, the names of its builtin bases
and its arguments as values (``encode_exception``), and is re-raised in the judge as
that builtin type (a ``ValueError`` is a ``ValueError``) or, for the program's own
classes, as a stand-in class of the same name derived from its nearest builtin base
(``decode_exception``), so a test's ``except ValueError`` catches both.
"""

from __future__ import annotations

import builtins
import collections
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

MAX_DEPTH = 100
MAX_ITEMS = 1_000_000
#: items read from a candidate's iterator before the rest is cut
ITER_LIMIT = 10_000
_SMALL_INT = 1 << 53

#: dict views, rebuilt as views of a fresh dict (a keys view equals a set, a values
#: view equals nothing but itself, as in the candidate)
_VIEWS: dict[str, Callable[[list[Any]], Any]] = {
    "keys": lambda items: dict.fromkeys(items).keys(),
    "values": lambda items: dict(enumerate(items)).values(),
    "items": lambda items: dict(_pair(i) for i in items).items(),
}
_VIEW_TYPES = {type({}.keys()): "keys", type({}.values()): "values", type({}.items()): "items"}
#: mappings of the standard library that compare like a dict
_DICT_LIKE = (collections.ChainMap, collections.UserDict)
_MAPPING_EQ: object = Mapping.__eq__  # a Mapping whose equality is the ABC's own
_BUILTIN_EXCEPTIONS = {name: cls for name, cls in vars(builtins).items()
                       if isinstance(cls, type) and issubclass(cls, BaseException)}

Ref = Callable[[Any], Any]


class BadValue(ValueError):
    """A message that is not a well-formed value (or is past the limits)."""


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_ITEMS

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise BadValue(f"more than {MAX_ITEMS} values in one message")


# -- encoding (either side) ----------------------------------------------------------
def encode(value: Any, ref: Ref) -> Any:
    """``value`` as JSON-ready data; ``ref(obj)`` stands for whatever cannot cross as
    data (the candidate keeps the object and sends a reference; the judge raises)."""
    try:
        return _encode(value, ref, 0, _Budget())
    except (BadValue, RecursionError):
        return ref(value)


def _int(value: int) -> Any:
    if -_SMALL_INT < value < _SMALL_INT:
        return value
    return {"t": "int", "v": hex(value)}


def _encode(x: Any, ref: Ref, depth: int, budget: _Budget) -> Any:  # noqa: C901
    budget.take()
    t = type(x)
    if x is None or t is bool or t is float or t is str:
        return x
    if t is int:
        return _int(x)
    if depth >= MAX_DEPTH:
        raise BadValue(f"nested deeper than {MAX_DEPTH} levels")
    depth += 1
    if t is list:
        return [_encode(i, ref, depth, budget) for i in x]
    if t is tuple or t is set or t is frozenset:
        return {"t": t.__name__, "v": [_encode(i, ref, depth, budget) for i in x]}
    if t is dict:
        return {"t": "dict", "v": [[_encode(k, ref, depth, budget), _encode(v, ref, depth, budget)]
                                   for k, v in x.items()]}
    if t is bytes or t is bytearray:
        return {"t": t.__name__, "v": x.decode("latin-1")}
    if t is complex:
        return {"t": "complex", "v": [x.real, x.imag]}
    if t is range:
        return {"t": "range", "v": [_int(x.start), _int(x.stop), _int(x.step)]}
    if x is Ellipsis:
        return {"t": "ellipsis"}
    base = _base_value(x)
    if base is not None:
        return _encode(base[0], ref, depth - 1, budget)
    view = _VIEW_TYPES.get(t)
    if view is not None:
        return {"t": view, "v": [_encode(i, ref, depth, budget) for i in x]}
    if t is collections.deque:
        return {"t": "deque", "v": [_encode(i, ref, depth, budget) for i in x]}
    if isinstance(x, _DICT_LIKE) or (isinstance(x, Mapping) and t.__eq__ is _MAPPING_EQ):
        return _encode(dict(x.items()), ref, depth - 1, budget)
    if isinstance(x, collections.UserList | collections.UserString):
        return _encode(x.data, ref, depth - 1, budget)
    module = getattr(t, "__module__", "")
    if module == "decimal" and t.__name__ == "Decimal":
        return {"t": "decimal", "v": str(x)}
    if module == "fractions" and t.__name__ == "Fraction":
        return {"t": "fraction", "v": [_int(x.numerator), _int(x.denominator)]}
    if isinstance(module, str) and module.startswith("numpy") and getattr(x, "ndim", None) == 0:
        try:
            item = x.item()
        except Exception:
            return ref(x)
        if type(item) is not t:
            return _encode(item, ref, depth - 1, budget)
    if isinstance(module, str) and module.startswith("numpy") and t.__name__ == "ndarray":
        array = _ndarray(x, ref, depth, budget)
        if array is not None:
            return array
    if hasattr(t, "__next__") and hasattr(t, "__iter__"):
        return _materialise(x, ref, depth, budget)
    return ref(x)


#: numpy dtype kinds an array may have to cross as data (bool, numbers, text, bytes)
_ARRAY_KINDS = frozenset("biufcUS")


def _ndarray(x: Any, ref: Ref, depth: int, budget: _Budget) -> Any:
    """A numpy array of plain items as its dtype, shape and items (the judge rebuilds
    it with numpy, so ``tuple(a)`` and ``a == b`` behave as in one process); None for
    anything else (object or structured arrays stay references)."""
    dtype = x.dtype
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype:
        return None
    items = x.ravel().tolist()
    if dtype.kind in "US":
        items = [str(i) if dtype.kind == "U" else i.decode("latin-1") for i in items]
    return {"t": "ndarray", "dtype": dtype.str, "shape": [int(n) for n in x.shape],
            "v": [_encode(i, ref, depth, budget) for i in items]}


def _base_value(x: Any) -> tuple[Any] | None:
    """A builtin subclass's value as its base type, read through the base type's own
    methods (an overridden ``__iter__`` or ``__eq__`` is never called)."""
    if isinstance(x, int):
        return (int.__index__(x),)
    if isinstance(x, float):
        return (float.__float__(x),)
    if isinstance(x, complex):
        return (complex(complex.real.__get__(x), complex.imag.__get__(x)),)
    if isinstance(x, str):
        return (str.__str__(x),)
    if isinstance(x, bytes):
        return (bytes.__bytes__(x),)
    if isinstance(x, bytearray):
        return (bytearray(memoryview(x)),)
    if isinstance(x, tuple):
        return (tuple.__getitem__(x, slice(None)),)
    if isinstance(x, list):
        return (list.copy(x),)
    if isinstance(x, dict):
        return (dict(dict.items(x)),)
    if isinstance(x, frozenset):
        return (frozenset(frozenset.__iter__(x)),)
    if isinstance(x, set):
        return (set(set.__iter__(x)),)
    return None


def _materialise(it: Any, ref: Ref, depth: int, budget: _Budget) -> Any:
    items: list[Any] = []
    node: dict[str, Any] = {"t": "iter", "v": items}
    try:
        for _ in range(ITER_LIMIT):
            items.append(_encode(next(it), ref, depth, budget))
        else:
            node["more"] = True
    except StopIteration:
        pass
    except (BadValue, RecursionError):
        raise
    except BaseException as exc:  # the iterator itself raised: the test sees it there
        node["raise"] = encode_exception(exc, ref)
    return node


def encode_exception(exc: BaseException, ref: Ref) -> dict[str, Any]:
    """How an exception crosses: its type's name, the builtin exception types it
    derives from (nearest first), its arguments."""
    cls = type(exc)
    bases = [c.__name__ for c in cls.__mro__ if _BUILTIN_EXCEPTIONS.get(c.__name__) is c]
    try:
        args = encode(tuple(exc.args), ref)
    except BaseException:
        args = {"t": "tuple", "v": []}
    try:
        text = str(exc)[:2000]
    except BaseException:  # a hostile __str__ must not lose the answer
        text = "<unprintable>"
    return {"type": cls.__name__ if isinstance(cls.__name__, str) else "Exception",
            "bases": bases, "args": args, "text": text}


# -- decoding (either side; the judge's is the one that matters) ----------------------
def importable(obj: Any) -> dict[str, Any] | None:
    """``obj`` as an import by name, if importing that name gives back ``obj``."""
    module = getattr(obj, "__module__", None) or getattr(
        getattr(obj, "__objclass__", None), "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if type(module) is not str or type(qualname) is not str or "<" in qualname:
        return None
    try:
        if import_name(module, qualname) is obj:
            return {"t": "import", "m": module, "q": qualname}
    except Exception:
        pass
    return None


def import_name(module: str, qualname: str) -> Any:
    import importlib

    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def decode(node: Any, resolve: Callable[[int, str], Any],
           importer: Callable[[str, str], Any] | None = None) -> Any:
    """Rebuild a value from ``encode``'s data with builtin types only; ``resolve(id,
    type_name)`` gives what a reference stands for, ``importer(module, qualname)`` an
    import by name (None: refused, as the judge refuses them). Raises BadValue on
    anything malformed or past the limits."""
    try:
        return _decode(node, resolve, 0, _Budget(), importer)
    except BadValue:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, RecursionError,
            MemoryError, ImportError, AttributeError) as exc:
        raise BadValue(f"malformed value ({type(exc).__name__}: {exc})") from None


def _decode(n: Any, resolve: Callable[[int, str], Any], depth: int,  # noqa: C901
            budget: _Budget, importer: Callable[[str, str], Any] | None) -> Any:
    budget.take()
    t = type(n)
    if n is None or t is bool or t is int or t is float or t is str:
        return n
    if depth >= MAX_DEPTH:
        raise BadValue(f"nested deeper than {MAX_DEPTH} levels")
    depth += 1
    if t is list:
        return [_decode(i, resolve, depth, budget, importer) for i in n]
    if t is not dict:
        raise BadValue(f"unexpected {t.__name__} in a value")
    tag = n.get("t")
    v = n.get("v")
    if tag == "tuple":
        return tuple(_decode(i, resolve, depth, budget, importer) for i in _list(v))
    if tag in ("set", "frozenset"):
        items = [_decode(i, resolve, depth, budget, importer) for i in _list(v)]
        return _ordered_set(items) if tag == "set" else frozenset(items)
    if tag in _VIEWS:
        return _VIEWS[tag]([_decode(i, resolve, depth, budget, importer) for i in _list(v)])
    if tag == "deque":
        return collections.deque(_decode(i, resolve, depth, budget, importer) for i in _list(v))
    if tag == "dict":
        out = {}
        for pair in _list(v):
            key, value = _list(pair)
            decoded = _decode(key, resolve, depth, budget, importer)
            out[decoded] = _decode(value, resolve, depth, budget, importer)
        return out
    if tag == "int":
        return int(_str(v), 16)
    if tag in ("bytes", "bytearray"):
        data = _str(v).encode("latin-1")
        return data if tag == "bytes" else bytearray(data)
    if tag == "complex":
        real, imag = (_number(x) for x in _list(v))
        return complex(real, imag)
    if tag == "range":
        return range(*(_whole(_decode(x, resolve, depth, budget, importer)) for x in _list(v)))
    if tag == "ellipsis":
        return Ellipsis
    if tag == "decimal":
        from decimal import Decimal

        return Decimal(_str(v))
    if tag == "fraction":
        from fractions import Fraction

        num, den = (_whole(_decode(x, resolve, depth, budget, importer)) for x in _list(v))
        return Fraction(num, den)
    if tag == "iter":
        items = [_decode(i, resolve, depth, budget, importer) for i in _list(v)]
        raised = n.get("raise")
        exc = None if raised is None else decode_exception(raised, resolve)
        return _replay(items, bool(n.get("more")), exc)
    if tag == "ndarray":
        return _array(n, [_decode(i, resolve, depth, budget, importer) for i in _list(v)])
    if tag == "import" and importer is not None:
        return importer(_str(n.get("m")), _str(n.get("q")))
    if tag == "ref":
        name = n.get("type")
        return resolve(_whole(n.get("id")), name if isinstance(name, str) else "object")
    raise BadValue(f"unknown value tag {tag!r}")


def _array(node: dict[str, Any], items: list[Any]) -> Any:
    """A numpy array rebuilt from plain items (see ``_ndarray``)."""
    import numpy

    dtype = numpy.dtype(_str(node.get("dtype")))
    shape = tuple(_whole(n) for n in _list(node.get("shape")))
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype \
            or any(n < 0 for n in shape) or math.prod(shape) != len(items):
        raise BadValue("malformed array")
    if dtype.kind == "S":
        items = [_str(i).encode("latin-1") for i in items]
    return numpy.array(items, dtype=dtype).reshape(shape)


def _ordered_set(items: list[Any]) -> set[Any]:
    """A set that iterates in the order ``items`` came in, where CPython allows: the
    sender's set was most likely a display (``{12, 16}``, whose table is sized for its
    items at once) or built element by element; whichever reproduces the order wins.
    (Tests such as MBPP/341 compare ``tuple(s)`` of a set with a tuple.)"""
    built: set[Any] = set()
    built.update(frozenset(items))
    if list(built) != items:
        one_by_one: set[Any] = set()
        for item in items:
            one_by_one.add(item)
        if list(one_by_one) == items:
            return one_by_one
    return built


def _pair(item: Any) -> tuple[Any, Any]:
    if type(item) is not tuple or len(item) != 2:
        raise BadValue("malformed value (expected a pair)")
    return item[0], item[1]


def _list(v: Any) -> list[Any]:
    if type(v) is not list:
        raise BadValue("malformed value (expected a list)")
    return v


def _str(v: Any) -> str:
    if type(v) is not str:
        raise BadValue("malformed value (expected a string)")
    return v


def _number(v: Any) -> int | float:
    if type(v) not in (int, float):
        raise BadValue("malformed value (expected a number)")
    return v


def _whole(v: Any) -> int:
    if type(v) is not int:
        raise BadValue("malformed value (expected an integer)")
    return v


def _replay(items: list[Any], more: bool, exc: BaseException | None) -> Iterator[Any]:
    yield from items
    if exc is not None:
        raise exc
    if more:
        raise RuntimeError(f"the candidate's iterator went on past {ITER_LIMIT} items, "
                           "the most the judge reads")


_STAND_INS: dict[tuple[str, type], type] = {}
_STAND_INS_KEPT = 1024


def decode_exception(node: Any, resolve: Callable[[int, str], Any]) -> BaseException:
    """The exception a candidate raised, rebuilt in the judge: the builtin type of that
    name, or a stand-in class of the same name derived from its nearest builtin base
    (so ``except ValueError`` still catches the program's own ValueError subclass)."""
    if type(node) is not dict:
        raise BadValue("malformed exception")
    name = node.get("type")
    if type(name) is not str or not name.isidentifier():
        name = "Exception"
    base: type = Exception
    for candidate_base in _list(node.get("bases", [])):
        found = _BUILTIN_EXCEPTIONS.get(candidate_base) if type(candidate_base) is str else None
        if found is not None:
            base = found
            break
    cls = _BUILTIN_EXCEPTIONS.get(name)
    if cls is None or cls is not base:
        key = (name, base)
        cls = _STAND_INS.get(key)
        if cls is None:
            if len(_STAND_INS) >= _STAND_INS_KEPT:
                # bounded: one judge serves many samples, and a candidate can send a
                # hundred thousand new names per message (iterators that raise); kept
                # all, they would fill the judge's memory and fail later samples
                _STAND_INS.clear()
            cls = type(name, (base,), {"__module__": "candidate"})
            _STAND_INS[key] = cls
    args = decode(node.get("args", {"t": "tuple", "v": []}), resolve)
    if type(args) is not tuple:
        raise BadValue("malformed exception arguments")
    try:
        return cls(*args)
    except Exception:
        text = node.get("text")
        return cls(text if type(text) is str else "")
