"""State changes of accounts: registration, profile, contacts and blocks."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.exceptions import InvalidContact
from accounts.models import Block, Contact, User
from accounts.phone import normalize_phone_number


def register_user(*, phone_number: str, name: str, password: str) -> User:
    """Create a user; the phone number is normalised to E.164 and must be unused."""
    errors = {}
    try:
        phone_number = normalize_phone_number(phone_number)
    except ValidationError as exc:
        errors["phone_number"] = exc.messages
    else:
        if User.objects.filter(phone_number=phone_number).exists():
            errors["phone_number"] = ["A user with this phone number already exists."]
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter your name."]
    try:
        validate_password(password, User(phone_number=phone_number, name=name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(phone_number, password, name=name)
    except IntegrityError as exc:  # lost a race with a concurrent sign-up
        raise ValidationError(
            {"phone_number": ["A user with this phone number already exists."]}
        ) from exc


def add_contact(user: User, *, contact_user: User) -> Contact:
    """Add ``contact_user`` to ``user``'s contacts; not oneself, not twice."""
    if contact_user.id == user.id:
        raise InvalidContact("You cannot add yourself as a contact.", field="phone_number")
    if not contact_user.is_active:
        raise InvalidContact("No active user has this phone number.", field="phone_number")
    try:
        with transaction.atomic():
            return Contact.objects.create(user=user, contact_user=contact_user)
    except IntegrityError as exc:
        raise InvalidContact("This user is already in your contacts.", field="phone_number") from exc


def remove_contact(user: User, *, contact: Contact) -> None:
    """Remove one of ``user``'s own contacts."""
    if contact.user_id != user.id:
        raise InvalidContact("Not your contact.")
    contact.delete()


def block_user(user: User, *, blocked: User) -> Block:
    """Block ``blocked``: they can no longer message, call or add ``user``, or see their stories."""
    if blocked.id == user.id:
        raise InvalidContact("You cannot block yourself.", field="user_id")
    block, _ = Block.objects.get_or_create(blocker=user, blocked=blocked)
    return block


def unblock_user(user: User, *, blocked: User) -> None:
    """Lift ``user``'s block on ``blocked`` (a no-op when there is none)."""
    Block.objects.filter(blocker=user, blocked=blocked).delete()
