"""Data migration: the official 2025–2026 working-day calendars (data/holidays_cn.yaml) and the default
clock of every request category. Reversing removes the rows loaded from the file and the untouched
default policies."""

from django.db import migrations


def load(apps, schema_editor):
    from kechuang.servicedesk.workcalendar import ensure_default_policies, load_calendar_rows

    load_calendar_rows(apps.get_model("servicedesk", "CalendarDay"))
    ensure_default_policies(apps.get_model("servicedesk", "SlaPolicy"))


def unload(apps, schema_editor):
    from kechuang.servicedesk.workcalendar import parse_calendar_file

    CalendarDay = apps.get_model("servicedesk", "CalendarDay")
    SlaPolicy = apps.get_model("servicedesk", "SlaPolicy")
    specs = parse_calendar_file()
    CalendarDay.objects.filter(date__in=[s.date for s in specs], updated_by__isnull=True).delete()
    SlaPolicy.objects.filter(updated_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
