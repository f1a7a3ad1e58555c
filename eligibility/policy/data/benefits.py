"""Benefits (service items) shared by every list: one code per item, whatever the jurisdiction."""

# code: (name, service type, lead department, payment kind, enrolment mode)
BENEFITS = {
    "age_allowance": ("高龄津贴", "material", "民政部门", "monthly", "automatic"),
    "centenarian_subsidy": ("百岁老人补贴", "material", "民政部门", "monthly", "automatic"),
    "service_subsidy": ("养老服务补贴", "material", "民政、财政部门", "monthly", "verified"),
    "nursing_subsidy": ("经济困难失能老年人护理补贴", "material", "民政、财政部门", "monthly", "verified"),
    "care_fee": ("特困人员照料护理费", "care", "民政部门", "monthly", "automatic"),
    "tekun_basic": ("特困人员基本生活费", "material", "民政部门", "monthly", "automatic"),
    "dibao_topup": ("低保老年人增发保障金", "material", "民政部门", "monthly", "automatic"),
    "family_planning": ("计划生育家庭特别扶助金", "support", "卫健部门", "monthly", "verified"),
    "disability_living": ("困难残疾人生活补贴", "material", "残联、民政部门", "monthly", "verified"),
    "disability_care": ("重度残疾人护理补贴", "material", "残联、民政部门", "monthly", "verified"),
    "home_adaptation": ("家庭适老化改造补助", "care", "民政、财政、残联部门", "one_off", "verified"),
    "ability_assessment": ("老年人能力综合评估", "care", "民政、卫健、医保部门", "service", "verified"),
    "visit_care": ("特殊困难老年人巡访关爱", "caring", "民政部门", "service", "automatic"),
}
