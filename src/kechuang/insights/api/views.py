from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..permissions import may_view_insights
from ..selectors import heights, kpi_table, parse_year
from .serializers import KpiSerializer


class MayViewInsights(permissions.BasePermission):
    message = "数据洞察仅对班子领导和运营人员开放。"

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(request.user and request.user.is_authenticated and may_view_insights(request.user))


class KpiListAPIView(APIView):
    """The five heights' KPIs for a year: definition, this year's actual and target, overall target,
    monthly and quarterly trend. Leaders and operators only."""

    permission_classes = [permissions.IsAuthenticated, MayViewInsights]

    @extend_schema(
        operation_id="insights_kpis_list",
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="统计年度，默认当年")],
        responses=KpiSerializer(many=True),
        tags=["insights"],
    )
    def get(self, request: Request) -> Response:
        year = parse_year(request.query_params.get("year"))
        rows = kpi_table(year)
        names = {h["code"]: h["name"] for h in heights(rows)}
        for row in rows:
            row["height_name"] = names.get(row["height"], row["height"])
        return Response(KpiSerializer(rows, many=True).data)
