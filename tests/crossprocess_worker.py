"""A separate process for tests/test_registry.py: setup, watch a code's message, or edit it."""

import sys
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from errorregistry.models import ErrorCode  # noqa: E402
from errorregistry.registry.store import registry  # noqa: E402


def main(command: str, *args: str) -> None:
    if command == "setup":
        call_command("migrate", verbosity=0)
        call_command("errorregistry_sync", verbosity=0)
    elif command == "watch":
        (code,) = args
        before = registry.get(code).message
        print("warm", flush=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            message = registry.get(code).message
            if message != before:
                print(f"seen: {message}", flush=True)
                return
            time.sleep(0.02)
        print("timeout", flush=True)
    elif command == "edit":
        code, message = args
        row = ErrorCode.objects.get(code=code)
        row.message = message
        row.save()


if __name__ == "__main__":
    main(*sys.argv[1:])
