"""工作台 and 统计报表. Thin: resolve the scope, call selectors/indicators, shape charts, render."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from core import spreadsheets
from core.mixins import AreaScopedMixin
from registry.public import Elder
from regions.selectors import area_roots, picker_levels, resolve_area

from . import charts, exports, indicators
from .selectors import home, statistics


class HomeView(LoginRequiredMixin, TemplateView):
    """工作台: the user's area, what needs action today (only what the role may act on) and the size
    of the register. Live counts only: the page must stay fast for every role (bench/README.md)."""

    template_name = "dashboard/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        context["roots"] = area_roots(user)
        context["actions"] = home.action_items(user, today=today)
        if user.has_perm("registry.view_elder"):
            context["elder_count"] = Elder.objects.visible_to(user).alive().count()
        return context


# ---------------------------------------------------------------------------------------------
# Statistics

PAGES = {
    "elders": ("dashboard:statistics", "老年人概况"),
    "services": ("dashboard:statistics_services", "享受待遇与探访"),
    "beds": ("dashboard:statistics_beds", "养老床位"),
    "indicators": ("dashboard:indicators", "指标与目标"),
}


class StatisticsBase(AreaScopedMixin, TemplateView):
    """Scoped to the user's area, narrowed by the area picker (?area=code, as on the elder list)."""

    permission_required = "dashboard.view_statistics"
    page = "elders"

    def scope(self) -> statistics.Scope:
        area = resolve_area(self.request.user, self.request.GET.get("area"))
        return statistics.Scope(user=self.request.user, area=area, today=timezone.localdate())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.scope()
        context.update(
            scope=scope, page=self.page, pages=PAGES,
            picker_levels=picker_levels(self.request.user, scope.area),
            selected_area=scope.area.code if scope.area else "",
            area_name=scope.area.name if scope.area else "全部辖区",
            child_level=statistics.child_level_label(scope),
            today=scope.today,
        )
        context.update(self.figures(scope))
        return context

    def figures(self, scope: statistics.Scope) -> dict:
        raise NotImplementedError


class StatisticsView(StatisticsBase):
    template_name = "dashboard/statistics.html"
    page = "elders"

    def figures(self, scope):
        stats = statistics.elder_statistics(scope)
        table = statistics.area_table(scope)
        chart_data = {
            "pyramid": charts.pyramid(stats["pyramid"].rows),
            "economic": charts.pie(stats["economic"].rows),
            "ability": charts.bars(stats["ability"].rows),
            "living": charts.pie(stats["living"].rows),
            "special": charts.bars(
                [{"label": label, "n": table["totals"][key]} for key, label in table["groups"]], horizontal=True
            ),
        }
        return {"stats": stats, "table": table, "chart_data": chart_data}


class ServicesView(StatisticsBase):
    template_name = "dashboard/statistics_services.html"
    page = "services"

    def figures(self, scope):
        user = self.request.user
        out: dict = {"chart_data": {}}
        if user.has_perm("eligibility.view_enrolment"):
            enrol = statistics.enrolment_series(scope)
            out["enrolments"] = enrol
            out["chart_data"]["enrolments"] = charts.lines(
                enrol["labels"], [(s["name"], s["counts"]) for s in enrol["series"]], unit="人"
            )
            out["chart_data"]["amounts"] = charts.stacked(
                enrol["labels"], [(s["name"], s["amounts"]) for s in enrol["series"] if s["monthly_cash"]], unit="元"
            )
        if user.has_perm("visits.view_visit"):
            visits = statistics.visit_rate_series(scope)
            out["visits"] = visits
            out["chart_data"]["visit_rate"] = charts.lines(
                visits["labels"], [("月探访率", visits["rates"])], unit="%", max_value=100, kind="bar"
            )
        return out


class BedsView(StatisticsBase):
    template_name = "dashboard/statistics_beds.html"
    page = "beds"

    def figures(self, scope):
        if not self.request.user.has_perm("facilities.use_facilities"):
            return {"beds": None, "chart_data": {}}
        beds = statistics.bed_statistics(scope)
        rows, t = beds["rows"], beds["totals"]
        labels = [r["name"] for r in rows]
        return {
            "beds": beds,
            "chart_data": {
                "beds": charts.stacked(labels, [
                    ("护理型床位", [r["nursing"] for r in rows]),
                    ("普通床位", [r["total"] - r["nursing"] for r in rows]),
                ], unit="张"),
                "occupancy": charts.lines(labels, [("入住率", [r["occupancy"] for r in rows]),
                                                   ("护理型床位占比", [r["nursing_share"] for r in rows])],
                                          unit="%", max_value=100, kind="bar"),
                "nursing_share": charts.pie([
                    {"label": "护理型床位", "n": t["nursing"]}, {"label": "普通床位", "n": t["total"] - t["nursing"]},
                ], unit="张"),
            },
        }


class IndicatorsView(StatisticsBase):
    template_name = "dashboard/indicators.html"
    page = "indicators"

    def figures(self, scope):
        rows = indicators.indicator_rows(scope)
        return {
            "indicators": rows,
            "chart_data": {
                f"trend-{r.key}": charts.lines(r.trend_labels, [("数值", r.trend_values)], unit=r.unit,
                                                max_value=None)
                for r in rows if r.trend_labels
            },
        }


class ExportView(StatisticsBase):
    """?table=<name>&area=<code>: one table of the statistics pages as a formatted .xlsx."""

    def get(self, request, *args, **kwargs):
        scope = self.scope()
        name = request.GET.get("table") or "indicators"
        builder = exports.TABLES.get(name)
        if builder is None or not exports.allowed(request.user, name):
            raise Http404("没有这张报表")
        title, sheets = builder(scope)
        area = scope.area.code if scope.area else "all"
        filename = f"{title}-{area}-{scope.today:%Y%m%d}.xlsx"
        return spreadsheets.xlsx_response(exports.sheets_of(sheets), filename)
