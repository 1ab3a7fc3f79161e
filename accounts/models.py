from pathlib import PurePosixPath

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.phone import normalize_phone_number


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone_number, password=None, **extra_fields):
        user = self.model(phone_number=normalize_phone_number(phone_number), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone_number, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(phone_number, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.BigAutoField(primary_key=True, db_column="user_id")
    phone_number = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100, blank=True)
    profile_picture = models.ImageField(
        upload_to="profile_pictures/", blank=True, null=True, max_length=255
    )
    profile_thumbnail = models.ImageField(
        upload_to="profile_pictures/thumbs/", blank=True, null=True, max_length=255
    )
    status = models.CharField(max_length=139, blank=True, default="Hey there! I am using WhatsApp.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "phone_number"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        ordering = ["id"]

    def __str__(self):
        return f"{self.name} ({self.phone_number})" if self.name else self.phone_number

    @property
    def user_id(self) -> int:
        return self.id

    @property
    def display_name(self) -> str:
        return self.name or self.phone_number

    @property
    def profile_picture_url(self) -> str | None:
        """Path of the picture view (media are not public); changes when the picture does."""
        return self._picture_path(self.profile_picture, thumb=False)

    @property
    def profile_thumbnail_url(self) -> str | None:
        return self._picture_path(self.profile_thumbnail, thumb=True)

    def _picture_path(self, file, *, thumb: bool) -> str | None:
        if not file:
            return None
        # The version lets browsers cache each picture for long and still see a new one.
        version = PurePosixPath(file.name).stem
        query = f"thumb=1&v={version}" if thumb else f"v={version}"
        return f"{reverse('accounts:profile_picture', args=[self.id])}?{query}"


class Contact(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="contact_id")
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="contacts", db_column="user_id"
    )
    contact_user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="contact_of", db_column="contact_user_id"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "contacts"
        ordering = ["-added_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "contact_user"], name="unique_contact_pair"),
            models.CheckConstraint(condition=~Q(user=F("contact_user")), name="contact_not_self"),
        ]

    def __str__(self):
        return f"{self.user} → {self.contact_user}"


class Block(models.Model):
    """A user (blocker) blocking another (blocked): no messages, calls, group adds or stories."""

    id = models.BigAutoField(primary_key=True, db_column="block_id")
    blocker = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="blocks_made", db_column="blocker_id"
    )
    blocked = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="blocks_received", db_column="blocked_id"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "blocks"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="unique_block_pair"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self):
        return f"{self.blocker} blocked {self.blocked}"
