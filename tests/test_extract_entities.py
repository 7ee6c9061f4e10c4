import pytest

from kg.extract.entities import extract_mentions
from kg.gazetteer import load_gazetteer
from kg.lexicon import load_lexicon
from kg.model import Document


@pytest.fixture(scope="module")
def mentions_of():
    gaz, lex = load_gazetteer(), load_lexicon()

    def run(text, place="台州市"):
        doc = Document("t", "t.txt", text)
        ms = extract_mentions(doc, lex, gaz, gaz.lookup(place) if place else None)
        for m in ms:
            assert doc.text[m.start:m.end] == m.text
        return {(m.type, m.name) for m in ms}
    return run


def test_titles_in_book_marks_are_programmes(mentions_of):
    found = mentions_of("全面实施《台州教育现代化2035行动纲要》。")
    assert ("Programme", "台州教育现代化2035行动纲要") in found


def test_nested_quotes_in_titles_are_kept_out_of_the_name(mentions_of):
    found = mentions_of("制定《台州职业教育“十四五”发展规划》。")
    assert ("Programme", "台州职业教育十四五发展规划") in found


def test_quoted_name_takes_its_suffix(mentions_of):
    found = mentions_of("实施“初中崛起”工程,加快提升公办初中办学质量。")
    assert ("Initiative", "初中崛起工程") in found


def test_quoted_name_with_words_before_the_suffix(mentions_of):
    found = mentions_of("落实“五育并举”熔铸工程。")
    assert ("Initiative", "五育并举熔铸工程") in found


def test_a_quoted_channel_name_is_no_initiative(mentions_of):
    found = mentions_of("“台州教育”微信发布2020年教育重点工作。")
    assert not any(name == "台州教育" for _, name in found)


def test_school_names_by_grammar_but_not_generic_schools(mentions_of):
    found = mentions_of("开工建设永宁中学、三梅中学项目,推进中小学和普惠性幼儿园建设。")
    assert ("School", "永宁中学") in found and ("School", "三梅中学") in found
    assert not any(t == "School" and n in ("中小学", "小学", "普惠性幼儿园") for t, n in found)


def test_numbered_school_short_names_inside_the_document_place(mentions_of):
    found = mentions_of("加快推进台州一中二期、黄二高改扩建。")
    assert ("School", "台州一中") in found and ("School", "黄二高") in found


def test_unquoted_initiative_ending_in_a_suffix(mentions_of):
    found = mentions_of("实施健康学校工程,全市新增50所中小学健康促进学校。")
    assert ("Initiative", "健康学校工程") in found


def test_places_short_forms_resolve_inside_the_document_province(mentions_of):
    found = mentions_of("黄岩、三门要创成教育基本现代化县。")
    assert ("Place", "黄岩区") in found and ("Place", "三门县") in found


def test_county_short_forms_from_another_province_are_not_places(mentions_of):
    found = mentions_of("黄岩要创成教育基本现代化县。", place="成都市")
    assert ("Place", "黄岩区") not in found


def test_agencies_by_grammar_and_lexicon(mentions_of):
    found = mentions_of("组建培训机构协会,教育部和台州市教育局联合开展督查。")
    assert {("Agency", "培训机构协会"), ("Agency", "教育部"), ("Agency", "台州市教育局")} <= found


def test_named_events(mentions_of):
    found = mentions_of("筹备台州职业教育大会,承办全国优秀中学校长教育思想研讨会。")
    assert ("Event", "台州职业教育大会") in found
    assert ("Event", "全国优秀中学校长教育思想研讨会") in found


def test_a_verb_right_before_the_suffix_stays_in_the_name(mentions_of):
    found = mentions_of("一、聚焦补短提升,实施教育现代化推进工程。实施家长素养提升工程。")
    assert ("Initiative", "教育现代化推进工程") in found
    assert ("Initiative", "家长素养提升工程") in found


def test_parallel_phrase_slogans_and_roles_are_not_initiatives(mentions_of):
    found = mentions_of("坚持“抓师德、强师风”,发挥“监督者”“指导者”作用,推进“双减”。")
    names = {n for _, n in found}
    assert "双减" in names and not names & {"抓师德、强师风", "监督者", "指导者"}


