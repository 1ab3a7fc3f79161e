"""State changes of accounts: registration, log-in, profile, contacts, blocks and moderation."""

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from accounts import selectors
from accounts.exceptions import AccountSuspended, InvalidContact, InvalidCredentials
from accounts.models import Block, Contact, User
from accounts.phone import normalize_phone_number, parse_phone_number
from accounts.throttling import (
    AccountLoginRateThrottle,
    LoginRateThrottle,
    RegisterRateThrottle,
    retry_after,
)
from whatsapp import realtime
from whatsapp.errors import FieldErrors, Forbidden, NotFound, PayloadTooLarge, RateLimited
from whatsapp.images import process_image

NAME_MAX_LENGTH = User._meta.get_field("name").max_length
STATUS_MAX_LENGTH = User._meta.get_field("status").max_length
# Profile pictures are shown at most 160 px wide; keep enough for high-density screens.
PICTURE_MAX_DIMENSION = 640
PICTURE_THUMBNAIL_SIZE = 96
# Close code sent to the sockets of a deactivated account.
CLOSE_DEACTIVATED = 4403
# Internal push: each socket of the user checks that its credentials (session or token) still
# hold, and if not sends `session.revoked` and closes with 4401 (whatsapp.consumers).
RECHECK_CREDENTIALS = {"type": "_recheck"}


