"""The seeds' indicator targets as data (editable in the admin: 指标目标值).

Each row cites its clause; the national nursing-bed share is the national 14th five-year plan's
figure (not in the local policy documents; ≥ 55 %, docs/domain.md §5).
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

END_2025 = dt.date(2025, 12, 31)

# indicator, prefix, jurisdiction name, target, source
TARGETS = [
    ("assessment_80", "3206", "南通市", "100", "南通市《关于推进基本养老服务体系建设的实施意见》：到2025年，全市80周岁及以上老年人能力综合评估实现全覆盖"),
    ("visit_rate", "610403", "杨陵区", "100", "杨陵区基本养老服务体系建设实施方案：到2025年底月探访率达100%"),
    ("nursing_beds", "", "全国", "55", "“十四五”国家老龄事业发展和养老服务体系规划：养老机构护理型床位占比55%"),
    ("nursing_beds", "14", "山西省", "60", "太原市并政办发〔2020〕53号：护理型床位占比不低于60%（山西）"),
    ("nursing_beds", "610403", "杨陵区", "60", "杨陵区基本养老服务体系建设实施方案：到2025年，护理型床位占比不低于60%"),
    ("nursing_beds", "3206", "南通市", "75", "南通市实施意见：“十四五”末养老机构护理型床位占比不低于75%"),
    ("tekun_facilities", "14", "山西省", "1", "山西省基本养老服务体系建设实施方案：每个县（市、区）至少建有1所县级特困人员供养服务机构"),
    ("tekun_facilities", "3206", "南通市", "1", "南通市实施意见：每个县（市、区）至少有1所县级特困人员供养服务机构"),
    ("graded_township", "14", "山西省", "80", "山西省基本养老服务体系建设实施方案：到2025年，全省80%以上的乡镇级公办养老机构评定等级不低于一级"),
    ("carers_per_10k", "1410", "临汾市", "20", "临汾市临政办发〔2023〕43号：到2025年，每万名老年人拥有持证养老护理员达到20人"),
    ("social_workers_per_1k", "610403", "杨陵区", "1.2", "杨陵区基本养老服务体系建设实施方案：到2025年，每千名老年人配备社会工作者人数达到1.2人以上"),
]


def load_targets(apps, schema_editor):
    IndicatorTarget = apps.get_model("dashboard", "IndicatorTarget")
    for indicator, prefix, name, target, source in TARGETS:
        IndicatorTarget.objects.get_or_create(
            indicator=indicator, jurisdiction_prefix=prefix,
            defaults={"jurisdiction_name": name, "target": Decimal(target), "deadline": END_2025, "source": source},
        )


def unload_targets(apps, schema_editor):
    IndicatorTarget = apps.get_model("dashboard", "IndicatorTarget")
    for indicator, prefix, *_ in TARGETS:
        IndicatorTarget.objects.filter(indicator=indicator, jurisdiction_prefix=prefix).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial")]
    operations = [migrations.RunPython(load_targets, unload_targets)]
