"""A project configured exactly as the README's "Adopting it" and OpenAPI lines say, nothing more.

Used by tests/test_openapi_projects.py through ``manage.py``-style subprocesses, so that no
setting of the demo (or of the test settings) can make its schema valid by accident.
"""
