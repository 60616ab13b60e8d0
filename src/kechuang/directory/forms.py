from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core import dates

from . import uscc as uscc_rules
from .choices import Qualification
from .models import Organization
from .pickers import field_picker, technology_fields


class OrganizationForm(forms.ModelForm):
    """Input shape only; the service validates the USCC's uniqueness and saves."""

    qualifications = forms.MultipleChoiceField(
        label=_("资质"), choices=Qualification.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    fields = forms.ModelMultipleChoiceField(
        label=_("技术领域"),
        queryset=technology_fields(),
        required=False,
        widget=field_picker(),
    )

    class Meta:
        model = Organization
        fields = [
            "kind",
            "name",
            "short_name",
            "uscc",
            "industry",
            "fields",
            "qualifications",
            "block",
            "park",
            "address",
            "size_band",
            "is_key",
            "founded_on",
            "researchers",
            "description",
            "website",
            "contact_name",
            "contact_phone",
        ]
        field_classes = {"founded_on": dates.DateField}
        widgets = {
            "founded_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"uscc": _("18 位，可输入小写或全角字符，系统会自动规范化。")}

    def clean_uscc(self) -> str | None:
        value = self.cleaned_data.get("uscc")
        if not value:
            return None
        try:
            return uscc_rules.validate(value)
        except uscc_rules.USCCError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, name = cleaned.get("kind"), cleaned.get("name")
        if kind and name:
            from .services import organization_name_taken

            message = organization_name_taken(kind, name, exclude_pk=self.instance.pk)
            if message:
                # Under the field, and before the model's (kind, name) constraint says it in general words.
                self.add_error("name", message)
        return cleaned

    def validate_unique(self) -> None:
        """Uniqueness is checked by the service, which names the organization that holds the code."""

    def _post_clean(self) -> None:
        """A USCC that failed the form's check is not reported a second time by the model's clean()
        (which would add "企业必须填写统一社会信用代码" because the value never reached it)."""
        earlier = list(self._errors.get("uscc", [])) if self._errors else []
        super()._post_clean()
        if earlier and "uscc" in self._errors:
            self._errors["uscc"] = self.error_class(earlier)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["fields"] = list(data.get("fields") or [])
        data["qualifications"] = list(data.get("qualifications") or [])
        return data