def test_periodicals_are_not_programmes(mentions_of):
    found = mentions_of("经验获《中国教育报》整版刊发,入选《人民教育》。")
    assert not any(t == "Programme" for t, _ in found)


def test_whole_city_events_keep_their_prefix_for_completion(mentions_of):
    found = mentions_of("召开全市职业教育高质量发展大会。")
    assert ("Event", "全市职业教育高质量发展大会") in found


def test_generic_division_names_are_not_places(mentions_of):
    found = mentions_of("推进城区学校建设。", place="大同市")
    assert not any(t == "Place" for t, _ in found)


def test_quoted_name_takes_the_nouns_before_it(mentions_of):
    found = mentions_of("实施台州市职业院校“双高计划”、职业教育现代化工程。")
    assert ("Initiative", "台州市职业院校双高计划") in found


def test_event_names_may_hold_weak_verbs(mentions_of):
    found = mentions_of("成功举办第七届基础教育美丽学校建设国际研讨会。")
    assert ("Event", "第七届基础教育美丽学校建设国际研讨会") in found


def test_masked_characters_inside_a_name(mentions_of):
    found = mentions_of("组织大中小学思政*化联盟创新开展活动。", place=None)
    assert ("Agency", "大中小学思政*化联盟") in found


def test_about_titles_without_book_marks(mentions_of):
    found = mentions_of("出台关于加强学校中层干部建设的意见,提升管理水平。")
    assert ("Programme", "关于加强学校中层干部建设的意见") in found


def test_titles_of_teaching_materials_are_not_programmes(mentions_of):
    found = mentions_of("编写《台州地方艺术》《台州和合文化》等地方课程教材。")
    assert not any(t == "Programme" for t, _ in found)


def test_national_initiatives_from_the_lexicon(mentions_of):
    found = mentions_of("落实好公民同招工作,深化县管校聘改革。")
    assert {("Initiative", "公民同招"), ("Initiative", "县管校聘")} <= found


def test_a_bare_programme_word_modifying_a_noun_is_no_title(mentions_of):
    found = mentions_of("进一步优化学前教育规划布局。")
    assert not any(t == "Programme" for t, _ in found)


def test_the_document_title_line_is_not_a_programme_of_its_own():
    from kg.gazetteer import load_gazetteer
    from kg.lexicon import load_lexicon
    text = "温州市教育局关于印发2024年工作要点的通知\n现将《温州市教育局2024年工作要点》印发给你们。"
    doc = Document("t", "t.txt", text, title="温州市教育局关于印发2024年工作要点的通知")
    gaz = load_gazetteer()
    found = {(m.type, m.name) for m in extract_mentions(doc, load_lexicon(), gaz, gaz.lookup("温州市"))}
    assert ("Programme", "温州市教育局2024年工作要点") in found
    assert not any("关于印发" in n for _, n in found)


def test_lexicon_names_only_on_word_boundaries(mentions_of):
    found = mentions_of("教育部门和东北大学联合推进,北师大参与。", place=None)
    assert ("Agency", "教育部") not in found
    assert ("School", "北京师范大学") in found and ("School", "北京大学") not in found


def test_towns_and_named_regions_by_grammar(mentions_of):
    found = mentions_of("在文宫镇、汪洋镇新建幼儿园,融入中原城市群发展。", place="仁寿县")
    assert {("Place", "文宫镇"), ("Place", "汪洋镇"), ("Place", "中原城市群")} <= found
    assert not any(t == "Place" and n in ("城镇", "乡镇") for t, n in mentions_of("推进城镇和乡镇学校建设。"))


def test_other_bureaus_and_courts_are_agencies(mentions_of):
    found = mentions_of("会同洛阳市人力资源和社会保障局、洛阳市中级人民法院开展工作。", place="洛阳市")
    assert {("Agency", "洛阳市人力资源和社会保障局"), ("Agency", "洛阳市中级人民法院")} <= found


