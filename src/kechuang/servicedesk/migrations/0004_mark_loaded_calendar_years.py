"""Data migration: the years of the shipped calendar file that are in the calendar table are marked as
loaded in full (installs from before CalendarYear existed). Reversing removes the rows it could have
made (those nobody confirmed by hand)."""

from django.db import migrations


def mark(apps, schema_editor):
    from kechuang.servicedesk.workcalendar import file_years

    CalendarDay = apps.get_model("servicedesk", "CalendarDay")
    CalendarYear = apps.get_model("servicedesk", "CalendarYear")
    for year, notice in sorted(file_years().items()):
        if CalendarDay.objects.filter(date__year=year).exists():
            CalendarYear.objects.get_or_create(year=year, defaults={"source": notice})


def unmark(apps, schema_editor):
    CalendarYear = apps.get_model("servicedesk", "CalendarYear")
    CalendarYear.objects.filter(confirmed_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0003_calendar_year")]

    operations = [migrations.RunPython(mark, unmark)]
