"""Delete expired stories with their views and files; run it periodically (see docs/media.md)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from stories import services
from stories.models import Story


class Command(BaseCommand):
    help = "Delete stories whose 24 hours are over, with their views and stored files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report how many would be deleted."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        now = timezone.now()
        if dry_run:
            count = Story.objects.filter(expires_at__lte=now).count()
            self.stdout.write(
                f"{count} expired stor{'y' if count == 1 else 'ies'} would be deleted."
            )
            return
        count = services.purge_expired_stories(now=now)
        self.stdout.write(f"Deleted {count} expired stor{'y' if count == 1 else 'ies'}.")
