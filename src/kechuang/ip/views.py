"""Pages of the IP module: a technology transfer office's portfolio, an asset, the public catalogue of
patents and open licences, transactions, a demand's patents, and the operator's overview."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from kechuang.core.figures import cached_figures
from kechuang.core.money import fen_from_wan
from kechuang.core.web import ActionView, acting_organization, paginate, query_without_page

from . import permissions as perms
from . import selectors, services
from .choices import AssetKind, LegalStatus, TransactionKind
from .forms import AssetEditForm, OpenLicenceForm, StatusForm, TakeUpForm, TransactionForm
from .models import IpTransaction, OpenLicence


def _filters(request: HttpRequest) -> dict[str, Any]:
    return {k: request.GET.get(k, "") for k in ("kind", "legal_status", "q", "high_value", "holder")}


class AssetListView(View):
    """The public catalogue: published and granted patents (unpublished ones only for their holder)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = _filters(request)
        qs = selectors.asset_list(actor=request.user, filters=filters)
        return render(
            request,
            "ip/asset_list.html",
            {
                "page": paginate(request, qs, 30),
                "filters": filters,
                "kinds": AssetKind.choices,
                "statuses": LegalStatus.choices,
                "query": query_without_page(request),
                "title": _lazy("专利与知识产权"),
            },
        )


class PortfolioView(LoginRequiredMixin, View):
    """A technology transfer office's own portfolio, with deadlines and the import."""

    def get(self, request: HttpRequest) -> HttpResponse:
        managed = perms.managed_organization_ids(request.user)
        if not managed and not perms.is_operator_user(request.user):
            raise PermissionDenied(_lazy("只有院所或企业的知识产权管理人员可以查看。"))
        organization = acting_organization(request)
        holder = organization.pk if organization is not None and organization.pk in managed else None
        filters = _filters(request)
        qs = selectors.asset_list(actor=request.user, filters=filters)
        qs = qs.filter(holder_id=holder) if holder else qs.filter(holder__in=managed) if managed else qs
        return render(
            request,
            "ip/portfolio.html",
            {
                "page": paginate(request, qs, 30),
                "filters": filters,
                "kinds": AssetKind.choices,
                "statuses": LegalStatus.choices,
                "query": query_without_page(request),
                "organization": organization,
                "may_import": bool(managed) or perms.is_operator_user(request.user),
            },
        )


