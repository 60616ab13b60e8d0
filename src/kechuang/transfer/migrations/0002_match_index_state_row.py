"""Data: the single MatchIndexState row (version 0)."""

from django.db import migrations


def create_row(apps, schema_editor):
    MatchIndexState = apps.get_model("transfer", "MatchIndexState")
    MatchIndexState.objects.get_or_create(pk=1, defaults={"version": 0})


def remove_row(apps, schema_editor):
    apps.get_model("transfer", "MatchIndexState").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("transfer", "0001_initial")]

    operations = [migrations.RunPython(create_row, remove_row)]
