"""Input shapes of the event pages; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates
from kechuang.core.text import CleanTextForm
from kechuang.directory.models import Building, Organization, Person
from kechuang.directory.pickers import organization_picker, person_picker

from .choices import Audience, EventKind, Height, VenueKind
from .models import EventSeries
from .services import EventDetails, SpeakerInput, profile_amenities

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def style(form: forms.Form) -> None:
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)
        field.widget.attrs.setdefault("id", f"id_{name}")


class EventForm(CleanTextForm):
    organizer = forms.ModelChoiceField(
        label=_("主办单位"),
        queryset=Organization.objects.none(),
        required=False,
        widget=organization_picker(),
    )
    title = forms.CharField(label=_("活动名称"), max_length=120)
    kind = forms.ChoiceField(label=_("活动类型"), choices=EventKind.choices)
    series = forms.ModelChoiceField(label=_("所属系列"), queryset=EventSeries.objects.all(), required=False)
    height = forms.ChoiceField(label=_("服务高地"), choices=Height.choices)
    audience = forms.ChoiceField(label=_("面向对象"), choices=Audience.choices, initial=Audience.ALL)
    summary = forms.CharField(label=_("活动简介"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    agenda = forms.CharField(
        label=_("议程"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    venue_kind = forms.ChoiceField(label=_("场地类型"), choices=VenueKind.choices)
    building = forms.ModelChoiceField(
        label=_("楼宇"), queryset=Building.objects.order_by("code"), required=False, to_field_name="code"
    )
    amenity = forms.ChoiceField(label=_("公共设施"), choices=(), required=False)
    venue_detail = forms.CharField(label=_("具体地点或线上链接"), max_length=200, required=False)
    starts_at = dates.DateTimeField(label=_("开始时间"), widget=DATETIME)
    ends_at = dates.DateTimeField(label=_("结束时间"), widget=DATETIME)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=100_000)
    # searchable pickers over the API for the long lists (ADR 0023): 200+ organizations, every expert
    co_organizers = forms.ModelMultipleChoiceField(
        label=_("协办单位"),
        queryset=Organization.objects.none(),
        required=False,
        widget=organization_picker(multiple=True),
    )
    speaker_people = forms.ModelMultipleChoiceField(
        label=_("名录中的嘉宾（专家）"),
        queryset=Person.objects.none(),
        required=False,
        widget=person_picker(experts=True, multiple=True),
    )
    guests = forms.CharField(
        label=_("其他嘉宾"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一位：姓名｜单位与职务｜报告题目（后两项可省略）"),
    )

    def __init__(self, *args: Any, operator: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.exclude(kind="government").order_by("kind", "name")
        if operator:
            self.fields["organizer"].queryset = Organization.objects.order_by("kind", "name")
            self.fields["organizer"].required = True
        else:
            del self.fields["organizer"]
        self.fields["co_organizers"].queryset = organizations
        self.fields["speaker_people"].queryset = Person.objects.filter(is_expert=True).order_by("name")
        self.fields["amenity"].choices = [("", "—")] + [(name, name) for name in profile_amenities()]
        style(self)

    def details(self) -> EventDetails:
        data = self.cleaned_data
        speakers = [SpeakerInput(person=p) for p in data.get("speaker_people") or []]
        for line in (data.get("guests") or "").splitlines():
            parts = [p.strip() for p in line.replace("|", "｜").split("｜")]
            if parts and parts[0]:
                parts += ["", ""]
                speakers.append(SpeakerInput(guest_name=parts[0], guest_affiliation=parts[1], topic=parts[2]))
        return EventDetails(
            title=data["title"],
            kind=data["kind"],
            summary=data["summary"],
            venue_kind=data["venue_kind"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            height=data["height"],
            audience=data["audience"],
            series=data.get("series"),
            building=data.get("building"),
            amenity=data.get("amenity") or "",
            venue_detail=data.get("venue_detail") or "",
            agenda=data.get("agenda") or "",
            co_organizers=list(data.get("co_organizers") or []),
            speakers=speakers,
        )


class ReasonForm(CleanTextForm):
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)


class CheckInForm(CleanTextForm):
    code = forms.CharField(label=_("签到码"), max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {
                "autofocus": True,
                "autocomplete": "off",
                "inputmode": "latin",
                "class": "form-control form-control-lg",
            }
        )


class FeedbackForm(CleanTextForm):
    rating = forms.TypedChoiceField(
        label=_("满意度"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)], initial=5
    )
    comment = forms.CharField(
        label=_("意见与建议"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
