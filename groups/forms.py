"""HTML forms of the group pages: shape only; the services apply the rules."""

from django import forms

from groups.models import Group

NAME_MAX_LENGTH = Group._meta.get_field("name").max_length


class GroupCreateForm(forms.Form):
    group_name = forms.CharField(label="Group name", max_length=NAME_MAX_LENGTH)
    members = forms.TypedMultipleChoiceField(
        label="Members", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(user.id, user.display_name) for user in contacts]


class GroupRenameForm(forms.Form):
    group_name = forms.CharField(label="Group name", max_length=NAME_MAX_LENGTH)


class MemberAddForm(forms.Form):
    user_id = forms.TypedChoiceField(label="Contact", coerce=int)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user_id"].choices = [(user.id, user.display_name) for user in contacts]


class MemberAdminForm(forms.Form):
    is_admin = forms.BooleanField(required=False)


class GroupMessageForm(forms.Form):
    content = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    client_id = forms.CharField(required=False, max_length=64)


class GroupForwardForm(forms.Form):
    group_ids = forms.TypedMultipleChoiceField(
        label="Groups", coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group_ids"].choices = [(group.id, group.name) for group in groups]
