"""Data migration: the lost and withdrawn leads and the lost retention cases closed before the fixed list
of reasons existed are classified 其他, their free text kept as the explanation (docs/adr/0026)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Lead = apps.get_model("investment", "Lead")
    RetentionCase = apps.get_model("investment", "RetentionCase")
    Lead.objects.filter(stage__in=["lost", "withdrawn"], closed_reason_code="").update(
        closed_reason_code="other"
    )
    RetentionCase.objects.filter(status="lost", reason_code="").update(reason_code="other")


def backwards(apps, schema_editor):
    # The free text was kept; the code goes with the column when 0004 is reversed. Rows closed under the
    # list with no text get the label as text, so the older check (a reason text) still holds.
    Lead = apps.get_model("investment", "Lead")
    labels = {
        "elsewhere": "选址外地",
        "policy": "政策不匹配",
        "space": "空间不足",
        "financing": "融资未到位",
        "own": "企业自身原因",
        "other": "其他",
    }
    for code, label in labels.items():
        Lead.objects.filter(stage__in=["lost", "withdrawn"], closed_reason_code=code, closed_reason="").update(
            closed_reason=label
        )


class Migration(migrations.Migration):
    dependencies = [("investment", "0004_lost_reason_codes")]

    operations = [migrations.RunPython(forwards, backwards)]
