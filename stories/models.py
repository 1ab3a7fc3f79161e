from django.conf import settings
from django.db import models


class Story(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="story_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stories",
        db_column="user_id",
    )
    content = models.TextField(blank=True)
    file = models.FileField(
        upload_to="stories/%Y/%m/", max_length=255, null=True, blank=True, db_column="file_path"
    )
    file_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField(db_index=True)
    background_color = models.CharField(max_length=7, default="#075e54")
    thumbnail = models.ImageField(
        upload_to="stories/thumbs/%Y/%m/", max_length=255, null=True, blank=True
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "stories"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["user", "-expires_at"], name="story_user_active_idx"),
        ]

    def __str__(self):
        return f"#{self.id} by {self.user_id}: {self.content[:40]}"

    @property
    def story_id(self) -> int:
        return self.id


class StoryView(models.Model):
    id = models.BigAutoField(primary_key=True, db_column="story_view_id")
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="views", db_column="story_id"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="story_views",
        db_column="user_id",
    )
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "story_views"
        ordering = ["-viewed_at"]
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="unique_story_view"),
        ]

    def __str__(self):
        return f"{self.user_id} viewed {self.story_id}"
