"""Create (or reset) the demo's local superuser. Demo settings only."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"
PASSWORD = "admin"


class Command(BaseCommand):
    help = "Create the local demo superuser admin/admin (refuses when DEBUG-less production settings are used)."

    def handle(self, *args, **options):
        if settings.SETTINGS_MODULE != "project.settings":
            raise CommandError("demo_superuser only runs with the demo settings (project.settings).")
        user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"email": "admin@example.com"})
        user.is_staff = user.is_superuser = True
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write(f"Demo superuser: {USERNAME} / {PASSWORD}")