def test_connectors_stay_inside_names(mentions_of):
    found = mentions_of("实施教育信息化2.0行动,举办第二届天府·仁寿基础教育高质量发展论坛。", place="仁寿县")
    assert ("Initiative", "教育信息化2.0行动") in found
    assert ("Event", "第二届天府·仁寿基础教育高质量发展论坛") in found


def test_leading_and_compound_verbs_are_not_part_of_a_name(mentions_of):
    found = mentions_of("建成仁寿县第二实验小学,建立健全民办学校管理制度。", place="仁寿县")
    assert ("School", "仁寿县第二实验小学") in found
    assert not any(n.startswith(("建成", "建立健全")) for _, n in found)


def test_a_masked_place_is_only_the_documents_own(mentions_of):
    found = mentions_of("支持某区开展试点。", place="佛山市")
    assert not any(t == "Place" for t, _ in found)


def test_an_organ_word_without_a_place_names_no_agency(mentions_of):
    found = mentions_of("组织县(市、区)党委教育工委述职,市委教育工委部署工作。", place="温州市")
    assert not any(t == "Agency" and n.startswith(("党委", "党组")) for t, n in found)
    assert ("Agency", "市委教育工委") in found


def test_a_quoted_name_after_a_hold_verb_is_an_event(mentions_of):
    found = mentions_of("秋季开学时举办“开学安全第一课”,覆盖全体学生。", place="成都市")
    assert ("Event", "开学安全第一课") in found
    assert ("Initiative", "开学安全第一课") not in found


def test_a_masked_quote_with_little_left_is_no_name(mentions_of):
    found = mentions_of("持续优化“*两翼”教育布局,打造教育改革“X样板”,推广“X家教”品牌。")
    names = {n for _, n in found}
    assert "*两翼" not in names and "X样板" not in names


def test_two_quoted_programmes_run_together_are_split(mentions_of):
    found = mentions_of("组织实施“院士进校园行动青少年科创计划”等项目。", place="郑州市")
    assert ("Initiative", "院士进校园行动") in found
    assert ("Initiative", "青少年科创计划") in found


def test_a_quoted_number_takes_the_words_around_it(mentions_of):
    found = mentions_of("实施教师队伍“3456”培养工程,建立人才库。", place="南宁市")
    assert ("Initiative", "教师队伍3456培养工程") in found


def test_the_quoted_theme_of_an_event_is_its_own_initiative(mentions_of):
    found = mentions_of("经验在全国“双减”经验交流会上作典型发言,推进“双减”落地。", place="成都市")
    assert ("Initiative", "双减") in found
    assert any(t == "Event" and n.endswith("经验交流会") for t, n in found)
    assert ("Initiative", "全国双减") not in found


def test_an_edition_opens_an_event_name(mentions_of):
    found = mentions_of("成功举办第二届西部基于数据的课堂教学改革论坛。", place="成都市")
    assert ("Event", "第二届西部基于数据的课堂教学改革论坛") in found


def test_an_amount_is_no_part_of_a_fund_name(mentions_of):
    found = mentions_of("设立300万元青蓝教师成长培育基金。", place="南宁市")
    assert ("Initiative", "青蓝教师成长培育基金") in found


def test_a_verb_glued_to_a_suffix_is_no_name(mentions_of):
    found = mentions_of("全力建设区域教育实验区制定方案,按年度计划推进,用好名师工作室品牌。")
    names = {n for _, n in found}
    assert not any(n.endswith("制定方案") for n in names)
    assert "年度计划" not in names and "好名师工作室" not in names


def test_a_relative_organ_after_a_verb_stands_alone(mentions_of):
    found = mentions_of("率先论证建立市委教育工委成员单位工作机制。", place="成都市")
    assert ("Agency", "市委教育工委") in found
    assert not any(t == "Agency" and "论证" in n for t, n in found)


