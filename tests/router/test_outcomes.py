"""Outcome validation: values the store cannot hold are refused with the field named."""

from __future__ import annotations

import pytest

from router.errors import InputError
from router.outcomes import OutcomeRecord


def outcome(**extra: object) -> OutcomeRecord:
    return OutcomeRecord(**{"model": "p/m", "category": "c", "success": True, **extra})


@pytest.mark.parametrize(("extra", "needle"), [
    ({"tokens_in": 2**63}, "tokens_in must be a whole number from 0 to 9223372036854775807"),
    ({"file_size": 10**30}, "file_size"),
    ({"latency_ms": float("nan")}, "latency_ms must be a finite number"),
    ({"cost_usd": float("inf")}, "cost_usd must be a finite number"),
    ({"accuracy": float("nan")}, "accuracy"),
    ({"task_id": "t\udcff"}, "task_id must be valid text"),  # argv bytes that were not UTF-8
    ({"model": "p/\ud800"}, "not valid Unicode"),
])
def test_values_the_store_cannot_hold_are_refused(extra: dict, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        outcome(**extra).validate()


def test_the_largest_values_the_store_holds_are_fine() -> None:
    assert outcome(tokens_in=2**63 - 1, latency_ms=1e308, task_id="tâche-é").validate()


def test_one_schema_gives_the_api_the_validator_and_the_table_their_limits() -> None:
    from pydantic import ValidationError

    from router.outcome_schema import FIELDS, TEXT_LIMITS, OutcomeIn
    from router.store.models import Outcome

    columns = Outcome.__table__.columns  # type: ignore[attr-defined]
    stored = {"model": "model_id"}
    for name, limit in TEXT_LIMITS.items():
        assert columns[stored.get(name, name)].type.length == limit
        too_long = {"model": "p/m", "category": "c", "success": True, name: "x" * (limit + 1)}
        with pytest.raises(ValidationError):
            OutcomeIn(**too_long)
        with pytest.raises(InputError, match=f"{name} must be"):
            OutcomeRecord.from_mapping(too_long).validate()
    assert set(FIELDS) == {f for f in OutcomeRecord.__dataclass_fields__}


def test_record_and_the_cli_take_exactly_the_schemas_fields() -> None:
    """Router.record's keywords and `routerx outcome`'s options are written out (for
    their signatures and --help); this keeps them to the schema, field for field."""
    import inspect

    from router.cli.outcome import outcome
    from router.outcome_schema import FIELDS
    from router.router import Router

    record = set(inspect.signature(Router.record).parameters) - {"self"}
    assert record == (set(FIELDS) - {"model"}) | {"selection_or_model"}
    cli = set(inspect.signature(outcome).parameters) - {"json_out"}
    assert cli == set(FIELDS)
