"""Read queries of the home page (工作台): what needs action today in the user's area.

Each item is one COUNT over a queryset that starts from ``.visible_to(user)`` (or a selector of the
owning app that does) and links to the list that shows exactly those rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from assessments import selectors as assessment_selectors
from eligibility.public import worklist_counts
from imports import selectors as import_selectors
from imports.models import ImportBatch
from payouts.models import PayrollRun
from visits import selectors as visit_selectors


@dataclass
class ActionItem:
    key: str
    label: str
    count: int
    unit: str
    url: str
    hint: str = ""
    tone: str = "warning"  # bootstrap colour when count > 0


def _item(key: str, label: str, count: int, unit: str, url: str, hint: str = "", tone: str = "warning") -> ActionItem:
    return ActionItem(key, label, count, unit, url, hint, tone)


def action_items(user: Any, *, today: dt.date) -> list[ActionItem]:
    """The to-do counts of the user's area, only for what the user's role may act on; each links
    to the list that shows exactly those rows. One COUNT query per item."""
    items: list[ActionItem] = []
    worklist = reverse("eligibility:worklist")
    if user.has_perm("eligibility.decide_enrolment"):
        counts = worklist_counts(user)
        items.append(_item("candidates", "服务找人：新的待审核对象", counts["candidates"], "人",
                           f"{worklist}?tab=candidates", "夜间测算新发现符合条件、需经办审核的老年人"))
        items.append(_item("stop_proposals", "停发提示：待复核", counts["review"], "条",
                           f"{worklist}?tab=review", "死亡、迁出或条件变化，建议停发或调整", "danger"))
    if user.has_perm("visits.view_visit_report"):
        items.append(_item("overdue_visits", "逾期未探访", visit_selectors.overdue_visits(user).count(), "次",
                           reverse("visits:report") + "#overdue", "探访任务已过应探访日期", "danger"))
    elif user.has_perm("visits.add_visitrecord"):
        overdue = visit_selectors.my_visit_counts(user, today)["overdue"]
        items.append(_item("overdue_visits", "我的逾期探访", overdue, "次", reverse("visits:my_visits") + "?tab=overdue",
                           "分配给我的探访任务已过应探访日期", "danger"))
    if user.has_perm("visits.change_followup"):
        follow_ups = reverse("visits:follow_ups")
        items.append(_item("high_risk_follow_ups", "高风险探访待跟进",
                           visit_selectors.open_follow_ups(user, high_risk=True).count(), "件",
                           f"{follow_ups}?risk=high", "探访评定为高风险或申请紧急救助，尚未办结", "danger"))
        items.append(_item("follow_ups", "探访转介待跟进", visit_selectors.open_follow_ups(user).count(), "件",
                           follow_ups, "探访发现需转介的事项，尚未办结"))
    assessments = reverse("assessments:worklist")
    # Not for a superuser: "due" is a per-elder subquery over the whole register (2.3 s at 1M
    # elders, bench/README.md); an assessor's county is what this item is for.
    if user.has_perm("assessments.add_assessment") and not user.is_superuser:
        due = assessment_selectors.elders_due_for_assessment(user, today).count()
        items.append(_item("assessments_due", "应开展能力评估", due, "人", f"{assessments}?tab=due",
                           "65周岁以上未评估、评估到期或申请即时评估"))
    if user.has_perm("assessments.approve_assessment"):
        items.append(_item("assessments_submitted", "能力评估待审核", assessment_selectors.awaiting_approval(user).count(),
                           "份", f"{assessments}?tab=submitted", "评估员已提交，等待县级审核"))
    # The run list's ?status= filter narrows the same scoped runs (PayrollRun.visible_to) by status.
    payroll = reverse("payouts:run_list")
    if user.has_perm("payouts.approve_payrollrun"):
        submitted = str(PayrollRun.Status.SUBMITTED)
        runs = PayrollRun.objects.visible_to(user).filter(status=submitted).count()
        items.append(_item("payroll_review", "补贴发放名册待审核", runs, "批", f"{payroll}?status={submitted}",
                           "已提交的月度发放名册，需第二人审核"))
    elif user.has_perm("payouts.submit_payrollrun"):
        draft = str(PayrollRun.Status.DRAFT)
        runs = PayrollRun.objects.visible_to(user).filter(status=draft).count()
        items.append(_item("payroll_draft", "补贴发放名册待提交", runs, "批", f"{payroll}?status={draft}",
                           "已生成的月度发放名册草稿，核对后提交审核", "info"))
    if user.has_perm("imports.add_importbatch"):
        items.append(_item("import_errors", "批量导入有错误", imports_with_errors(user).count(), "批",
                           f"{reverse('imports:batch_list')}?status={import_selectors.ERRORS}",
                           "校验发现错误行（待确认）或导入失败"))
    return items


def imports_with_errors(user: Any) -> QuerySet:
    """Batches that need the uploader (imports.selectors.with_errors_q): what the batch list shows
    under ?status=errors."""
    return ImportBatch.objects.visible_to(user).filter(import_selectors.with_errors_q())


__all__ = ["ActionItem", "action_items", "imports_with_errors"]