def test_quotes_before_a_channel_or_a_slogan_word_are_no_names(mentions_of):
    found = mentions_of("办好“成都教育”“蓉城学子”等宣发平台,围绕“崇德尚学”“知行合一”等要求开展活动,"
                        "落实“两个只增不减”要求。", place="成都市")
    names = {n for _, n in found}
    assert not names & {"成都教育", "蓉城学子", "崇德尚学", "知行合一"}
    assert ("Initiative", "两个只增不减") in found


def test_two_states_of_a_transition_are_no_initiatives(mentions_of):
    found = mentions_of("推动教师管理从“学校人”向“系统人”转变。", place="成都市")
    assert not {n for _, n in found} & {"学校人", "系统人"}


def test_a_goal_said_as_a_sentence_is_no_initiative(mentions_of):
    found = mentions_of("推进实现“班班都有好老师”,打造“学有优教”品牌。", place="成都市")
    names = {n for _, n in found}
    assert "班班都有好老师" not in names and "学有优教" in names


def test_a_kind_of_action_after_deng_is_no_name(mentions_of):
    found = mentions_of("巩固校外培训、食品安全等专项整顿行动成果,开展欺凌防治等六大护苗行动。",
                        place="成都市")
    names = {n for _, n in found}
    assert not any(n.endswith("专项整顿行动") for n in names)
    assert "六大护苗行动" in names


def test_a_suffix_jieba_glued_to_work_still_ends_a_name(mentions_of):
    found = mentions_of("举办全国县域教育综合改革试点工作推进会。", place="成都市")
    assert ("Initiative", "全国县域教育综合改革试点") in found


def test_a_quoted_slogan_shaped_like_a_township_is_no_place(mentions_of):
    found = mentions_of("实施“强校兴乡”工程。", place="成都市")
    assert not any(t == "Place" for t, _ in found)


def test_a_programme_title_before_yiji_is_kept(mentions_of):
    found = mentions_of("出台中小学“双师型”教师培养实施意见以及配套办法。", place="成都市")
    assert any(t == "Programme" and n.endswith("教师培养实施意见") for t, n in found)


def test_schools_shortened_to_the_city_initial_in_a_list(mentions_of):
    found = mentions_of("全力支持宁大、宁职院争创一流,宁大力推进改革。", place="宁波市")
    assert ("School", "宁波大学") in found and ("School", "宁波职业技术学院") in found
    assert sum(1 for t, _ in found if t == "School") == 2


def test_a_school_short_form_needs_a_place_of_the_document(mentions_of):
    found = mentions_of("全力支持宁大、宁职院争创一流。", place="成都市")
    assert not any(t == "School" for t, _ in found)


def test_a_school_short_form_reads_the_city_not_another_county(mentions_of):
    found = mentions_of("支持温大、温医大发展。", place="成都市")  # 温江 is a district of 成都
    assert not any(t == "School" for t, _ in found)


def test_an_ordinary_word_in_quotes_is_no_name(mentions_of):
    found = mentions_of("绘制研学基地“分布图”,推行职称“无纸化”评审,深化“双减”,推进“书香川渝”建设。",
                        place="成都市")
    names = {n for _, n in found}
    assert not any("分布图" in n or "无纸化" in n for n in names)
    assert "双减" in names and "书香川渝" in names


def test_a_time_word_names_an_event(mentions_of):
    found = mentions_of("举办中小学生现场展演、元旦音乐会等活动。", place="成都市")
    assert ("Event", "元旦音乐会") in found


def test_collaborative_education_stays_inside_an_initiative_name(mentions_of):
    found = mentions_of("全力建设全国家庭学校社会协同育人实验区。", place="成都市")
    assert ("Initiative", "全国家庭学校社会协同育人实验区") in found


def test_a_declared_short_form_is_no_initiative_and_names_its_school_later(mentions_of):
    found = mentions_of("支持华南师范大学附属中学(以下简称“华附”)发展,华附牵头组建教育集团。",
                        place="广州市")
    assert ("Initiative", "华附") not in found
    assert ("School", "华南师范大学附属中学") in found


def test_the_verb_huitong_is_no_place_between_agencies(mentions_of):
    found = mentions_of("县人社局会同县教体局落实教师待遇。", place="如东县")
    assert not any(t == "Place" and n == "会同县" for t, n in found)
    assert ("Agency", "县人社局") in found and ("Agency", "县教体局") in found


