import pytest

from kg.extract.metrics import extract_metrics, parse_number
from kg.model import Document
from kg.resolve import SentenceIndex
from kg.segment import split_sentences


def metrics(text, date="2020-04-03"):
    doc = Document("t", "t.txt", text, date=date)
    return extract_metrics(doc, SentenceIndex(split_sentences(text)))


def one(text):
    ms = metrics(text)
    assert len(ms) == 1, ms
    return ms[0]


@pytest.mark.parametrize("s,value", [("4.4", 4.4), ("三十", 30), ("百", 100), ("一百二十", 120),
                                     ("两", 2)])
def test_parse_number(s, value):
    assert parse_number(s) == value


def test_wan_is_expanded():
    m = one("新增公办学位4.4万个。")
    assert (m.value, m.unit) == (44000, "个") and "公办学位" in m.indicator


def test_yi_yuan_is_written_in_yuan():
    m = one("全年计划完成项目投入68亿元。")
    assert (m.value, m.unit) == (6_800_000_000, "元") and "项目投入" in m.indicator


def test_approximate_counts_keep_their_number_as_a_lower_bound():
    m = one("新增公办学位3万余个。")
    assert (m.value, m.unit, m.approximate) == (30000, "个", True)


def test_percentage_point_decrease():
    m = one("儿童青少年近视率下降1个百分点。")
    assert (m.value, m.unit, m.comparator) == (1, "百分点", "decrease")


def test_target_with_comparator_and_indicator_before_the_number():
    m = one("普惠性幼儿园覆盖面达到90%。")
    assert (m.value, m.unit, m.comparator, m.indicator) == (90, "%", "ge", "普惠性幼儿园覆盖面")


def test_years_dates_and_ordinals_are_not_metrics():
    assert metrics("2020年4月2日召开第3次会议,落实“十四五”规划。") == []


def test_metric_year_follows_the_section_heading():
    text = "2023年工作总结\n新建幼儿园28所。\n2024年工作要点\n新建幼儿园30所。"
    assert [m.year for m in metrics(text, date="2024-06-17")] == [2023, 2024]


def test_offsets_point_at_the_number():
    text = "一是建成二级以上标准幼儿园67所。"
    m = one(text)
    assert text[m.evidence.start:m.evidence.end] == m.text == "67所"


def test_results_in_a_summary_and_targets_in_key_points():
    text = "2023年工作总结\n新建幼儿园28所。\n2024年工作要点\n新建幼儿园30所。\n"
    ms = metrics(text, date="2024-06-17")
    assert [m.status for m in ms] == ["result", "target"]


def test_target_words_make_a_target_even_in_a_summary():
    ms = metrics("工作总结\n力争普惠性幼儿园覆盖面达到90%。")
    assert ms[0].status == "target"


def test_metric_is_about_the_entity_named_in_its_clause_and_counts_in_its_place():
    from tests.test_resolve import build_one
    ex = build_one("推进“互联网+义务教育”,黄岩“互联网+义务教育”学校覆盖率达65%。")
    by_id = {e.id: e.name for e in ex.entities}
    m = next(m for m in ex.metrics if m.value == 65)
    assert by_id[m.about] == "互联网+义务教育" and by_id[m.place] == "黄岩区"


def test_a_list_of_numbers_shares_its_indicator():
    ms = metrics("两县省级评估通过率分别达到67%、41%。")
    assert [(m.value, m.indicator) for m in ms] == [(67, ms[0].indicator), (41, ms[0].indicator)]
    assert "通过率" in ms[0].indicator


@pytest.mark.parametrize("text", ["持续落实教育经费投入“两个只增不减”。",
                                  "开展“两项督导”实地评估。",
                                  "深入实施‘三名工程’建设。"])
def test_a_count_opening_a_quoted_name_is_not_a_metric(text):
    """“两个只增不减”, “两项督导”: a number in words opening a quoted
    name is part of the name (a slogan), not a count the document reports."""
    assert metrics(text) == []


def test_a_count_in_words_outside_quotes_is_still_a_metric():
    m = one("今年新建学校两所。")
    assert (m.value, m.unit) == (2, "所")
