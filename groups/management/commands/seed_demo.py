"""Create the demo users (idempotent), make them mutual contacts, and give them something to
read: a 1:1 chat and a group, created once.

Here, in the highest app it needs, so that it imports downwards only.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import Contact, User
from chats import services as chat_services
from chats.models import Message
from groups import services as group_services
from groups.models import Group

DEMO_PASSWORD = "demo-password-123"  # printed on purpose: demo accounts
# (whether Alice sends it, to Bob; else Bob to Alice), content
DEMO_CHAT = [
    (False, "Hi Alice! Are we still on for lunch?"),
    (True, "Yes! 12:30 at the usual place."),
    (False, "Great, see you there!"),
]
DEMO_GROUP = "Weekend plans"
DEMO_USERS = [
    ("Alice", "+14155550101"),
    ("Bob", "+14155550102"),
    ("Carol", "+14155550103"),
]


class Command(BaseCommand):
    help = (
        "Create demo users alice, bob and carol (mutual contacts, a chat and a group) "
        "and print their credentials."
    )

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
            self._conversations(*users)
        self.stdout.write("Demo users (log in at /login/ with phone number and password):")
        for user in users:
            self.stdout.write(f"  {user.name:<6} {user.phone_number}  password {DEMO_PASSWORD}")

    def _conversations(self, alice: User, bob: User, carol: User) -> None:
        """A chat between Alice and Bob and a group of the three, unless they exist already."""
        if not Message.objects.filter(sender__in=[alice, bob], receiver__in=[alice, bob]).exists():
            for alice_sends, content in DEMO_CHAT:
                sender, receiver = (alice, bob) if alice_sends else (bob, alice)
                chat_services.send_message(sender, receiver=receiver, content=content)
        if not Group.objects.filter(name=DEMO_GROUP, created_by=alice).exists():
            group = group_services.create_group(alice, name=DEMO_GROUP, members=[bob, carol])
            group_services.send_group_message(carol, group=group, content="Picnic on Saturday?")

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
