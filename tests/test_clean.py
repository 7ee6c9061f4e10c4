from kg.clean import (clean_text, drop_repeated_blocks, split_glued_items, strip_boilerplate,
                      strip_table_rules)

PAGE = """当前位置: 首页
> 教育信息 > 动态信息
2020年台州教育重点工作发布
信息来源: 市教育局办公室 发布时间: 2020-04-03 16:30 浏览次数:
关怀版
热搜词:政治教育动态
一、实施教育现代化推进工程。
打印本页 关闭窗口"""


def test_web_chrome_is_removed_and_text_kept():
    out = clean_text(PAGE)
    assert out == "2020年台州教育重点工作发布\n一、实施教育现代化推进工程。"


def test_table_rules_are_removed():
    assert strip_table_rules("甲||||||乙\n|\n丙") == "甲乙\n\n丙"


def test_glued_item_numbers_go_on_their_own_line_but_quantities_stay():
    text = "一、总体要求1全面加强建设67所幼儿园2纵深推进党建第3批试点"
    out = split_glued_items(text)
    assert "\n1.全面加强" in out and "\n2.纵深推进" in out
    assert "67所" in out and "第3批" in out


def test_a_document_holding_its_text_twice_keeps_one_copy():
    body = "\n".join(f"第{i}段,落实立德树人根本任务,推进教育现代化建设,办好人民满意的教育。" for i in range(6))
    doubled = body + "\n" + body
    assert drop_repeated_blocks(doubled) == body


def test_short_repeated_headings_outside_a_repeated_block_stay():
    text = "工作目标\n甲\n工作目标\n乙"
    assert drop_repeated_blocks(text) == text


def test_cleaning_is_idempotent_on_every_seed(seed_texts):
    for raw in seed_texts.values():
        once = clean_text(raw)
        assert clean_text(once) == once


def test_boilerplate_patterns_do_not_touch_prose():
    prose = "各地要按照发布时间节点完成任务,来源广泛。"
    assert strip_boilerplate(prose) == prose
