"""Browser form of the Status tab: shape only; the service validates and does the work."""

from django import forms

from stories.services import DEFAULT_BACKGROUND, MAX_STORY_TEXT


class StoryForm(forms.Form):
    content = forms.CharField(
        label="Type a status",
        required=False,
        max_length=MAX_STORY_TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Type a status or a caption"}),
    )
    background_color = forms.CharField(
        label="Background colour",
        required=False,
        initial=DEFAULT_BACKGROUND,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    file = forms.FileField(
        label="Photo or video",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,video/*"}),
    )
