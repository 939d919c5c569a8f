"""The one rule for model ids and category names, checked where they enter routerx.

Why at the edges: an id travels from a provider's listing, an imported file, a pin or
an HTTP request into the store, and from there into tables, logs, exported configs and
the terminal. An id with a newline, a NUL, an escape sequence or a bidi override would
corrupt each of those later, far from where it came in; refusing it on entry (with the
offending value shown through `repr`, so the message itself stays one safe line) keeps
every consumer simple. Brackets and other printable punctuation are allowed: Rich markup
in an id (`[bold]`) is the printer's problem, solved by escaping, not a reason to refuse
ids that some provider may really use.

    model id   provider/model, split at the FIRST slash (`ollama/llama3.1:8b`); both
               parts non-empty; at most 300 characters
    category   1 to 100 characters (e.g. code-generation)

Neither may contain whitespace, control characters (NUL, ESC, DEL, C1), Unicode format
characters (zero-width, bidi overrides) or lone surrogates.
"""

from __future__ import annotations

import unicodedata

from router.errors import InputError

MAX_MODEL_ID = 300
MAX_CATEGORY = 100

# Cc control, Cf format (zero-width, bidi), Cs surrogate, Zs/Zl/Zp separators.
_BANNED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
_RULE_CHARS = "no whitespace, control or invisible format characters"
MODEL_ID_RULE = (
    f"a model id is provider/model (e.g. openai/gpt-5.2), at most {MAX_MODEL_ID} "
    f"characters, with {_RULE_CHARS}"
)
CATEGORY_RULE = (
    f"a category is 1 to {MAX_CATEGORY} characters (e.g. code-generation), with {_RULE_CHARS}"
)


def shown(value: object, limit: int = 80) -> str:
    """`repr` of a value for a message or a log line, cut to a readable length.

    repr escapes control characters and newlines, so the result is always one line;
    an absurdly long value is shown by its head and its length.
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else f"{text[:limit]}... ({len(text)} characters)"


def visible(value: object) -> str:
    """`str(value)` with every control, format and line-separator character shown as a
    Python escape (`\\x1b`, `\\u202e`), so one value is one inert line on a terminal,
    in a chart or in a page. For values stored before these rules (an old store may
    hold an id with an ESC in it) and for values that never had to pass them."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def bad_character(value: str) -> str | None:
    """The first character the rule forbids, as `U+XXXX (NAME)`, or None."""
    for char in value:
        if char.isspace() or unicodedata.category(char) in _BANNED_CATEGORIES:
            name = unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} ({name})"
    return None


def _check_text(value: object, what: str, limit: int, rule: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, got {type(value).__name__}: {rule}")
    if not value:
        raise InputError(f"{what} is empty: {rule}")
    if len(value) > limit:
        raise InputError(f"{what} {shown(value)} is too long: {rule}")
    char = bad_character(value)
    if char is not None:
        raise InputError(f"{what} {shown(value)} contains {char}: {rule}")
    return value


def check_model_id(value: object, what: str = "model id") -> str:
    """Return `value` unchanged if it is an acceptable model id, else raise InputError.

    `what` names the field in the message (e.g. "--model", "entry 3 model").
    """
    model_id = _check_text(value, what, MAX_MODEL_ID, MODEL_ID_RULE)
    provider, sep, name = model_id.partition("/")
    if not sep or not provider or not name:
        raise InputError(f"{what} {shown(model_id)} is not provider/model: {MODEL_ID_RULE}")
    return model_id


def check_category(value: object, what: str = "category") -> str:
    """Return `value` unchanged if it is an acceptable category name, else raise InputError."""
    return _check_text(value, what, MAX_CATEGORY, CATEGORY_RULE)


def is_model_id(value: object) -> bool:
    """True when `check_model_id` would accept `value` (for filters that skip, not fail)."""
    try:
        check_model_id(value)
    except InputError:
        return False
    return True
