"""The GB/T 42195-2022 instrument (老年人能力评估规范, 附录B) as data.

Four first-level indicators, 26 items, each option's text and score (docs/domain.md §1.1). The data
migration ``0002_instrument`` and the ``post_migrate`` hook (tests flush the database) both call
``load_instrument``; the form, the scoring and the printout read the tables it fills.

Texts marked ``# summarised`` are short Chinese descriptors written from docs/domain.md's summary
("graded descriptors", "frequency-graded") because the full wording of the standard was not at
hand; replace them with the published text when a copy of the standard is available. The scores
and their ranges are the standard's and are not summarised.
"""

from __future__ import annotations

from typing import Any

GBT_42195_2022 = "GB/T 42195-2022"

# The standard 5-step assistance scale (docs/domain.md §1.1 "STD").
STD = (
    (4, "独立完成"),
    (3, "在他人指导或提示下完成"),
    (2, "需要协助，但以自身完成为主"),
    (1, "主要依靠他人协助，自身能给予配合"),
    (0, "完全依赖他人协助，且不能给予配合"),
)

# (indicator code, name, max score, [(item code, name, options highest score first)])
INDICATORS: list[tuple[str, str, int, list[tuple[str, str, tuple[tuple[int, str], ...]]]]] = [
    ("B.1", "自理能力", 32, [
        ("B.1.1", "进食", (
            (4, "独立使用器具将食物送进口中并咽下，没有呛咳"),
            (3, "在他人指导或提示下完成，或独立使用辅具，没有呛咳"),
            (2, "进食中需要少量接触式协助，偶尔（每月一次及以上）呛咳"),
            (1, "在进食中需要大量接触式协助，经常（每周一次及以上）呛咳"),
            (0, "完全依赖他人协助进食，或吞咽困难，或留置营养管"),
        )),
        ("B.1.2", "修饰", STD),
        ("B.1.3", "洗澡", STD),
        ("B.1.4", "穿/脱上衣", STD),
        ("B.1.5", "穿/脱裤子和鞋袜", STD),
        ("B.1.6", "小便控制", (  # summarised (frequency-graded)
            (4, "可自行控制排尿，排尿次数、排尿控制均正常"),
            (3, "白天可自行控制排尿，夜间排尿控制较差，或自行使用尿布、尿垫等辅助用物"),
            (2, "偶尔（每周一次以上，但每天不到一次）尿失禁，或需他人少量协助使用尿布、尿垫"),
            (1, "经常（每天一次及以上）尿失禁，但尚非完全失控，或需他人大量协助使用尿布、尿垫"),
            (0, "小便失禁，完全不能控制排尿，或留置导尿管"),
        )),
        ("B.1.7", "大便控制", (  # summarised (frequency-graded)
            (4, "可正常自行控制大便排出"),
            (3, "有时（每周不到一次）便秘或大便失禁，或自行使用开塞露、尿垫等辅助用物"),
            (2, "经常（每周一次以上，但每天不到一次）便秘或大便失禁，或需他人少量协助"),
            (1, "大部分时间（每天一次及以上）便秘或大便失禁，但尚非完全失控，或需他人大量协助"),
            (0, "严重便秘或者完全大便失禁，需要依赖他人协助排便或清洁皮肤"),
        )),
        ("B.1.8", "如厕", STD),
    ]),
    ("B.2", "基础运动能力", 15, [
        ("B.2.1", "床上体位转移", STD),
        ("B.2.2", "床椅转移", STD),
        ("B.2.3", "平地行走", (
            (4, "可独立平地行走50m左右，且无摔倒风险"),
            (3, "能平地行走50m左右，存在摔倒风险，需要他人监护，或使用拐杖、助行器等辅助工具"),
            (2, "在步行时需要他人少量扶持协助"),
            (1, "在步行时需要他人大量扶持协助"),
            (0, "完全不能步行"),
        )),
        ("B.2.4", "上下楼梯", (
            (3, "可独立上下楼梯（连续上下10～15个台阶），不需要协助"),
            (2, "在他人指导或提示下完成"),
            (1, "需要他人协助，但以自身完成为主"),
            (0, "主要依靠他人协助，或完全依赖他人"),
        )),
    ]),
    ("B.3", "精神状态", 28, [
        ("B.3.1", "时间定向", (  # summarised (graded descriptors)
            (4, "时间观念（年、月）清楚，日期（或星期几）可相差一天"),
            (3, "时间观念有些下降，年、月、日（或星期几）不能全部分清"),
            (2, "时间观念较差，年、月、日不清楚，可知上半年或下半年、季节"),
            (1, "时间观念很差，只能分清上午、下午或白天、夜间"),
            (0, "无时间观念"),
        )),
        ("B.3.2", "空间定向", (  # summarised (graded descriptors)
            (4, "能在日常生活范围内单独外出，如在居住小区内独自外出购物"),
            (3, "不能单独外出，但能准确知道自己日常生活所在地的地址"),
            (2, "不能单独外出，但知道较多有关自己日常生活的地址信息"),
            (1, "不能单独外出，只知道较少自己居住或生活所在地的地址信息"),
            (0, "不能单独外出，无空间观念"),
        )),
        ("B.3.3", "人物定向", (  # summarised (graded descriptors)
            (4, "认识长期共同生活的人，能称呼并知道关系"),
            (3, "能认识大部分共同生活的人，能称呼或知道关系"),
            (2, "能认识部分日常同住的亲人或照护者，能称呼或知道关系"),
            (1, "只认识自己或极少数日常同住的亲人或照护者"),
            (0, "不认识任何人（包括自己）"),
        )),
        ("B.3.4", "记忆", (  # summarised (graded descriptors)
            (4, "短时、近期和远期记忆完好"),
            (3, "短时记忆下降：3个词语5分钟后仅能回忆0～1个"),
            (2, "近期记忆下降：不能回忆起上一顿饭的内容"),
            (1, "远期记忆下降：忘记自己的生日等远期事情"),
            (0, "记忆完全紊乱，完全不能对既往事物进行正确回忆"),
        )),
        ("B.3.5", "理解能力", (  # summarised (graded descriptors)
            (4, "能正常理解他人的话"),
            (3, "能理解他人的话，但需要增加时间"),
            (2, "理解有困难，需频繁重复或简化口头表达"),
            (1, "理解有严重困难，需要大量他人帮助"),
            (0, "完全不能理解他人的话"),
        )),
        ("B.3.6", "表达能力", (  # summarised (graded descriptors)
            (4, "能正常表达自己的想法"),
            (3, "能表达自己的需要，但需要增加时间"),
            (2, "表达需要有困难，需频繁重复或简化口头表达"),
            (1, "表达有严重困难，需要大量他人帮助"),
            (0, "完全不能表达需要"),
        )),
        ("B.3.7", "攻击行为", (
            (1, "未出现"),
            (0, "近一个月内出现过攻击行为（身体攻击或语言攻击）"),
        )),
        ("B.3.8", "抑郁症状", (
            (1, "未出现"),
            (0, "近一个月内出现过负性情绪（情绪低落、不爱说话、不爱梳洗、不爱活动等）"),
        )),
        ("B.3.9", "意识水平", (
            (2, "神志清醒，对周围环境能做出正确反应"),
            (1, "嗜睡或意识模糊"),
            (0, "昏睡或昏迷"),
        )),
    ]),
    ("B.4", "感知觉与社会参与", 15, [
        ("B.4.1", "视力", (
            (2, "视力正常"),
            (1, "能看清楚大字体，但看不清书报上的标准字体；或视力有限，但能辨认物体"),  # summarised
            (0, "只能看到光、颜色和形状，或完全失明"),
        )),
        ("B.4.2", "听力", (
            (2, "听力正常"),
            (1, "在轻声说话或距离较远时听不清，需在安静环境或大声说话才能听到"),  # summarised
            (0, "讲话者大声说话或说话很慢，才能部分听见；或完全失聪"),
        )),
        ("B.4.3", "执行日常事务", (  # summarised (graded descriptors)
            (4, "能完全独立计划、安排和完成日常事务，无需协助"),
            (3, "计划、安排和完成日常事务时需要他人监护或指导"),
            (2, "计划、安排和完成日常事务时需要少量协助"),
            (1, "计划、安排和完成日常事务时需要大量协助"),
            (0, "完全依赖他人进行日常事务"),
        )),
        ("B.4.4", "使用交通工具外出", (
            (3, "能自己骑车或搭乘公共交通工具外出"),
            (2, "能自己搭乘出租车，但不会搭乘其他公共交通工具外出"),
            (1, "有人协助或陪伴时，可搭乘公共交通工具外出"),
            (0, "只能在他人协助下搭乘出租车或私家车外出，或完全不能外出"),
        )),
        ("B.4.5", "社会交往能力", (  # summarised (graded descriptors)
            (4, "参与社会，对社会环境有一定的适应能力，待人接物恰当"),
            (3, "能适应单纯环境，主动接触他人，初见面时难让人发现智力问题"),
            (2, "脱离社会，可被动接触，不会主动待人，谈话中有很多不适词句"),
            (1, "勉强可与他人接触，谈吐内容不清楚，表情不恰当"),
            (0, "不能与人交往"),
        )),
    ]),
]


def load_instrument(indicator_model: Any, item_model: Any, option_model: Any) -> bool:
    """Fill the instrument tables if this standard is not there yet. Returns True if it wrote.

    Takes the model classes so that the data migration can pass its historical models and the
    post_migrate hook the real ones. Idempotent: an existing standard is left as it is.
    """
    if indicator_model.objects.filter(standard=GBT_42195_2022).exists():
        return False
    for i_pos, (ind_code, ind_name, ind_max, items) in enumerate(INDICATORS, start=1):
        indicator = indicator_model.objects.create(
            standard=GBT_42195_2022, code=ind_code, name=ind_name, max_score=ind_max, position=i_pos
        )
        for pos, (code, name, options) in enumerate(items, start=1):
            item = item_model.objects.create(
                indicator=indicator, code=code, name=name, max_score=max(s for s, _ in options), position=pos
            )
            option_model.objects.bulk_create(option_model(item=item, score=s, text=t) for s, t in options)
    return True
