from django.core.validators import RegexValidator
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string taken exactly as sent, so that the schema (``type: string``, lengths) tells the whole truth.

    DRF's CharField would also accept ``0`` as ``"0"``, trim ``"  "`` down to a blank, and refuse NUL
    characters that the schema does not mention; here a number is refused, nothing is trimmed, and
    the NUL rule is a validator that drf-spectacular publishes as a ``pattern``.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(r"^[^\x00]*$", code="null_characters_not_allowed"))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer as sent: DRF's IntegerField would also take ``"5"``, which the schema calls invalid."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ConfigSerializer(serializers.Serializer):
    api_key = StrictCharField(min_length=8)
    region = serializers.ChoiceField(choices=["eu", "us"])


class ConnectorSerializer(serializers.Serializer):
    name = StrictCharField(max_length=40)
    config = ConfigSerializer()


class ItemSerializer(serializers.Serializer):
    sku = StrictCharField(max_length=20)
    qty = StrictIntegerField(min_value=1)


class OrderSerializer(serializers.Serializer):
    """Nested and list fields, so validation errors have paths like ``items.0.qty``."""

    email = serializers.EmailField()
    connector = ConnectorSerializer()
    items = ItemSerializer(many=True)

    def validate(self, attrs):
        if attrs["email"].endswith("@blocked.example"):
            raise serializers.ValidationError("Orders from this domain are not accepted.")
        return attrs


class TeamSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)


class OrderCreatedSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    order = serializers.EmailField(help_text="The e-mail address the order was placed for.")


class AccountSerializer(serializers.Serializer):
    username = serializers.CharField()


class OkSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
