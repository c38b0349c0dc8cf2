from decimal import Decimal

import pytest

from accounts.credits import Payer, debit
from accounts.models import ApiKey, Organization, User


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/organization/",
        "/admin/accounts/organization/add/",
        "/admin/accounts/apikey/",
        "/admin/accounts/apikey/add/",
    ],
)
def test_admin_pages_load(staff_client, alice, url):
    assert staff_client.get(url).status_code == 200


def test_admin_creates_a_key_and_shows_it_once(staff_client, alice):
    response = staff_client.post(
        "/admin/accounts/apikey/add/", {"user": alice.pk, "name": "from admin", "expires_at": ""}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(user=alice)
    shown = [str(message) for message in response.context["messages"]]
    assert any(key.prefix in message for message in shown)
    assert staff_client.get(f"/admin/accounts/apikey/{key.pk}/change/").status_code == 200


def test_admin_revokes_keys(staff_client, alice):
    from accounts.services import api_key_create

    key, _ = api_key_create(user=alice)
    staff_client.post("/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_admin_org_page_shows_and_saves_the_balance(staff_client, acme):
    url = f"/admin/accounts/organization/{acme.pk}/change/"
    page = staff_client.get(url)
    assert page.status_code == 200
    assert b'name="credit_balance"' in page.content
    assert b"empty = unlimited" in page.content

    data = {"name": "Acme", "credit_balance": "12.5", "initial-credit_balance": "", **_empty_memberships()}
    response = staff_client.post(url, data)
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.credit_balance == Decimal("12.5")

    data = {"name": "Acme", "credit_balance": "", "initial-credit_balance": "12.5", **_empty_memberships()}
    staff_client.post(url, data)
    acme.refresh_from_db()
    assert acme.credit_balance is None


def test_admin_org_save_keeps_debits_made_while_the_page_was_open(staff_client, acme):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal(10))
    url = f"/admin/accounts/organization/{acme.pk}/change/"
    page = staff_client.get(url)
    assert b'name="initial-credit_balance" value="10.000000000000000"' in page.content
    debit(payer=Payer(org_id=acme.pk, user_id=None), amount=Decimal(3))
    # Posted as rendered: the balance field still says 10, only the name changes.
    data = {"name": "Acme Corp", "credit_balance": "10.000000000000000", **_empty_memberships()}
    data["initial-credit_balance"] = "10.000000000000000"
    assert staff_client.post(url, data).status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.credit_balance) == ("Acme Corp", Decimal(7))


def test_admin_org_balance_set_by_staff_replaces_the_current_one(staff_client, acme):
    Organization.objects.filter(pk=acme.pk).update(credit_balance=Decimal(7))
    url = f"/admin/accounts/organization/{acme.pk}/change/"
    data = {"name": "Acme", "credit_balance": "50", "initial-credit_balance": "10", **_empty_memberships()}
    staff_client.post(url, data)
    acme.refresh_from_db()
    assert acme.credit_balance == Decimal(50)


def test_admin_user_page_shows_and_saves_the_balance(staff_client, dave):
    url = f"/admin/accounts/user/{dave.pk}/change/"
    page = staff_client.get(url)
    assert b'name="credit_balance"' in page.content
    data = {"email": dave.email, "credit_balance": "4.25", "is_active": "on"}
    data.update({"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "initial-credit_balance": ""})
    assert staff_client.post(url, data).status_code == 302
    dave.refresh_from_db()
    assert dave.credit_balance == Decimal("4.25")


@pytest.mark.parametrize(("has_limit", "listed"), [("yes", [b"Globex"]), ("no", [b"Acme"]), ("", [b"Acme", b"Globex"])])
def test_admin_org_list_filters_by_limit(staff_client, acme, globex, has_limit, listed):
    Organization.objects.filter(pk=globex.pk).update(credit_balance=Decimal(1))
    page = staff_client.get("/admin/accounts/organization/", {"has_limit": has_limit} if has_limit else {})
    assert page.status_code == 200
    for name in (b"Acme", b"Globex"):
        assert (f">{name.decode()}</a>".encode() in page.content) == (name in listed)


def test_admin_user_list_filters_by_limit(staff_client, alice, dave):
    User.objects.filter(pk=dave.pk).update(credit_balance=Decimal(1))
    page = staff_client.get("/admin/accounts/user/", {"has_limit": "yes"})
    assert dave.email.encode() in page.content
    assert alice.email.encode() not in page.content


def _empty_memberships() -> dict:
    return {
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
