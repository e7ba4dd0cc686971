"""The forms of the registry admin: a code, with a confirmation step for contract changes, and its translations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from errorregistry.conf import registry_settings
from errorregistry.models import ErrorCode, ErrorCodeTranslation, language_choices
from errorregistry.registry.history import display_value

# What clients may branch on: changing one of these on a live code can break them.
CONTRACT_FIELDS = ("code", "http_status", "retryable")


def language_options() -> list[tuple[str, str]]:
    # A blank first choice: an untouched extra row must not turn into an empty translation on save.
    return [("", "---------"), *language_choices()]


class TranslationForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=language_options)

    class Meta:
        model = ErrorCodeTranslation
        fields = ["language", "message", "action"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 2, "cols": 48}),
            "action": forms.Textarea(attrs={"rows": 2, "cols": 40}),
        }


class ErrorCodeForm(forms.ModelForm):
    """Saving a change to a public contract field of an existing code asks for a confirmation first."""

    confirm_contract_change = forms.BooleanField(
        label=_("I confirm this contract change"),
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Clients that branch on the status, the code or the retry flag see the change at once."),
    )

    class Meta:
        model = ErrorCode
        # The admin passes the fields of its fieldsets; these only carry the widgets below.
        fields = ["message", "action"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 3, "cols": 60}),
            "action": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }

    def contract_changes(self) -> list[str]:
        """"HTTP status: 429 → 503" for each contract field this form changes on a saved code."""
        if self.instance.pk is None:
            return []
        changes = []
        for name in CONTRACT_FIELDS:
            if name in self.fields and name in self.changed_data:
                label = self.fields[name].label
                old = display_value(self.initial.get(name))
                new = display_value(self.cleaned_data.get(name))
                changes.append(f"{label}: {old} → {new}")
        return changes

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        changes = self.contract_changes()
        if changes and not data.get("confirm_contract_change"):
            self.fields["confirm_contract_change"].widget = forms.CheckboxInput()
            raise ValidationError(
                _(
                    "This changes the public contract of %(code)s (%(changes)s). Clients receive it within "
                    "about %(seconds)s s of saving, and those that branch on it may break. Tick “I confirm this "
                    "contract change” below and save again to go ahead."
                ),
                code="contract_change",
                params={
                    "code": self.instance.code,
                    "changes": "; ".join(changes),
                    "seconds": f"{registry_settings.RELOAD_INTERVAL:g}",
                },
            )
        return data
