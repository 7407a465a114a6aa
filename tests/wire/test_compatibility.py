"""The operations table against botocore's model, and docs/compatibility.md kept in step with it."""

from __future__ import annotations

from pathlib import Path

import botocore

from userpools.compatibility import operations_block, render
from userpools.errors import all_error_classes
from userpools.operations import OPERATIONS
from userpools.protocol.model import is_unsigned, operation_names, service_model

DOC = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"


def test_the_model_has_153_operations_of_which_34_are_unsigned() -> None:
    assert len(operation_names()) == 153
    assert sum(is_unsigned(name) for name in operation_names()) == 34


def test_every_implemented_operation_is_an_operation_of_the_model() -> None:
    assert set(OPERATIONS) <= operation_names()


def test_the_foundation_operations_are_implemented() -> None:
    assert {
        "CreateUserPool", "DescribeUserPool", "UpdateUserPool", "DeleteUserPool", "ListUserPools",
        "AddCustomAttributes", "CreateUserPoolClient", "DescribeUserPoolClient", "UpdateUserPoolClient",
        "DeleteUserPoolClient", "ListUserPoolClients",
    } <= set(OPERATIONS)


def test_every_error_of_the_model_has_a_class_in_the_catalogue() -> None:
    model = service_model()
    modelled = {e.name for name in operation_names() for e in model.operation_model(name).error_shapes}
    assert modelled <= set(all_error_classes())


def test_docs_compatibility_lists_the_implemented_operations() -> None:
    block = operations_block(
        OPERATIONS, operation_names(), [n for n in operation_names() if is_unsigned(n)], botocore.__version__
    )
    existing = DOC.read_text() if DOC.exists() else ""
    wanted = render(existing, block)
    if wanted != existing:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(wanted)
    assert wanted == existing, "docs/compatibility.md was out of date and has been regenerated: commit it"
