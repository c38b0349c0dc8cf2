from rest_framework import serializers


class UserRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
