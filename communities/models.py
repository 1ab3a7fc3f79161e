from django.conf import settings
from django.db import models


class Community(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="community_id")
    name = models.CharField(max_length=100, db_column="community_name")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="created_communities",
        db_column="created_by",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="administered_communities",
        db_table="community_admins",
        blank=True,
    )

    class Meta:
        db_table = "communities"
        ordering = ["id"]
        verbose_name_plural = "communities"

    def __str__(self):
        return self.name

    @property
    def community_id(self) -> int:
        return self.id

    @property
    def community_name(self) -> str:
        return self.name


class CommunityGroup(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="community_group_id")
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="community_groups",
        db_column="community_id",
    )
    # A group belongs to at most one community, as on WhatsApp.
    group = models.OneToOneField(
        "groups.Group",
        on_delete=models.CASCADE,
        related_name="community_link",
        db_column="group_id",
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_groups"
        ordering = ["added_at", "id"]

    def __str__(self):
        return f"{self.group} in {self.community}"


class CommunityAnnouncement(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="announcement_id")
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="announcements",
        db_column="community_id",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_announcements",
        db_column="sender_id",
    )
    content = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "community_announcements"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["community", "-id"], name="announcement_history_idx"),
        ]

    def __str__(self):
        return f"#{self.id} in {self.community_id}: {self.content[:40]}"

    @property
    def announcement_id(self) -> int:
        return self.id
