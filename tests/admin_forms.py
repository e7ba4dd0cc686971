"""Edit a registry code through the real admin change form, as a product person would."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from errorregistry.models import ErrorCode


def edit_in_admin(client: Client, code: str, **changes: Any) -> None:
    """Load the change form, keep every current value, apply ``changes`` and save."""
    url = reverse("admin:errorregistry_errorcode_change", args=[ErrorCode.objects.get(code=code).pk])
    page = client.get(url)
    assert page.status_code == 200
    data: dict[str, Any] = {}
    _add_form(data, page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    data.update(changes)
    data["_save"] = "Save"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


def _add_form(data: dict[str, Any], form: Any) -> None:
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value