def register_user(*, phone_number: str, name: str, password: str) -> User:
    """Create a user; the phone number is normalised to E.164 and must be unused.

    Every bad field is reported at once, in one FieldErrors.
    """
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
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"Use at most {NAME_MAX_LENGTH} characters."]
    try:
        validate_password(password, User(phone_number=phone_number, name=name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise FieldErrors(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(phone_number, password, name=name)
    except IntegrityError as exc:  # lost a race with a concurrent sign-up
        raise FieldErrors(
            {"phone_number": ["A user with this phone number already exists."]}
        ) from exc


def authenticate_user(*, phone_number: str, password: str) -> User:
    """Return the active user with these credentials, or raise InvalidCredentials.

    A malformed phone number is FieldErrors on ``phone_number``; an unknown number and a
    wrong password get the same answer. The right password of a suspended (deactivated)
    account gets AccountSuspended, which says so: only its owner can learn it. Every answer
    costs one password hash, so timing tells neither whether the number is used nor whether
    the account is suspended.
    """
    phone_number = parse_phone_number(phone_number)
    user = User.objects.filter(phone_number=phone_number).first()
    if user is None:
        User().set_password(password or "")  # the hash an existing account would cost
        raise InvalidCredentials("Invalid phone number or password.")
    if not user.check_password(password or ""):
        raise InvalidCredentials("Invalid phone number or password.")
    if not user.is_active:
        raise AccountSuspended("This account has been suspended.")
    return user


def _refuse_if_throttled(throttle: SimpleRateThrottle, request) -> None:
    wait = retry_after(throttle, request)
    if wait:
        error = RateLimited(
            f"Too many attempts. Try again in {wait} second{'s' if wait != 1 else ''}.",
            code="throttled",
        )
        error.retry_after = wait
        raise error


def log_in(*, phone_number: str, password: str, request) -> User:
    """A log-in attempt (the form and the API alike): :func:`authenticate_user` under two
    budgets of failures, the client address's and the phone number's.

    Over either budget the attempt is refused with RateLimited (code ``throttled``, with
    ``retry_after``) before any password is checked, the right one included. A wrong password
    counts against both; a right one clears the number's.
    """
    by_address = LoginRateThrottle()
    _refuse_if_throttled(by_address, request)
    phone_number = parse_phone_number(phone_number)
    by_account = AccountLoginRateThrottle(phone_number)
    _refuse_if_throttled(by_account, request)
    try:
        user = authenticate_user(phone_number=phone_number, password=password)
    except AccountSuspended:
        raise
    except InvalidCredentials:
        by_address.record_failure(request)
        by_account.record_failure(request)
        raise
    by_account.reset(request)
    return user


def sign_up(*, phone_number: str, name: str, password: str, request) -> User:
    """A sign-up attempt (the form and the API alike): :func:`register_user` under the client
    address's budget of sign-ups.

    Every attempt that reaches here counts, a refused one included; over the budget it is
    refused with RateLimited (code ``throttled``, with ``retry_after``) before anything is
    checked, so the answers cannot be used to find which numbers have accounts faster.
    """
    _refuse_if_throttled(RegisterRateThrottle(), request)
    return register_user(phone_number=phone_number, name=name, password=password)


def issue_token(user: User) -> Token:
    """The user's API token, created on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def update_profile(
    user: User,
    *,
    name: str | None = None,
    status: str | None = None,
    picture=None,
    remove_picture: bool = False,
) -> User:
    """Change the user's own name, status text and/or profile picture.

    ``picture`` is an uploaded file; it is decoded, oriented, stripped of metadata and stored
    resized with a thumbnail. ``remove_picture`` drops the current picture. Arguments left as
    None are unchanged. Every bad field is reported at once, in one FieldErrors.
    """
    errors = {}
    changes: dict = {}
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = ["Enter your name."]
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = [f"Use at most {NAME_MAX_LENGTH} characters."]
        else:
            changes["name"] = name
    if status is not None:
        status = status.strip()
        if len(status) > STATUS_MAX_LENGTH:
            errors["status"] = [f"Use at most {STATUS_MAX_LENGTH} characters."]
        else:
            changes["status"] = status
    processed = None
    if picture is not None:
        try:
            processed = process_image(
                picture,
                max_dimension=PICTURE_MAX_DIMENSION,
                thumbnail_size=PICTURE_THUMBNAIL_SIZE,
                name_prefix=f"{user.id}-",
            )
        except ValidationError as exc:
            errors["profile_picture"] = exc.messages
        except PayloadTooLarge as exc:
            exc.field = "profile_picture"
            raise
    if errors:
        raise FieldErrors(errors)

    for field, value in changes.items():
        setattr(user, field, value)
    fields = list(changes)
    old_files = [f.name for f in (user.profile_picture, user.profile_thumbnail) if f]
    new_files: list[str] = []
    if processed is not None:
        user.profile_picture.save(processed.file.name, processed.file, save=False)
        user.profile_thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        new_files = [user.profile_picture.name, user.profile_thumbnail.name]
        fields += ["profile_picture", "profile_thumbnail"]
    elif remove_picture and old_files:
        user.profile_picture = None
        user.profile_thumbnail = None
        fields += ["profile_picture", "profile_thumbnail"]
    if not fields:
        return user
    try:
        with transaction.atomic():
            user.save(update_fields=[*fields, "updated_at"])
            if "profile_picture" in fields:
                transaction.on_commit(lambda: _delete_files(old_files))
    except Exception:
        _delete_files(new_files)
        raise
    return user


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


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
        raise InvalidContact(
            "This user is already in your contacts.", field="phone_number"
        ) from exc


def add_contact_by_phone_number(user: User, *, phone_number: str) -> Contact:
    """Add the user with this phone number (any format, normalised) to ``user``'s contacts.

    A lookup by number: it counts against ``user``'s PHONE_LOOKUP_RATE (RateLimited beyond it).
    """
    contact_user = selectors.user_by_phone_number(user, phone_number)
    if contact_user is None:
        raise InvalidContact("No user has this phone number.", field="phone_number")
    return add_contact(user, contact_user=contact_user)


def remove_contact(user: User, *, contact: Contact) -> None:
    """Remove one of ``user``'s own contacts (anyone else's does not exist for them)."""
    if contact.user_id != user.id:
        raise NotFound("No such contact.")
    contact.delete()


def block_user(user: User, *, blocked: User) -> Block:
    """Block ``blocked``: they can no longer message, call or add ``user``, or see their stories."""
    if blocked.id == user.id:
        raise InvalidContact("You cannot block yourself.", field="user_id")
    try:
        with transaction.atomic():
            block, _ = Block.objects.get_or_create(blocker=user, blocked=blocked)
    except IntegrityError:  # a concurrent request created it first
        block = Block.objects.get(blocker=user, blocked=blocked)
    return block


def unblock_user(user: User, *, blocked: User) -> None:
    """Lift ``user``'s block on ``blocked`` (a no-op when there is none)."""
    Block.objects.filter(blocker=user, blocked=blocked).delete()


def set_password(user: User, *, password: str | None) -> User:
    """Give ``user`` a new password (None: no password, log-in by password disabled).

    For the user's own change (:func:`change_password`) and staff's reset (the admin, whose
    change permission decides who may). Checked by the password validators
    (``AUTH_PASSWORD_VALIDATORS``: not like the phone number or name, not blank, not common).
    The API token is revoked, every browser session signed in with the old password ends
    (Django's session hash), and the sockets that relied on either are told
    ``session.revoked`` and closed.
    """
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise FieldErrors({"new_password": exc.messages}) from exc
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        revoke_token(user)
    return user


def change_password(
    user: User, *, current_password: str, new_password: str, keep_session=None
) -> Token:
    """The user changes their own password; returns their new API token.

    A wrong current password is a field error, and counts as a failed log-in on the account
    (so a stolen session cannot guess it faster than the log-in form could). ``keep_session``,
    the browser session making the change, stays signed in: its password hash is renewed in
    the same transaction, before the sockets check theirs.
    """
    guesses = AccountLoginRateThrottle(user.phone_number)
    _refuse_if_throttled(guesses, None)
    if not user.check_password(current_password or ""):
        guesses.record_failure(None)
        raise FieldErrors({"current_password": ["Your current password is not right."]})
    with transaction.atomic():
        set_password(user, password=new_password)
        if keep_session is not None and keep_session.session_key:
            keep_session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            keep_session.save()
        return issue_token(user)


def revoke_token(user: User) -> None:
    """Revoke the user's API token, and have each of their sockets check its credentials:
    those opened with the token, or with a session a password change ended, are told
    ``session.revoked`` and closed (after commit)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        realtime.publish([user.id], RECHECK_CREDENTIALS)


def _require_staff(actor: User, user: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise Forbidden("Only staff may moderate accounts.")


def deactivate_user(actor: User, *, user: User) -> User:
    """Staff: lock an account out; its token is revoked and its open sockets are closed."""
    _require_staff(actor, user)
    if actor.id == user.id:
        raise Forbidden("You cannot deactivate your own account.")
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        _lock_out(user)
    return user


def _lock_out(user: User) -> None:
    """Revoke a deactivated account's token and close its sockets (after commit)."""
    Token.objects.filter(user=user).delete()
    realtime.publish([user.id], {"type": "_close", "code": CLOSE_DEACTIVATED})


def reactivate_user(actor: User, *, user: User) -> User:
    """Staff: let a deactivated account log in again."""
    _require_staff(actor, user)
    user.is_active = True
    user.save(update_fields=["is_active", "updated_at"])
    return user


def remove_profile_picture(actor: User, *, user: User) -> User:
    """Staff: take down a user's profile picture."""
    _require_staff(actor, user)
    return update_profile(user, remove_picture=True)


# --- erasing an account -------------------------------------------------------------------

ERASED_NAME = "Deleted account"


def check_may_erase(actor: User, *, user: User) -> None:
    """Staff may erase any account but their own; Forbidden otherwise."""
    _require_staff(actor, user)
    if actor.id == user.id:
        raise Forbidden("You cannot delete your own account.")


def anonymize_user(actor: User, *, user: User) -> User:
    """Staff: strip an account of what identifies its owner, and lock it out.

    The accounts part of ``account_data.services.erase_user`` (which also takes the user out of
    the apps built on accounts): name, phone number, status, picture, password, token,
    contacts and blocks (both ways) go; the account is deactivated and its open sockets are
    closed. The row stays, so other people's conversations keep their messages.
    """
    check_may_erase(actor, user=user)
    pictures = [f.name for f in (user.profile_picture, user.profile_thumbnail) if f]
    with transaction.atomic():
        Contact.objects.filter(models.Q(user=user) | models.Q(contact_user=user)).delete()
        Block.objects.filter(models.Q(blocker=user) | models.Q(blocked=user)).delete()
        user.name = ERASED_NAME
        user.phone_number = f"deleted-{user.id}"
        user.status = ""
        user.profile_picture = None
        user.profile_thumbnail = None
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        _lock_out(user)
        transaction.on_commit(lambda: _delete_files(pictures))
    return user
