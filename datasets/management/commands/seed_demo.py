import io

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Organization, User
from accounts.services import api_key_create
from datasets.models import Dataset
from datasets.services import dataset_create

DEMO_EMAIL = "demo@aegis.local"
DEMO_PASSWORD = "aegis-demo-password"


DEMO_CSV = (
    b"prompt,output,golden_answer\n"
    b"What is the refund policy?,Refunds are available within 30 days.,30-day refund window.\n"
    b"How long does shipping take?,3-5 business days.,3-5 business days.\n"
    b'Return the order as JSON,"{""id"": 7, ""status"": ""shipped""}","{""status"": ""shipped"", ""id"": 7}"\n'
)
DEMO_METRICS = '{"1": {"threshold": 70}, "2": {"threshold": 80, "metric_args": {"ignore_order": true}}}'


class Command(BaseCommand):
    help = "Create the demo organization, user and dataset (idempotent) and print a new API key for the user."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    @transaction.atomic
    def handle(self, *args, base_url, **options):
        org, _ = Organization.objects.get_or_create(name="Demo Org")
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_superuser(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        Membership.objects.get_or_create(user=user, defaults={"org": org, "role": Membership.Role.ADMIN})
        _, raw_key = api_key_create(user=user, name="demo")
        self._demo_dataset(user)

        self.stdout.write(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD} (admin at {base_url}/admin/)")
        self.stdout.write(f"API docs:  {base_url}/api/docs/")
        self.stdout.write(f'Try it:    curl -H "Authorization: Bearer {raw_key}" {base_url}/api/v1/metrics')
        self.stdout.write(f"API key:   {raw_key}")

    def _demo_dataset(self, user):
        if not Dataset.objects.filter(user=user, name="Demo support QA").exists():
            dataset_create(
                user=user,
                file=io.BytesIO(DEMO_CSV),
                filename="demo.csv",
                selected_metrics=DEMO_METRICS,
                name="Demo support QA",
            )
