"""The report form of the browser (shape only: the service validates and does the work)."""

from django import forms

from moderation.models import Report
from moderation.services import NOTE_MAX_LENGTH


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you reporting this?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Details (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        help_text="Anything that helps our team review it.",
    )
    block = forms.BooleanField(label="Also block", required=False)

    def __init__(self, *args, block_label: str | None = None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if block_label is None:
            del self.fields["block"]
        else:
            self.fields["block"].label = block_label
