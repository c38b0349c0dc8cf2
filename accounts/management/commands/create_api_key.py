from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an existing user and print the raw key (the last line of output)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="A label for the key.")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with email {email}.")
        key, raw_key = api_key_create(user=user, name=name)
        self.stderr.write(f"Created key {key.prefix}… for {user.email}. It cannot be shown again.")
        self.stdout.write(raw_key)
