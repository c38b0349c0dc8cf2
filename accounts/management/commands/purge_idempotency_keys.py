from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete expired Idempotency-Keys. Safe to run from cron at any time; creates also purge their user's."

    def handle(self, *args, **options):
        deleted = purge_expired(now=timezone.now())
        self.stdout.write(f"Deleted {deleted} expired idempotency keys.")
