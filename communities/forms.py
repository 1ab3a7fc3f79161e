"""HTML forms of the Communities tab: shape only; the services apply the rules."""

from django import forms

from communities.models import Community

NAME_MAX_LENGTH = Community._meta.get_field("name").max_length


class CommunityForm(forms.Form):
    community_name = forms.CharField(label="Community name", max_length=NAME_MAX_LENGTH)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=2048,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommunityGroupForm(forms.Form):
    group_id = forms.TypedChoiceField(label="Group", coerce=int)

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group_id"].choices = [(group.id, group.name) for group in groups]


class AnnouncementForm(forms.Form):
    content = forms.CharField(required=False, strip=False, widget=forms.Textarea)
