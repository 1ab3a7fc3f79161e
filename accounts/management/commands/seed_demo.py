"""Create the demo users (idempotent) and make them mutual contacts."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import Contact, User

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed on purpose: demo accounts
DEMO_USERS = [
    ("Alice", "+14155550101"),
    ("Bob", "+14155550102"),
    ("Carol", "+14155550103"),
]


class Command(BaseCommand):
    help = "Create demo users alice, bob and carol (mutual contacts) and print their credentials."

    def handle(self, *args, **options):
        with transaction.atomic():
            users = [self._ensure_user(name, phone) for name, phone in DEMO_USERS]
            for user in users:
                for other in users:
                    if (
                        other != user
                        and not Contact.objects.filter(user=user, contact_user=other).exists()
                    ):
                        services.add_contact(user, contact_user=other)
        self.stdout.write("Demo users (log in at /login/ with phone number and password):")
        for user in users:
            self.stdout.write(f"  {user.name:<6} {user.phone_number}  password {DEMO_PASSWORD}")

    def _ensure_user(self, name: str, phone_number: str) -> User:
        user = User.objects.filter(phone_number=phone_number).first()
        if user is None:
            return services.register_user(
                phone_number=phone_number, name=name, password=DEMO_PASSWORD
            )
        # Keep re-runs predictable: the printed credentials always work.
        changed = []
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            changed.append("password")
        if not user.is_active:
            user.is_active = True
            changed.append("is_active")
        if changed:
            user.save(update_fields=changed)
        return user