class AssetDetailView(View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        asset = selectors.asset_get(actor=request.user, number=number)
        if asset is None:
            raise Http404
        abstract, claims = selectors.claims_for(request.user, asset)
        manage = bool(perms.can_manage_asset(request.user, asset))
        licences = list(
            selectors.open_licence_list(actor=request.user, published_only=False).filter(asset=asset)
        )
        return render(
            request,
            "ip/asset_detail.html",
            {
                "asset": asset,
                "abstract": abstract,
                "claims": claims,
                "claims_hidden": bool(asset.claims or asset.abstract) and not (abstract or claims),
                "reasons": selectors.reason_labels(asset),
                "family": list(asset.family.all()),
                "fields": list(asset.fields.all()),
                "inventors": list(asset.inventors.all()),
                "transactions": list(selectors.transaction_list(actor=request.user).filter(asset=asset)),
                "reports": list(asset.service_reports.all())
                if (manage or perms.reads_all(request.user))
                else [],
                "licences": licences,
                "has_published_licence": any(licence.status == "published" for licence in licences),
                "manage": manage,
                "licence_form": OpenLicenceForm() if manage else None,
                "transaction_form": TransactionForm() if manage else None,
                "status_form": StatusForm(initial={"legal_status": asset.legal_status}) if manage else None,
                "achievements": _holder_achievements(asset) if manage else [],
            },
        )


def _holder_achievements(asset: Any) -> list[Any]:
    from kechuang.transfer.models import Achievement

    return list(
        Achievement.objects.filter(organization_id=asset.holder_id)
        .order_by("-pk")
        .only("code", "title")[:100]
    )


class LicenceListView(View):
    """专利开放许可: the licences on offer, anyone may read and any organization may take up."""

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = selectors.open_licence_list(actor=request.user)
        query = request.GET.get("q", "").strip()[:60]
        if query:
            qs = qs.filter(asset__title__icontains=query)
        return render(
            request,
            "ip/licence_list.html",
            {"page": paginate(request, qs, 30), "q": query, "take_up_form": TakeUpForm()},
        )


class TransactionListView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        kind = request.GET.get("kind", "")
        qs = selectors.transaction_list(actor=request.user, kind=kind)
        return render(
            request,
            "ip/transaction_list.html",
            {
                "page": paginate(request, qs, 30),
                "kind": kind,
                "kinds": TransactionKind.choices,
                "may_register": perms.is_operator_user(request.user),
            },
        )


class OverviewView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not perms.reads_all(request.user):
            raise PermissionDenied(_lazy("只有运营人员和领导可以查看知识产权总览。"))
        # the home panel's figures (whole-table counts), kept until the next write (core.figures)
        figures = cached_figures("ip:district-figures", selectors.district_figures)["figures"]
        return render(request, "ip/overview.html", {"figures": figures})


class DemandPatentsView(LoginRequiredMixin, View):
    """For each of the organization's demands, the patents that fit it with the claim that matched."""

    def get(self, request: HttpRequest) -> HttpResponse:
        from kechuang.transfer.permissions import demand_visible_to

        orgs = perms.member_organization_ids(request.user)
        demands = list(demand_visible_to(request.user).filter(organization__in=orgs).order_by("-pk")[:10])
        code = request.GET.get("demand", "")
        if code:
            demands = [d for d in demands if d.code == code] or demands
        found = [(d, selectors.demand_patents(actor=request.user, demand=d)) for d in demands[:5]]
        return render(request, "ip/demand_patents.html", {"found": found})


# --- actions -------------------------------------------------------------------------------------


class _AssetAction(ActionView):
    denied_message = _lazy("只有权利人的技术转移部门或运营人员可以管理该知识产权。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        asset = selectors.asset_get(actor=request.user, number=kwargs["number"])
        if asset is None:
            raise Http404
        return asset

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_manage_asset(request.user, obj))

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("ip:asset-detail", args=[obj.number])


class OpenLicencePublishView(_AssetAction):
    form_class = OpenLicenceForm
    success_message = _lazy("已发布开放许可。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.open_licence_publish(
            actor=request.user,
            asset=obj,
            fee_fen=data["fee_yuan"],
            royalty_permille=data["royalty_permille"],
            term_years=data["term_years"],
            terms=data.get("terms", ""),
        )


class TransactionRecordView(_AssetAction):
    form_class = TransactionForm
    success_message = _lazy("已登记知识产权交易。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        from kechuang.directory.models import Organization

        name = data["counterparty_name"]
        counterparty = Organization.objects.filter(name=name).first()
        return services.transaction_record(
            actor=request.user,
            asset=obj,
            kind=data["kind"],
            amount_fen=fen_from_wan(data["amount_wan"]) or 0,
            signed_on=data["signed_on"],
            counterparty=counterparty,
            counterparty_name=name,
            term_start=data.get("term_start"),
            term_end=data.get("term_end"),
            contract_number=data.get("contract_number", ""),
        )


class AssetStatusView(_AssetAction):
    form_class = StatusForm
    success_message = _lazy("已更新法律状态。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        changes: dict[str, Any] = {"legal_status": data["legal_status"]}
        if data.get("granted_on"):
            changes["granted_on"] = data["granted_on"]
        return services.asset_update(actor=request.user, asset=obj, **changes)


class AssetEditView(LoginRequiredMixin, View):
    """修改知识产权信息: the holder's technology transfer office or an operator corrects an asset's fields
    through ``services.asset_update`` (the same checks as registration; one transaction, one audit
    event). A service error shows on its field and nothing is saved."""

    template_name = "ip/asset_edit.html"

    def _asset(self, request: HttpRequest, number: str) -> Any:
        asset = selectors.asset_get(actor=request.user, number=number)
        if asset is None:
            raise Http404
        if not perms.can_manage_asset(request.user, asset):
            raise PermissionDenied(_lazy("只有权利人的技术转移部门或运营人员可以修改该知识产权。"))
        return asset

    def _render(self, request: HttpRequest, asset: Any, form: AssetEditForm) -> HttpResponse:
        status = 400 if form.errors else 200
        for name in form.errors:
            if name in form.fields:
                widget = form.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return render(request, self.template_name, {"asset": asset, "form": form}, status=status)

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        asset = self._asset(request, number)
        form = AssetEditForm(
            initial=AssetEditForm.initial_for(asset), reads_claims=perms.reads_claims(request.user, asset)
        )
        return self._render(request, asset, form)

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect

        from kechuang.core.web import attach_errors

        asset = self._asset(request, number)
        form = AssetEditForm(request.POST, reads_claims=perms.reads_claims(request.user, asset))
        if form.is_valid():
            try:
                asset = services.asset_update(actor=request.user, asset=asset, **form.changes())
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(request, str(_lazy("已保存知识产权信息。")))
                return redirect("ip:asset-detail", asset.number)
        return self._render(request, asset, form)


class AchievementLinkView(_AssetAction):
    """The holder attaches the asset to one of its achievements (or detaches it with an empty choice)."""

    success_message = _lazy("已更新关联成果。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        from kechuang.transfer.models import Achievement

        code = request.POST.get("achievement", "").strip()[:32]
        achievement = (
            Achievement.objects.filter(code=code, organization_id=obj.holder_id).first() if code else None
        )
        if code and achievement is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"achievement": _lazy("只能关联权利人自己发布的成果。")})
        return services.asset_update(actor=request.user, asset=obj, achievement=achievement)


class AnnuityPayView(_AssetAction):
    success_message = _lazy("已登记年费缴纳。")

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.annuity_pay(actor=request.user, asset=obj)


class OpenLicenceWithdrawView(ActionView):
    denied_message = _lazy("只有权利人的技术转移部门或运营人员可以撤回开放许可。")
    success_message = _lazy("已撤回开放许可。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(perms.open_licence_visible_to(request.user), code=kwargs["code"])

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_manage_licence(request.user, obj))

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.open_licence_withdraw(actor=request.user, licence=obj)

    def next_url(self, request: HttpRequest, obj: OpenLicence) -> str:
        return reverse("ip:asset-detail", args=[obj.asset.number])


class OpenLicenceTakeUpView(ActionView):
    form_class = TakeUpForm
    denied_message = _lazy("请以权利人以外的机构身份接受开放许可。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(perms.open_licence_visible_to(request.user), code=kwargs["code"])

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_take_up(request.user, obj))

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        organization = acting_organization(request)
        if organization is None:
            raise PermissionDenied(self.denied_message)
        return services.open_licence_take_up(actor=request.user, licence=obj, licensee=organization)

    def message(self, obj: Any, result: IpTransaction) -> str:
        return str(
            _lazy("已接受开放许可，交易 %(code)s 已登记，待运营人员登记技术合同。") % {"code": result.code}
        )

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("ip:transaction-list")


class ContractRegisterView(ActionView):
    denied_message = _lazy("只有运营人员可以登记技术合同。")
    success_message = _lazy("技术合同已登记。")

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        return get_object_or_404(selectors.transaction_list(actor=request.user), code=kwargs["code"])

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return bool(perms.can_register_contract(request.user))

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        return services.transaction_register_contract(actor=request.user, record=obj)

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        return reverse("ip:transaction-list")


class ServiceOrdersView(LoginRequiredMixin, View):
    """A provider's voucher orders of the 知识产权 category in service: attach each one's report to the
    holder's patent (which delivers the order)."""

    def _orders(self, request: HttpRequest) -> Any:
        from kechuang.vouchers.choices import OrderStatus, ServiceCategory
        from kechuang.vouchers.models import ServiceOrder

        orgs = perms.member_organization_ids(request.user)
        return (
            ServiceOrder.objects.filter(
                provider__organization__in=orgs, category=ServiceCategory.IP, status=OrderStatus.ACCEPTED
            )
            .select_related("enterprise", "service")
            .order_by("-pk")
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        from .forms import ServiceReportForm

        return render(
            request,
            "ip/service_orders.html",
            {"orders": list(self._orders(request)[:50]), "form": ServiceReportForm()},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect

        from kechuang.core.web import error_text, form_errors_text

        from .forms import ServiceReportForm
        from .models import IpAsset

        order = get_object_or_404(self._orders(request), code=request.POST.get("order", ""))
        form = ServiceReportForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, form_errors_text(form))
            return redirect("ip:service-orders")
        asset = IpAsset.objects.filter(
            holder=order.enterprise, number=form.cleaned_data["asset_number"].strip()
        ).first()
        if asset is None:
            messages.error(request, str(_lazy("下单企业名下没有这个申请号的知识产权。")))
            return redirect("ip:service-orders")
        try:
            services.service_report_attach(
                actor=request.user,
                asset=asset,
                order=order,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, str(_lazy("报告已上传，订单已提交交付，待企业确认。")))
        return redirect("ip:service-orders")


class ServiceReportDownloadView(LoginRequiredMixin, View):
    """The report, for the holder's members, the provider's members and operators (a sandboxed download)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        from kechuang.core.uploads import attachment_response

        from .models import ServiceReport

        report = get_object_or_404(
            ServiceReport.objects.select_related("asset", "order__provider"), token=token
        )
        orgs = perms.member_organization_ids(request.user)
        if not (
            perms.reads_all(request.user)
            or report.asset.holder_id in orgs
            or report.order.provider.organization_id in orgs
        ):
            raise Http404
        return attachment_response(
            report.file, filename=report.original_name, content_type=report.content_type
        )
