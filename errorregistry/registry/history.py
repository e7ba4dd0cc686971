"""Admin history for registry edits: each changed field with its old and new value.

Django's own change message only names the fields ("Changed HTTP status."),
which does not tell a product person what a code used to say. The message is
plain text, which ``LogEntry.get_change_message()`` shows as is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext as _

TEXT_LIMIT = 200


def display_value(value: Any) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        shown = value if len(value) <= TEXT_LIMIT else value[: TEXT_LIMIT - 1] + "…"
        return f"“{shown}”"
    return str(value)


def field_changes(form: forms.BaseForm, ignore: Iterable[str] = ()) -> list[str]:
    """"HTTP status: 429 → 503" for each changed field of ``form`` (its ``initial`` holds the old values)."""
    changes = []
    for name in form.changed_data:
        if name in ignore or name not in form.fields:
            continue
        old, new = form.initial.get(name), form.cleaned_data.get(name)
        if display_value(old) == display_value(new):
            continue
        changes.append(f"{form.fields[name].label}: {display_value(old)} → {display_value(new)}")
    return changes


def change_message(form: forms.BaseForm, formsets: Iterable[forms.BaseFormSet], ignore: Iterable[str] = ()) -> str:
    """One line per change of a code and its inline translations."""
    lines = [_("Changed %(change)s.") % {"change": change} for change in field_changes(form, ignore)]
    for formset in formsets:
        for added in formset.new_objects:
            lines.append(_("Added %(object)s: %(values)s.") % {
                "object": describe(added), "values": "; ".join(values_of(added, formset))
            })
        for changed, _fields in formset.changed_objects:
            inline_form = next(f for f in formset.forms if f.instance.pk == changed.pk)
            lines.append(_("Changed %(object)s: %(changes)s.") % {
                "object": describe(changed), "changes": "; ".join(field_changes(inline_form, ["id", "DELETE"]))
            })
        for deleted in formset.deleted_objects:
            lines.append(_("Deleted %(object)s.") % {"object": describe(deleted)})
    return "\n".join(lines) or _("No fields changed.")


def describe(obj: Any) -> str:
    language = getattr(obj, "language", None)
    name = str(obj._meta.verbose_name)
    return f"{name} {language}" if language else name


def values_of(obj: Any, formset: forms.BaseFormSet) -> list[str]:
    form = formset.form
    names = [name for name in getattr(form._meta, "fields", None) or [] if name != "language"]
    return [f"{obj._meta.get_field(name).verbose_name}: {display_value(getattr(obj, name))}" for name in names]
