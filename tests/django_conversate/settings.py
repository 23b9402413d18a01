"""A minimal Django site with django-conversate, for the import test.

The database comes from DJANGO_DATABASE_URL (sqlite:///path or
postgres://user@host:port/name) and the files go to DJANGO_MEDIA_ROOT.
"""
import os
from urllib.parse import urlparse

SECRET_KEY = "import-test-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "conversate",
]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
MEDIA_ROOT = os.environ["DJANGO_MEDIA_ROOT"]
DEFAULT_FROM_EMAIL = "chat@example.com"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
]

_url = urlparse(os.environ["DJANGO_DATABASE_URL"])
if _url.scheme == "sqlite":
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _url.path}
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "postgres",
            "PASSWORD": _url.password or "",
            "HOST": _url.hostname or "127.0.0.1",
            "PORT": str(_url.port or 5432),
        }
    }
