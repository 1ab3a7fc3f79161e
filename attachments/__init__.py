"""Attachments of chats, groups, communities and stories: typing, checking, storing, deleting."""
