"""Copy this module's code counters into core's one table (ADR 0019), under the scope "challenges"."""

from django.db import migrations

SCOPE = "challenges"


def forward(apps, schema_editor):
    old = apps.get_model("challenges", "CodeCounter")
    new = apps.get_model("core", "CodeCounter")
    for row in old.objects.all():
        counter, created = new.objects.get_or_create(
            scope=SCOPE, prefix=row.prefix, year=row.year, defaults={"last": row.last}
        )
        if not created and counter.last < row.last:
            counter.last = row.last
            counter.save(update_fields=["last"])


def backward(apps, schema_editor):
    old = apps.get_model("challenges", "CodeCounter")
    new = apps.get_model("core", "CodeCounter")
    for row in new.objects.filter(scope=SCOPE):
        old.objects.update_or_create(prefix=row.prefix, year=row.year, defaults={"last": row.last})
    new.objects.filter(scope=SCOPE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0002_challenge_index_version"),
        ("core", "0005_codecounter"),
    ]

    operations = [migrations.RunPython(forward, backward)]