def test_a_year_before_an_event_stays_in_its_name(mentions_of):
    found = mentions_of("在2022年全省职业院校技能大赛中获金牌。", place="杭州市")
    assert ("Event", "2022年全省职业院校技能大赛") in found


def test_towns_of_rare_characters_and_streets_named_after_roads(mentions_of):
    found = mentions_of("在苏家坨镇、学院路街道新建学校。", place="海淀区")
    assert ("Place", "苏家坨镇") in found and ("Place", "学院路街道") in found


def test_a_title_schools_earn_is_no_school_but_universities_are(mentions_of):
    found = mentions_of("3所学校被评为南通市高中教育质量先进学校,统筹北京大学、清华大学等高校。",
                        place="南通市")
    assert not any(t == "School" and "先进学校" in n for t, n in found)
    assert ("School", "北京大学") in found and ("School", "清华大学") in found


def test_an_agency_name_opens_at_its_place_not_at_menu_words(mentions_of):
    found = mentions_of("服务互动交流专题专栏北京市海淀区教委关于印发方案的通知", place="海淀区")
    assert ("Agency", "北京市海淀区教委") in found


def test_office_suffixes_that_start_inside_a_token(mentions_of):
    found = mentions_of("抄送:县委办公室,县政府办公室。", place="如东县")
    assert ("Agency", "县委办公室") in found and ("Agency", "县政府办公室") in found


def test_bureaus_named_with_and_and_party_departments(mentions_of):
    found = mentions_of("泰顺县教育和体育局联合县卫生健康局、市委宣传部举办校园足球夏令营。", place="温州市")
    assert ("Agency", "泰顺县教育和体育局") in found and ("Agency", "县卫生健康局") in found
    assert ("Agency", "市委宣传部") in found and ("Event", "校园足球夏令营") in found


def test_verbs_before_an_event_or_a_quote_stay_out_of_the_name(mentions_of):
    found = mentions_of("全面实施“一人一案”,丰富校园艺术节,丽水职高获全国职业院校技能大赛一等奖。",
                        place="丽水市")
    names = {n for _, n in found}
    assert "全面实施一人一案" not in names and "一人一案" in names
    assert "丰富校园艺术节" not in names and "全国职业院校技能大赛" in names


def test_a_town_after_its_county_name_is_a_place_but_not_a_kind_of_town(mentions_of):
    found = mentions_of("重点支持南海区西樵镇和顺德区杏坛镇的学校改造,推进柯桥区重点镇建设。",
                        place="佛山市")
    assert {("Place", "西樵镇"), ("Place", "杏坛镇")} <= found
    assert not {n for t, n in found if n.endswith("重点镇")}
    found = mentions_of("推进区域中心镇和县域中心镇建设,培育重点中心镇。", place="仁寿县")
    assert not {n for t, n in found if t == "Place"}


def test_an_events_quoted_theme_and_edition_are_part_of_its_name():
    """第三届“美好生活”青少年书画展演: the edition and the quoted theme open
    the event's name; the series' name without the edition is an alias (the
    same series, another year), and a series' name opening with a region
    (长三角…) does not place the event there."""
    from tests.test_resolve import build_one
    ex = build_one("成功举办第三届“美好生活”青少年书画展演,全市学生参加。", place="台州市",
                   publisher="台州市教育局")
    events = {e.name: e for e in ex.entities if e.type == "Event"}
    assert set(events) == {"第三届美好生活青少年书画展演"}
    assert "美好生活青少年书画展演" in events["第三届美好生活青少年书画展演"].aliases
    ex = build_one("台州市成功举办第二届长三角基础教育数字化转型论坛。", place="台州市",
                   publisher="台州市教育局")
    names = {e.id: e.name for e in ex.entities}
    located = {names[r.object] for r in ex.relations if r.predicate == "locatedIn"
               and names.get(r.subject) == "第二届长三角基础教育数字化转型论坛"}
    assert "长三角" not in located
