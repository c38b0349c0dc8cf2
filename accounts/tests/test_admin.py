import pytest

from accounts.models import ApiKey, User


@pytest.fixture
def staff_client(client, db):
    User.objects.create_superuser(email="staff@aegis.test", password="pw-123456!")
    client.login(email="staff@aegis.test", password="pw-123456!")
    return client


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
