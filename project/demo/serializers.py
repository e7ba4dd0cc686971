from rest_framework import serializers


class ConfigSerializer(serializers.Serializer):
    api_key = serializers.CharField(min_length=8)
    region = serializers.ChoiceField(choices=["eu", "us"])


class ConnectorSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    config = ConfigSerializer()


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=20)
    qty = serializers.IntegerField(min_value=1)


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
    name = serializers.CharField(max_length=100)
