"""Smoke-test an installed errorregistry wheel: run from outside the repository, in a venv
holding only the wheel and its declared dependencies (see ``nox -s package``)."""

import json
import sys
from pathlib import Path

import django
from django.core.management import call_command


def main() -> None:
    django.setup()
    import errorregistry
    import rest_framework

    location = Path(errorregistry.__file__).resolve()
    assert "site-packages" in location.parts, f"errorregistry imported from {location}, not the wheel"
    assert (location.parent / "py.typed").exists(), "py.typed is missing from the wheel"
    print(f"errorregistry {errorregistry.__version__} from {location.parent}")
    print(f"Python {sys.version.split()[0]}, Django {django.__version__}, DRF {rest_framework.__version__}")

    call_command("check", fail_level="ERROR")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)  # exits 1 if models drift
    call_command("errorregistry_sync", verbosity=0)

    from django.test import Client

    response = Client().get("/api/no-such-endpoint/", HTTP_ACCEPT_LANGUAGE="fr")
    body = json.loads(response.content)
    assert response.status_code == 404, (response.status_code, body)
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert body["error"]["code"] == "not_found", body
    assert body["error"]["request_id"] == response["X-Request-Id"], (body, response["X-Request-Id"])
    print(f"GET /api/no-such-endpoint/ -> {response.status_code} {json.dumps(body, ensure_ascii=False)}")

    catalog = Client().get("/api/errors/")
    assert catalog.status_code == 200 and b"validation_error" in catalog.content, catalog.status_code
    print("smoke check passed")


if __name__ == "__main__":
    main()
