from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Organization, User
from accounts.services import api_key_create

DEMO_EMAIL = "demo@aegis.local"
DEMO_PASSWORD = "aegis-demo-password"


class Command(BaseCommand):
    help = "Create the demo organization and user (idempotent) and print a new API key for them."

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

        self.stdout.write(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD} (admin at {base_url}/admin/)")
        self.stdout.write(f"API docs:  {base_url}/api/docs/")
        self.stdout.write(f'Try it:    curl -H "Authorization: Bearer {raw_key}" {base_url}/api/v1/metrics')
        self.stdout.write(f"API key:   {raw_key}")
