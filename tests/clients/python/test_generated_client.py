"""A test a Python team would write, with the client openapi-python-client
generates from /__sandbox/openapi.json (see docs/testing-in-ci.md).

Run by tests/clients/generated-clients.sh, which generates the client,
starts a fresh paysandbox and sets PAYSANDBOX_URL.
"""

import os
import uuid

import pytest

from paysandbox_client import Client
from paysandbox_client.api.sandbox import (
    sandbox_arm_scenario_in_workspace,
    sandbox_create_workspace,
    sandbox_delete_workspace,
    sandbox_get_journal_in_workspace,
    sandbox_restore_snapshot_in_workspace,
    sandbox_take_snapshot_in_workspace,
)
from paysandbox_client.api.softline import softline_create_payment, softline_get_order
from paysandbox_client.models import (
    Arm,
    ArmMatch,
    CreatePaymentRequest,
    CreatePaymentResponse,
    CreateRequest,
    Customer,
    ErrorBody,
    JournalPage,
    TakeRequest,
    WorkspaceView,
)


@pytest.fixture
def sandbox():
    return Client(base_url=os.environ["PAYSANDBOX_URL"], raise_on_unexpected_status=True)


@pytest.fixture
def workspace(sandbox):
    """A workspace of this test's own, with its credentials; dropped after."""
    name = f"py-{uuid.uuid4().hex[:12]}"
    created = sandbox_create_workspace.sync(client=sandbox, body=CreateRequest(name=name))
    assert isinstance(created, WorkspaceView), created
    yield created
    sandbox_delete_workspace.sync_detailed(name, client=sandbox)


def softline(sandbox, workspace):
    """The Softline API as the workspace's merchant calls it."""
    return sandbox.with_headers({"Authorization": f"Bearer {workspace.softline.token}"})


def payment(payment_id):
    return CreatePaymentRequest(
        currency="RUB",
        amount="112.50",
        payment_method="CreditCard",
        payment_id=payment_id,
        return_success_url="https://shop.example/ok",
        customer=Customer(email="buyer@example.com", first_name="Ivan", last_name="Petrov"),
    )


def test_a_workspace_payment_an_armed_error_the_journal_and_a_snapshot_restored(sandbox, workspace):
    name = workspace.name
    merchant = softline(sandbox, workspace)

    created = softline_create_payment.sync(client=merchant, body=payment("PY-1"))
    assert isinstance(created, CreatePaymentResponse)
    assert created.payment_url.startswith(workspace.softline.base_url)

    taken = sandbox_take_snapshot_in_workspace.sync_detailed(
        name, client=sandbox, body=TakeRequest(name="one-payment")
    )
    assert taken.status_code == 201, taken.content

    armed = sandbox_arm_scenario_in_workspace.sync_detailed(
        name,
        client=sandbox,
        body=Arm(id="softline.create_payment.6090", match=ArmMatch.from_dict({"payment_id": "PY-2"})),
    )
    assert armed.status_code == 201, armed.content
    refused = softline_create_payment.sync_detailed(client=merchant, body=payment("PY-2"))
    assert refused.status_code == 400
    assert isinstance(refused.parsed, ErrorBody)
    assert [e.error for e in refused.parsed.errors] == [6090]

    journal = sandbox_get_journal_in_workspace.sync(name, client=sandbox)
    assert isinstance(journal, JournalPage), journal
    answered = [(e.url, e.status) for e in journal.entries if e.provider == "softline"]
    assert answered == [("/softline/v1/payment", 200), ("/softline/v1/payment", 400)]

    second = softline_create_payment.sync(client=merchant, body=payment("PY-3"))
    restored = sandbox_restore_snapshot_in_workspace.sync_detailed(name, "one-payment", client=sandbox)
    assert restored.status_code == 200, restored.content
    assert softline_get_order.sync_detailed(created.order_id, client=merchant).status_code == 200
    gone = softline_get_order.sync_detailed(second.order_id, client=merchant)
    assert gone.status_code == 404, gone.content
