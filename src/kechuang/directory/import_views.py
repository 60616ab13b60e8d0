"""Bulk import pages (placeholder until the importer lands)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.views import View


class ImportStartView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=501)


class ImportReviewView(ImportStartView):
    pass


class ImportErrorReportView(ImportStartView):
    pass


class ImportTemplateView(ImportStartView):
    pass
