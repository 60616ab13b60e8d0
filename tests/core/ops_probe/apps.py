from django.apps import AppConfig


class OpsProbeConfig(AppConfig):
    name = "ops_probe"
    label = "ops_probe"
