"""Browser forms of accounts: shape only; the services validate and do the work."""

from django import forms

PHONE_ATTRS = {
    "autocomplete": "tel",
    "inputmode": "tel",
    "placeholder": "+1 415 555 0101",
}


class Form(forms.Form):
    """Labels without Django's trailing colon: their text is the field's accessible name."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SignupForm(Form):
    phone_number = forms.CharField(
        label="Phone number", max_length=64, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )
    name = forms.CharField(
        label="Name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label="Password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )


class LoginForm(Form):
    phone_number = forms.CharField(
        label="Phone number",
        max_length=64,
        widget=forms.TextInput(attrs={**PHONE_ATTRS, "autocomplete": "username tel"}),
    )
    password = forms.CharField(
        label="Password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(Form):
    name = forms.CharField(label="Name", max_length=100)
    status = forms.CharField(
        label="Status",
        max_length=139,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 139}),
        help_text="Shown to people who see your profile.",
    )
    profile_picture = forms.FileField(
        label="Profile picture",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
        help_text="JPEG, PNG, GIF or WebP.",
    )
    remove_picture = forms.BooleanField(label="Remove picture", required=False)

    def __init__(self, *args, has_picture: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_picture:
            del self.fields["remove_picture"]


class AddContactForm(Form):
    phone_number = forms.CharField(
        label="Phone number", max_length=64, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )


class PasswordChangeForm(Form):
    current_password = forms.CharField(
        label="Current password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="New password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password, not like "
        "your phone number or name.",
    )
    confirm_password = forms.CharField(
        label="Confirm new password",
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two passwords do not match.")
        return data
