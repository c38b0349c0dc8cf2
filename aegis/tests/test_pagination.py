import pytest

from aegis.pagination import page_meta

pytestmark = [pytest.mark.urls("aegis.tests.urls")]


def test_first_page_uses_defaults(alice_api):
    body = alice_api.get("/api/v1/numbers").json()
    assert body["items"] == list(range(1, 11))
    assert body["meta"] == {
        "current_page": 1,
        "page_size": 10,
        "total_items": 25,
        "items_on_page": 10,
        "total_pages": 3,
        "has_next": True,
        "has_previous": False,
        "next_page": 2,
        "previous_page": None,
    }


def test_last_partial_page(alice_api):
    body = alice_api.get("/api/v1/numbers", {"page": 3}).json()
    assert body["items"] == [21, 22, 23, 24, 25]
    assert body["meta"]["items_on_page"] == 5
    assert body["meta"]["has_next"] is False
    assert body["meta"]["next_page"] is None
    assert body["meta"]["previous_page"] == 2


def test_page_past_the_end_is_empty_and_points_back_to_the_last_page(alice_api):
    body = alice_api.get("/api/v1/numbers", {"page": 9}).json()
    assert body["items"] == []
    assert body["meta"]["items_on_page"] == 0
    assert body["meta"]["has_next"] is False
    assert body["meta"]["has_previous"] is True
    assert body["meta"]["previous_page"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": -1},
        {"page": "x"},
        {"page": "1.5"},
        {"page_size": 0},
        {"page_size": 10001},
        {"page_size": "ten"},
        {"page": "1_0"},
    ],
)
def test_out_of_range_paging_is_422(alice_api, params):
    response = alice_api.get("/api/v1/numbers", params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


def test_largest_page_size_is_accepted(alice_api):
    body = alice_api.get("/api/v1/numbers", {"page_size": 10000}).json()
    assert body["meta"]["total_pages"] == 1
    assert len(body["items"]) == 25


@pytest.mark.parametrize(
    ("page", "page_size", "total", "expected_pages", "expected_previous"),
    [(1, 10, 0, 0, None), (2, 10, 0, 0, None), (1, 1, 1, 1, None), (4, 3, 10, 4, 3), (7, 3, 10, 4, 4)],
)
def test_page_meta_math(page, page_size, total, expected_pages, expected_previous):
    meta = page_meta(page=page, page_size=page_size, total_items=total, items_on_page=0)
    assert meta["total_pages"] == expected_pages
    assert meta["previous_page"] == expected_previous
