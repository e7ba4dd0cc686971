"""errorregistry_sync: declared codes reach the database, admin edits are never overwritten."""

import pytest
from django.core.management import CommandError, call_command

from errorregistry.registry.declarations import BUILTIN_CODES
from errorregistry.models import ErrorCode, ErrorCodeTranslation
from project.demo.catalog import DEMO_CODES


@pytest.mark.django_db
def test_sync_inserts_every_declared_code_with_its_translations():
    call_command("errorregistry_sync", verbosity=0)
    declared = {d.code for d in (*BUILTIN_CODES, *DEMO_CODES)}
    assert set(ErrorCode.objects.values_list("code", flat=True)) == declared
    assert ErrorCodeTranslation.objects.get(error_code__code="not_found", language="fr").message == (
        "La ressource demandée n'existe pas."
    )


@pytest.mark.django_db
def test_sync_never_overwrites_an_admin_edit(capsys):
    call_command("errorregistry_sync")
    row = ErrorCode.objects.get(code="not_found")
    row.message = "Edited by product."
    row.save()
    call_command("errorregistry_sync")
    assert ErrorCode.objects.get(code="not_found").message == "Edited by product."
    assert "kept admin edit: not_found" in capsys.readouterr().out


@pytest.mark.django_db
def test_sync_overwrite_forces_the_declaration_back():
    call_command("errorregistry_sync", verbosity=0)
    ErrorCode.objects.filter(code="not_found").update(message="Edited by product.")
    call_command("errorregistry_sync", "--overwrite", verbosity=0)
    assert ErrorCode.objects.get(code="not_found").message == "The requested resource does not exist."


@pytest.mark.django_db
def test_sync_updates_a_row_nobody_edited_when_its_declaration_changes(settings):
    call_command("errorregistry_sync", verbosity=0)
    from errorregistry.registry.declarations import Declaration

    changed = [Declaration("missing_api_key", 401, "auth", "No API key was sent.", "Send one.")]
    settings.ERROR_REGISTRY = {"CATALOG": lambda: changed}
    call_command("errorregistry_sync", verbosity=0)
    assert ErrorCode.objects.get(code="missing_api_key").message == "No API key was sent."


@pytest.mark.django_db
def test_sync_check_lists_differences_and_exits_non_zero(capsys):
    with pytest.raises(CommandError):
        call_command("errorregistry_sync", "--check")
    assert "missing: not_found" in capsys.readouterr().out
    assert ErrorCode.objects.count() == 0  # --check changes nothing

    call_command("errorregistry_sync", verbosity=0)
    call_command("errorregistry_sync", "--check")
    assert "matches" in capsys.readouterr().out

    ErrorCode.objects.filter(code="not_found").update(http_status=410)
    with pytest.raises(CommandError):
        call_command("errorregistry_sync", "--check")
    assert "differs: not_found: http_status: database 410 != declared 404" in capsys.readouterr().out


@pytest.mark.django_db
def test_sync_is_idempotent(capsys):
    call_command("errorregistry_sync")
    call_command("errorregistry_sync")
    assert "created 0, updated 0, kept 0 admin edit(s)" in capsys.readouterr().out.splitlines()[-1]
