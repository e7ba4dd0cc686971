"""Moving registry edits between environments: export, dry-run diff, atomic import."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from errorregistry.models import ErrorCode, ErrorCodeTranslation
from errorregistry.registry.store import registry
from errorregistry.registry.transfer import TransferError, export_registry, import_registry
from tests.factories import ErrorCodeFactory, TranslationFactory


def export_file(tmp_path, name="registry.json") -> str:
    target = tmp_path / name
    call_command("errorregistry_export", "--output", str(target), stderr=StringIO())
    return str(target)


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("errorregistry_import", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_export_is_sorted_stable_json(synced):
    text = export_registry()
    payload = json.loads(text)
    codes = [item["code"] for item in payload["codes"]]
    assert codes == sorted(ErrorCode.objects.values_list("code", flat=True))
    assert text == export_registry()
    assert text == json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    credits = next(item for item in payload["codes"] if item["code"] == "insufficient_credits")
    assert credits["translations"]["fr"]["message"].startswith("Crédits insuffisants")


@pytest.mark.django_db
def test_export_command_writes_to_stdout_without_output(synced):
    out = StringIO()
    call_command("errorregistry_export", stdout=out)
    assert out.getvalue() == export_registry()


@pytest.mark.django_db
def test_export_then_import_round_trips_identically(synced, tmp_path):
    TranslationFactory(error_code=ErrorCodeFactory(code="quota_exceeded", http_status=429, retry_after=5), language="fr")
    ErrorCode.objects.filter(code="mfa_required").update(is_active=False, audit_policy="sampled", audit_sample_rate=0.25)
    path = export_file(tmp_path)
    exported = open(path, encoding="utf-8").read()

    # The other environment: some codes edited, one missing, one extra.
    ErrorCode.objects.filter(code="not_found").update(message="Nope.", http_status=410)
    ErrorCode.objects.filter(code="quota_exceeded").delete()
    ErrorCodeTranslation.objects.filter(error_code__code="rate_limited").delete()
    ErrorCodeFactory(code="only_here")

    run_import(path)

    assert export_registry() == exported
    registry.invalidate()
    assert registry.get("not_found").http_status == 404
    assert registry.get("quota_exceeded").translations["fr"][0] == "Message en français."


@pytest.mark.django_db
def test_dry_run_shows_added_changed_and_removed_and_writes_nothing(synced, tmp_path):
    path = export_file(tmp_path)
    payload = json.loads(open(path, encoding="utf-8").read())
    items = {item["code"]: item for item in payload["codes"]}
    items["insufficient_credits"]["message"] = "Out of credits."
    items["insufficient_credits"]["translations"]["fr"]["action"] = "Rechargez."
    items["not_found"]["http_status"] = 410
    del items["mfa_required"]
    items["quota_exceeded"] = {"code": "quota_exceeded", "http_status": 429, "message": "Quota exceeded."}
    payload["codes"] = sorted(items.values(), key=lambda item: item["code"])
    (tmp_path / "edited.json").write_text(json.dumps(payload), encoding="utf-8")
    before = export_registry()

    output = run_import(str(tmp_path / "edited.json"), "--dry-run")

    assert output.splitlines() == [
        "+ quota_exceeded",
        "~ insufficient_credits: message, translation fr",
        "~ not_found: http_status",
        "- mfa_required",
        f"1 added, 2 changed, 1 removed, {len(items) - 3} unchanged.",
        "Dry run: nothing was written.",
    ]
    assert export_registry() == before

    run_import(str(tmp_path / "edited.json"))
    assert not ErrorCode.objects.filter(code="mfa_required").exists()
    assert ErrorCode.objects.get(code="quota_exceeded").category == "other"
    assert ErrorCode.objects.get(code="insufficient_credits").message == "Out of credits."
    assert run_import(str(tmp_path / "edited.json"), "--dry-run").splitlines()[0].startswith("0 added, 0 changed")


@pytest.mark.django_db
def test_malformed_file_changes_nothing(synced, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"codes": [ {"code": "x", ', encoding="utf-8")
    before = export_registry()

    with pytest.raises(CommandError, match="Nothing was imported. The file is not valid JSON"):
        run_import(str(bad))
    assert export_registry() == before


@pytest.mark.django_db
def test_invalid_entry_changes_nothing_and_is_named(synced, tmp_path):
    payload = json.loads(export_registry())
    payload["codes"][0]["message"] = "A valid change that must not be applied."
    index = next(i for i, item in enumerate(payload["codes"]) if item["code"] == "rate_limited")
    payload["codes"][index]["http_status"] = 700
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(payload), encoding="utf-8")
    before = export_registry()

    with pytest.raises(CommandError) as raised:
        run_import(str(bad))

    assert f"codes[{index}] (rate_limited): http_status:" in str(raised.value)
    assert "599" in str(raised.value)
    assert export_registry() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"retryable": "yes"}, "retryable must be bool"),
        ({"http_status": True}, "http_status must be int"),
        ({"category": "weather"}, "category:"),
        ({"code": "bad code!"}, "code:"),
        ({"colour": "red"}, "unknown member(s): colour"),
        ({"translations": {"de": {"message": "Hallo", "action": ""}}}, "language:"),
        ({"translations": {"fr": "Bonjour"}}, "translation 'fr' must be"),
    ],
)
def test_each_kind_of_invalid_entry_is_refused(synced, change, message):
    payload = json.loads(export_registry())
    payload["codes"][1].update(change)
    with pytest.raises(TransferError, match=r"^codes\[1\]") as raised:
        import_registry(json.dumps(payload))
    assert message in str(raised.value)


@pytest.mark.django_db
def test_duplicate_code_in_the_file_is_refused(synced):
    payload = json.loads(export_registry())
    payload["codes"].append(dict(payload["codes"][0]))
    with pytest.raises(TransferError, match="appears twice"):
        import_registry(json.dumps(payload))


@pytest.mark.django_db
def test_missing_required_member_is_named(synced):
    with pytest.raises(TransferError, match=r"codes\[0\] \(x\): missing member\(s\): http_status, message"):
        import_registry(json.dumps({"codes": [{"code": "x"}]}))
