from kg.clean import (clean_text, drop_repeated_blocks, split_glued_items, strip_boilerplate,
                      strip_page_marks, strip_table_rules)

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


def test_only_a_number_between_chinese_characters_is_an_item_number():
    # after digits, at the start, after an ordinal or approximating word: not items
    for text in ("学校123推进", "第1批次近2年来", "共2所", "a1加强"):
        assert split_glued_items(text) == text
    assert split_glued_items("1加强2推进") == "1加强\n2.推进"   # 2 may follow a lost 1
    assert split_glued_items("学校123推进2落实") == "学校123推进\n2.落实"
    assert split_glued_items("要求1加强12推进2落实") == "要求\n1.加强12推进\n2.落实"
    assert split_glued_items("加强“1”推进》1园1《") == "加强“1”推进》\n1.园1《"


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


def test_pdf_page_numbers_and_running_headers_are_removed():
    header = "某县教育事业发展规划"
    text = (f"一、总体要求。全县教育系统坚持优先发展。 — 1 — {header} 持续推进集团化办学,"
            f"新建学校3所。\n第 2 页 共 6 页\n{header}\n二、主要任务。实施强师工程。 — 3 — {header} 完成。")
    out = clean_text(text)
    assert "— 1 —" not in out and "第 2 页" not in out and "— 3 —" not in out
    assert header not in out
    assert "持续推进集团化办学" in out and "实施强师工程" in out


def test_an_inline_page_mark_goes_with_the_spaces_around_it():
    assert strip_page_marks("新建学校3所。 \u3000— 3 —  实施强师工程。") == "新建学校3所。\n实施强师工程。"
    assert strip_page_marks("第一章 总则 第 2 页 共 6 页") == "第一章 总则\n"
    assert strip_page_marks("— 3 —— 4 —") == "\n"


def test_lines_wrapped_in_mid_sentence_are_joined_but_headings_stay():
    body = ("全县实施品质课堂提升工程,新建第二实验小学等五所学校,县教\n"
            "育局联合县财政局印发教师培训管理办法,完成年度目标任务的百分之九十八\n"
            "以上,群众满意度持续提升。\n"
            "二、主要问题与不足之处以及下一步的工作打算和努力方向安排\n"
            "师资结构仍需优化,农村学校教师老龄化问题突出,需要进一步加\n"
            "强统筹。")
    out = clean_text(body)
    assert "县教育局联合县财政局" in out and "进一步加强统筹" in out
    assert "\n二、主要问题" in out


def test_a_document_of_whole_paragraphs_is_not_rejoined():
    text = "一、主要成绩\n全县新建学校三所,完成投资两亿元。\n二、存在问题\n教师结构仍需优化。"
    assert clean_text(text) == text


def test_traditional_text_is_read_in_simplified_characters():
    out = clean_text("臺州市教育局實施「初中崛起」工程,推進城鄉教育共同體建設。")
    assert out == "台州市教育局实施“初中崛起”工程,推进城乡教育共同体建设。"


def test_simplified_text_is_not_converted():
    text = "著名教师团队实施“乾坤”工程,发展乡村教育。"
    assert clean_text(text) == text


def test_glued_item_numbers_split_once_then_stay():
    once = clean_text("》1园1《")
    assert clean_text(once) == once
