"""Load the demo: seed regions, one user per role in Yangling district, ~2,000 synthetic elders, the
policy lists and a swept worklist, assessments, visits and facilities.

It lives in `dashboard` because it wires every app together and dashboard is the one app allowed to
import all the others (docs/architecture.md, Layering).
"""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessments.demo import load_demo as load_assessments_demo
from dashboard.demo import load_demo as load_dashboard_demo
from registry.public import Elder, Household, generate_synthetic_elders
from eligibility.public import sweep
from facilities.demo import load_demo as load_facilities_demo
from regions import roles
from regions.models import Region, StaffAssignment
from regions.services import load_regions_file, sync_user_roles
from visits.demo import load_demo as load_visits_demo

SEED_FILE = Path(settings.BASE_DIR) / "regions" / "data" / "seed_regions_2020.csv"
SEED_VALID_FROM = dt.date(2020, 10, 31)
COUNTY = "610403000000"  # 杨陵区
TOWNSHIP = "610403001000"  # 杨陵街道
NEIGHBOUR = "610403002000"  # 李台街道
DEMO_PASSWORD = "yiyang-demo-2026"

# username, display name, role, region code
DEMO_USERS = [
    ("county_admin", "县级管理员（杨陵区）", roles.COUNTY_ADMIN, COUNTY),
    ("township_officer", "乡镇经办人（杨陵街道）", roles.TOWNSHIP_OFFICER, TOWNSHIP),
    ("neighbour_officer", "乡镇经办人（李台街道）", roles.TOWNSHIP_OFFICER, NEIGHBOUR),
    ("village_worker", "村协管员", roles.VILLAGE_WORKER, None),  # first village of the township
    ("assessor", "评估员（杨陵区）", roles.ASSESSOR, COUNTY),
    ("finance_reviewer", "财务审核（杨陵区）", roles.FINANCE_REVIEWER, COUNTY),
    ("facility_manager", "机构管理员", roles.FACILITY_MANAGER, COUNTY),
    ("auditor", "监督（杨陵区）", roles.AUDITOR, COUNTY),
]


class Command(BaseCommand):
    help = "加载演示数据：区划、各角色演示账号（杨陵区）和约2000名虚拟老年人。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--elders", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=20261125)
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password of every demo account")

    def handle(self, *args, **options):
        result = load_regions_file(path=SEED_FILE, default_valid_from=SEED_VALID_FROM)
        self.stdout.write(f"行政区划：新增 {result.created}，更新 {result.updated}，无变化 {result.unchanged}")
        users = self._users(options["password"])
        created = self._elders(options["elders"], options["seed"])
        self.stdout.write(f"虚拟老年人：新增 {created}（杨陵区共 {Elder.objects.in_area('610403').count()} 人）")
        call_command("load_policy", "yangling", "linfen", stdout=self.stdout)  # the policy catalogue (服务清单)
        runs = sweep(as_of=timezone.localdate(), county=COUNTY)  # 服务找人: fill the township worklist
        self.stdout.write(f"服务找人：{', '.join(f'{r.county_code} {r.get_status_display()}' for r in runs)}")
        load_assessments_demo(password=options["password"], stdout=self.stdout)
        load_visits_demo(stdout=self.stdout)  # 探访关爱: default rules, this month's visits, the village worker as visitor
        self.stdout.write(load_facilities_demo(today=timezone.localdate()))
        self.stdout.write(load_dashboard_demo(today=timezone.localdate()))  # 统计报表: a year of history
        self.stdout.write("")
        self.stdout.write("演示账号（仅供本机演示，密码均为 %s）：" % options["password"])
        for username, label in users:
            self.stdout.write(f"  {username:<18} {label}")

    @transaction.atomic
    def _users(self, password):
        User = get_user_model()
        out = []
        admin, _ = User.objects.get_or_create(username="admin", defaults={"first_name": "系统管理员"})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        out.append(("admin", "系统管理员（超级用户，全部区域）"))
        first_village = Region.objects.filter(parent__code=TOWNSHIP).order_by("code").first()
        for username, label, role_name, code in DEMO_USERS:
            region = Region.objects.get(code=code) if code else first_village
            user, _ = User.objects.get_or_create(username=username, defaults={"first_name": label})
            user.first_name = label
            user.is_staff = role_name == roles.COUNTY_ADMIN
            user.set_password(password)
            user.save()
            role = Group.objects.get(name=role_name)
            StaffAssignment.objects.get_or_create(user=user, region=region, role=role)
            sync_user_roles(user=user)
            out.append((username, f"{label} · {region.name}"))
        return out

    @transaction.atomic
    def _elders(self, n, seed):
        if Elder.objects.in_area("610403").exists():
            return 0
        villages = list(Region.objects.in_area("610403").filter(level="village").order_by("code"))
        by_code = {v.code: v for v in villages}
        today = timezone.localdate()
        people = list(generate_synthetic_elders(n=n, village_codes=list(by_code), today=today, seed=seed))
        households = {}
        for p in people:
            if p.household_key not in households:
                village = by_code[p.region_code]
                households[p.household_key] = Household(
                    household_number=p.household_key.split("-")[1],
                    region=village,
                    region_code=village.code,
                    hukou_type=p.hukou_type,
                    head_name=p.name,
                    address=f"陕西省杨凌示范区{village.parent.name}{village.name}{int(p.household_key[-3:])}号",
                )
        bulk_create_with_history(list(households.values()), Household, batch_size=500)
        saved = {
            (h.region_id, h.household_number): h
            for h in Household.objects.in_area("610403")
        }
        elders = []
        for p in people:
            village = by_code[p.region_code]
            household = saved[(village.pk, p.household_key.split("-")[1])]
            elders.append(
                Elder(
                    id_number=p.id_number, name=p.name, sex=p.sex, birth_date=p.birth_date, phone=p.phone,
                    household=household, relation_to_head=p.relation_to_head, region=village,
                    region_code=village.code, address=household.address, local_hukou=p.local_hukou,
                    hukou_type=p.hukou_type, economic_status=p.economic_status,
                    living_arrangement=p.living_arrangement, disability_category=p.disability_category,
                    disability_grade=p.disability_grade, special_family=p.special_family,
                    veteran_category=p.veteran_category, ability_level=p.ability_level,
                    care_setting="institution" if p.economic_status == "tekun_inst" else "home",
                    deceased_on=p.deceased_on, bank_name=p.bank_name, bank_account=p.bank_account,
                )
            )
        bulk_create_with_history(elders, Elder, batch_size=500)
        return len(elders)
