"""The ownership rules on their own: the caller's organization, and database name collisions told by constraint name."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import User
from accounts.ownership import names_stay_unique, org_id_of
from aegis.db import constraint_violation, violates
from aegis.errors import BusinessRuleError
from collections_app.models import DataCollection
from datasets.models import Dataset
from runs.models import Run


def nightly_run(user):
    return Run.objects.create(
        user=user, author_email=user.email, alias="nightly", run_type=Run.RunType.CUSTOM, started_at=timezone.now()
    )


def test_org_id_of_is_the_membership_and_costs_one_query_per_user_object(alice, acme, django_assert_num_queries):
    with django_assert_num_queries(1):  # the membership, read once and kept on this user object
        assert org_id_of(alice) == acme.pk
        assert org_id_of(alice) == acme.pk
    assert org_id_of(User.objects.get(pk=alice.pk)) == acme.pk


def test_org_id_of_a_user_in_no_organization_is_none(db):
    assert org_id_of(UserFactory(email="solo@example.test")) is None


def test_a_name_taken_in_the_database_is_a_400_naming_the_row(alice):
    DataCollection.objects.create(user=alice, name="Team", author_email=alice.email)
    twin = DataCollection(user=alice, name="TEAM", author_email=alice.email)
    with pytest.raises(BusinessRuleError) as caught, names_stay_unique(DataCollection, row=twin), transaction.atomic():
        twin.save()
    assert caught.value.detail == "A data collection named 'TEAM' already exists in your account."
    assert caught.value.errors == {"name": [caught.value.detail]}


def test_a_name_constraint_of_another_model_is_not_mapped(alice):
    DataCollection.objects.create(user=alice, name="Team", author_email=alice.email)
    with pytest.raises(IntegrityError), names_stay_unique(Dataset), transaction.atomic():
        DataCollection.objects.create(user=alice, name="team", author_email=alice.email)


def test_a_constraint_on_plain_columns_is_told_by_name(alice):
    """On SQLite the message names the columns only; the constraint's fields say which constraint they are."""
    nightly_run(alice)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        nightly_run(alice)
    assert violates(caught.value, "run_alias_unique_per_user")
    assert not violates(caught.value, "collection_name_unique_per_user")


def test_an_unmapped_violation_gets_the_fallback_error(alice):
    nightly_run(alice)
    fallback = BusinessRuleError("other data still refers to it")
    mapped = {"collection_name_unique_per_user": lambda: BusinessRuleError("wrong")}
    refused = pytest.raises(BusinessRuleError)
    with refused as caught, constraint_violation(mapped, otherwise=lambda: fallback), transaction.atomic():
        nightly_run(alice)
    assert caught.value is fallback
