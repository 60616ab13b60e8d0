"""Input shapes: a user's notification settings, and an operator's work-chat robot."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import kinds
from .choices import EmailMode, WebhookFlavor, WebhookFormat
from .permissions import webhook_member_candidates


def field_key(group: kinds.KindGroup) -> str:
    return group.key.replace(".", "_")


class NotificationSettingsForm(forms.Form):
    """The language, then per group of kinds: email (immediate, digest, off) and work chat (on, off).
    Email choices are disabled for an account without an address (or with the channel not configured)
    and work-chat switches for a user in no group; disabled fields keep their current value."""

    language = forms.ChoiceField(label=_("通知语言"), choices=settings.LANGUAGES)

    def __init__(
        self,
        *args: Any,
        current: dict[str, tuple[str, bool]],
        groups: list[kinds.KindGroup],
        email_possible: bool,
        webhook_possible: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].widget.attrs.update({"class": "form-select"})
        self.groups = groups
        self.rows = []
        for group in groups:
            email, webhook = current[group.key]
            key = field_key(group)
            self.fields[f"email_{key}"] = forms.ChoiceField(
                label=group.label,
                choices=EmailMode.choices,
                initial=email,
                disabled=not email_possible,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"webhook_{key}"] = forms.BooleanField(
                label=group.label,
                required=False,
                initial=webhook,
                disabled=not webhook_possible,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input", "role": "switch"}),
            )
            self.rows.append((group, self[f"email_{key}"], self[f"webhook_{key}"]))

    def channels(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        return {
            group.key: {
                "email": data[f"email_{field_key(group)}"],
                "webhook": data[f"webhook_{field_key(group)}"],
            }
            for group in self.groups
        }


class WebhookTargetForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60, help_text=_("例如：企业服务专员群"))
    flavor = forms.ChoiceField(label=_("类型"), choices=WebhookFlavor.choices)
    message_format = forms.ChoiceField(label=_("消息格式"), choices=WebhookFormat.choices)
    url = forms.CharField(
        label=_("Webhook 地址"),
        max_length=500,
        required=False,
        help_text=_("在群设置中添加群机器人后复制的地址。保存后不再完整显示；修改时留空则保持不变。"),
    )
    secret = forms.CharField(
        label=_("加签密钥（仅钉钉）"),
        max_length=200,
        required=False,
        help_text=_("钉钉机器人安全设置中“加签”一栏以 SEC 开头的字符串；修改时留空则保持不变。"),
    )
    clear_secret = forms.BooleanField(label=_("清除已保存的加签密钥"), required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    members = forms.ModelMultipleChoiceField(
        label=_("群成员"),
        queryset=webhook_member_candidates(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("在这个群里的平台用户。成员在“通知设置”中选择哪些通知发到工作群。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = webhook_member_candidates()
        self.fields["members"].label_from_instance = lambda user: f"{user}（{user.username}）"
        for name in ("name", "url", "secret"):
            self.fields[name].widget.attrs.update({"class": "form-control", "autocomplete": "off"})
        for name in ("flavor", "message_format"):
            self.fields[name].widget.attrs.update({"class": "form-select"})
        for name in ("is_active", "clear_secret", "members"):
            self.fields[name].widget.attrs.update({"class": "form-check-input"})
