"""Settings for the cross-process test: a shared SQLite file and a shared cache."""

import os

from tests.settings import *  # noqa: F403

_dir = os.environ["CROSSPROCESS_DIR"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_dir, "db.sqlite3")}}
if not os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.path.join(_dir, "cache"),
        }
    }
else:
    CACHES["default"]["KEY_PREFIX"] = "crossprocess-" + os.path.basename(_dir)  # noqa: F405
ERROR_REGISTRY = dict(ERROR_REGISTRY, RELOAD_INTERVAL=1.0)  # noqa: F405
