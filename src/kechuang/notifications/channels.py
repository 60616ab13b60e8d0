"""The outside channels: what an email or a work-chat message says, and sending it.

Everything that leaves the platform is the recipient's own notification (what they see in the
platform), passed through :func:`kechuang.core.masking.mask_personal_text`, so a phone number, an
identity-card number or an email address someone typed into a request or a note goes out masked
(docs/design.md §4). A work-chat message goes to a group, so it carries the title and a link only,
never the body (free text written by others). Webhook addresses are credentials: errors name the host,
never the address (docs/adr/0015-notification-channels.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core import registry
from kechuang.core.masking import mask_personal_text

from .choices import WebhookFlavor, WebhookFormat


class DeliveryError(Exception):
    """A channel did not take the message. ``permanent``: retrying cannot help (a refused address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# --- words shared by every channel --------------------------------------------------------------------


def platform_name() -> str:
    """The district's platform name in Chinese; the generic name, translated, in other languages."""
    from django.utils import translation

    if (translation.get_language() or "").startswith("zh"):
        name = registry.district_profile().get("platform_name")
        if name:
            return str(name)
    return _("科创街区平台")


def absolute_url(path: str) -> str:
    """A link people can open outside the platform: ``KECHUANG_SITE_URL`` + the page, or "" without it."""
    if not path or not settings.SITE_URL or not path.startswith("/") or path.startswith("//"):
        return ""
    return f"{settings.SITE_URL}{path}"


def outbound_text(text: str) -> str:
    return mask_personal_text(str(text or ""))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- email ---------------------------------------------------------------------------------------------


def email_compose(*, title: str, body: str, url: str, group_label: str) -> tuple[str, str]:
    """(subject, text) of one notification's email, in the active language."""
    platform = platform_name()
    subject = _one_line(f"【{platform}】{outbound_text(title)}")[:200]
    text = render_to_string(
        "notifications/email/notification.txt",
        {
            "platform": platform,
            "title": outbound_text(title),
            "body": outbound_text(body),
            "link": absolute_url(url),
            "group_label": group_label,
            "settings_link": absolute_url(reverse("notifications:settings")),
        },
    )
    return subject, text.strip() + "\n"


def digest_compose(
    *, day: Any, sections: list[tuple[str, list[dict[str, Any]]]], count: int
) -> tuple[str, str]:
    """(subject, text) of a daily digest: ``sections`` are (group label, items with time, title, url)."""
    platform = platform_name()
    subject = _one_line(
        _("【%(platform)s】每日通知汇总：%(count)s 条（%(day)s）")
        % {"platform": platform, "count": count, "day": f"{day:%Y-%m-%d}"}
    )
    text = render_to_string(
        "notifications/email/digest.txt",
        {
            "platform": platform,
            "day": day,
            "count": count,
            "sections": [
                (
                    label,
                    [
                        {
                            "time": item["time"],
                            "title": outbound_text(item["title"]),
                            "link": absolute_url(item["url"]),
                        }
                        for item in items
                    ],
                )
                for label, items in sections
            ],
            "list_link": absolute_url(reverse("notifications:notification-list")),
            "settings_link": absolute_url(reverse("notifications:settings")),
        },
    )
    return subject, text.strip() + "\n"


def email_send(*, to: str, subject: str, text: str) -> None:
    """Send one plain-text email through Django's email backend (SMTP in production)."""
    try:
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        EmailMessage(subject, text, settings.DEFAULT_FROM_EMAIL, [to], connection=connection).send()
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(_("邮件服务器拒收此收件地址"), permanent=True) from error
    except (smtplib.SMTPException, OSError) as error:
        detail = outbound_text(f"{type(error).__name__}: {error}")[:300]
        raise DeliveryError(_("邮件服务器不可用：%(detail)s") % {"detail": detail}) from error


# --- work chat -----------------------------------------------------------------------------------------


def webhook_host(url: str) -> str:
    return (urllib.parse.urlsplit(url).hostname or "").lower()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_check_url(url: str) -> urllib.parse.SplitResult:
    """The address must be https (plain http only on this machine's loopback, for tests), on a host
    of ``NOTIFICATIONS_WEBHOOK_HOSTS``, without a user name or password in it."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as error:
        raise DeliveryError(_("Webhook 地址格式不正确。"), permanent=True) from error
    if parts.scheme not in ("https", "http") or not host:
        raise DeliveryError(_("Webhook 地址应以 https:// 开头。"), permanent=True)
    if parts.scheme == "http" and not _is_loopback(host):
        raise DeliveryError(_("Webhook 地址应以 https:// 开头。"), permanent=True)
    if parts.username or parts.password:
        raise DeliveryError(_("Webhook 地址中不能包含用户名或密码。"), permanent=True)
    allowed = {h.strip().lower() for h in settings.NOTIFICATIONS_WEBHOOK_HOSTS if h.strip()}
    if host not in allowed:
        raise DeliveryError(
            _(
                "不允许向 %(host)s 发送消息。允许的地址：%(allowed)s（由系统设置 NOTIFICATIONS_WEBHOOK_HOSTS 决定）。"
            )
            % {"host": host, "allowed": "、".join(sorted(allowed)) or _("无")},
            permanent=True,
        )
    return parts


def _markdown_safe(text: str) -> str:
    """Text from users cannot make links, colours or headings in a chat message."""
    return text.translate(
        str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "｀", "#": "＃"})
    )


def webhook_payload(target: Any, *, title: str, group_label: str, url: str) -> dict[str, Any]:
    """The JSON body for the target's robot (企业微信 or 钉钉, markdown or text)."""
    platform = platform_name()
    head = f"【{platform}】{group_label}"
    title = _one_line(outbound_text(title))
    link = absolute_url(url)
    if target.message_format == WebhookFormat.TEXT:
        more = _("查看详情：%(link)s") % {"link": link} if link else _("请登录平台查看详情。")
        return {"msgtype": "text", "text": {"content": f"{head}\n{title}\n{more}"}}
    title = _markdown_safe(title)
    more = f"[{_('查看详情')}]({link})" if link else _("请登录平台查看详情。")
    if target.flavor == WebhookFlavor.DINGTALK:
        return {
            "msgtype": "markdown",
            "markdown": {"title": head, "text": f"#### {head}\n\n{title}\n\n{more}"},
        }
    return {"msgtype": "markdown", "markdown": {"content": f"**{head}**\n{title}\n{more}"}}


def dingtalk_signed_url(url: str, secret: str, *, timestamp_ms: int | None = None) -> str:
    """钉钉 加签: ``timestamp`` (milliseconds) and ``sign`` = urlencode(base64(HMAC-SHA256(secret,
    timestamp + "\\n" + secret))) added to the address."""
    timestamp = str(timestamp_ms if timestamp_ms is not None else round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp}&sign={sign}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead off the allowed hosts: it is an error instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def webhook_post(target: Any, payload: dict[str, Any]) -> None:
    """POST the payload to the robot; success is HTTP 200 with ``errcode`` 0 (both robots answer so)."""
    parts = webhook_check_url(target.url)
    host = (parts.hostname or "").lower()
    url = target.url.strip()
    if target.flavor == WebhookFlavor.DINGTALK and target.secret:
        url = dingtalk_signed_url(url, target.secret)
    handlers: list[Any] = [_NoRedirect()]
    if _is_loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))  # never send loopback traffic to a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(  # noqa: S310 - scheme and host checked above
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as error:
        raise DeliveryError(_("%(host)s 返回 HTTP %(code)s") % {"host": host, "code": error.code}) from error
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(
            _("无法连接 %(host)s：%(reason)s") % {"host": host, "reason": str(reason)[:200]}
        ) from error
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DeliveryError(_("%(host)s 的回应不是 JSON") % {"host": host}) from error
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        message = str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
        raise DeliveryError(
            _("%(host)s 拒收了消息：errcode %(code)s %(message)s")
            % {"host": host, "code": code, "message": message[:200]}
        )


def webhook_send(target: Any, *, title: str, group_label: str, url: str) -> None:
    webhook_post(target, webhook_payload(target, title=title, group_label=group_label, url=url))
