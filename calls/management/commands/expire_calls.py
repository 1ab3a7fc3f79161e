from django.core.management.base import BaseCommand

from calls.services import expire_stale_calls


class Command(BaseCommand):
    help = "Mark calls that rang longer than CALL_RING_TIMEOUT_SECONDS as missed."

    def handle(self, *args, **options):
        expired = expire_stale_calls()
        self.stdout.write(f"{len(expired)} call(s) marked missed.")
