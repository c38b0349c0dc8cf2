from decimal import Decimal

import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.credits import Payer, payer_for
from accounts.models import Organization, User
from aegis.errors import PaymentRequired
from runs.billing import InsufficientBalance, check_balance

pytestmark = [pytest.mark.django_db, pytest.mark.urls("runs.tests.test_billing")]


class PayForEstimate(APIView):
    """Checks the caller's payer against ?cost=, as a run creation does before storing anything."""

    def get(self, request):
        payer = payer_for(owner_id=request.user.pk, org_id=None)
        check_balance(payer=payer, estimated_cost=Decimal(request.query_params["cost"]))
        return Response({"ok": True})


urlpatterns = [path("api/v1/pay", PayForEstimate.as_view())]


def set_balance(org, balance) -> Payer:
    Organization.objects.filter(pk=org.pk).update(credit_balance=balance)
    return Payer(org_id=org.pk, user_id=None)


def test_balance_below_the_estimate_is_a_json_402(alice_api, acme):
    set_balance(acme, Decimal("0.5"))
    response = alice_api.get("/api/v1/pay", {"cost": "1.2"})
    assert response.status_code == 402
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "detail": "Insufficient credits: balance 0.50 is below this run's estimated cost 1.20.",
        "errors": {"credit_balance": ["0.50"], "estimated_cost": ["1.20"]},
    }


def test_a_user_without_org_is_refused_on_their_own_balance(dave_api, dave):
    User.objects.filter(pk=dave.pk).update(credit_balance=Decimal(0))
    response = dave_api.get("/api/v1/pay", {"cost": "0.000125"})
    assert response.status_code == 402
    assert (
        response.json()["detail"] == "Insufficient credits: balance 0.00 is below this run's estimated cost 0.000125."
    )


def test_enough_credits_pass(alice_api, acme):
    set_balance(acme, Decimal("1.2"))
    assert alice_api.get("/api/v1/pay", {"cost": "1.2"}).status_code == 200


def test_unlimited_passes(alice_api):
    assert alice_api.get("/api/v1/pay", {"cost": "1000000"}).status_code == 200


def test_a_free_run_passes_even_below_zero(alice_api, acme):
    set_balance(acme, Decimal(-5))
    assert alice_api.get("/api/v1/pay", {"cost": "0"}).status_code == 200


def test_the_refusal_is_a_payment_required_domain_error(acme):
    with pytest.raises(InsufficientBalance) as refused:
        check_balance(payer=set_balance(acme, Decimal("0.333333333333333")), estimated_cost=Decimal("2"))
    assert isinstance(refused.value, PaymentRequired)
    assert refused.value.detail.startswith("Insufficient credits: balance 0.333333333333333")
    assert refused.value.errors == {"credit_balance": "0.333333333333333", "estimated_cost": "2.00"}
