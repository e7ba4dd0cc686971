"""Model factories. Each call creates a row: no get-or-create that would silently drop the
arguments of a second call (``ErrorCodeFactory(code="x", http_status=429)`` for an existing
``x`` returning the old row unchanged). Change an existing row with ``edit_code``."""

import factory
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.contrib.auth.models import Permission
from django.utils import timezone

from errorregistry.audit.counts import add_counts, tally
from errorregistry.models import ErrorCode, ErrorCodeTranslation, ErrorEvent
from errorregistry.request_id import new_request_id


class ErrorCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ErrorCode

    code = factory.Sequence(lambda n: f"test_code_{n}")
    http_status = 400
    category = "other"
    message = factory.LazyAttribute(lambda o: f"Message for {o.code}.")
    action = "Do something else."


class TranslationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ErrorCodeTranslation

    error_code = factory.SubFactory(ErrorCodeFactory)
    language = "fr"
    message = "Message en français."
    action = "Faites autre chose."


class ErrorEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ErrorEvent

    request_id = factory.LazyFunction(new_request_id)
    code = "validation_error"
    http_status = 400
    message = "One or more fields failed validation."
    language = "en"
    method = "POST"
    path = "/api/demo/orders/"
    created_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Count the event as the audit store does (the charts read the counts table)."""
        event = super()._create(model_class, *args, **kwargs)
        connection = connections[router.db_for_write(model_class)]
        with connection.cursor() as cursor:
            add_counts(cursor, connection, tally([{"code": event.code, "created_at": event.created_at}]))
        return event


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        for codename in extracted or ():
            app_label, name = codename.split(".")
            self.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=name))
        if create:
            self.save()

