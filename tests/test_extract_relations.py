from kg.graph import doc_node
from tests.test_resolve import build_one


def triples(ex):
    by_id = {e.id: e.name for e in ex.entities}
    by_id.update({doc_node(d.doc_id): "@doc" for d in ex.documents})
    return {(by_id.get(r.subject), r.predicate, by_id.get(r.object)) for r in ex.relations}


def test_publisher_issues_what_the_sentence_says_it_issued():
    ex = build_one("出台《关于学前教育深化改革规范发展的实施意见》。")
    assert ("关于学前教育深化改革规范发展的实施意见", "issuedBy", "台州市教育局") in triples(ex)


def test_named_agency_before_the_cue_is_the_issuer():
    ex = build_one("教育部印发《义务教育课程实施方案》。")
    assert ("义务教育课程实施方案", "issuedBy", "教育部") in triples(ex)


def test_publisher_implements_initiatives_of_its_document():
    ex = build_one("实施“初中崛起”工程。")
    assert ("台州市教育局", "implements", "初中崛起工程") in triples(ex)


def test_document_is_published_by_its_publisher():
    assert ("@doc", "publishedBy", "台州市教育局") in triples(build_one("推进工作。"))


def test_located_in_by_name_prefix_and_document_place():
    t = triples(build_one("支持台州学院发展,开工建设永宁中学。黄岩和台州一起推进。"))
    assert ("台州学院", "locatedIn", "台州市") in t
    assert ("永宁中学", "locatedIn", "台州市") in t


def test_part_of_comes_from_the_gazetteer():
    t = triples(build_one("黄岩、三门和浙江台州共同推进。"))
    assert ("黄岩区", "partOf", "台州市") in t and ("台州市", "partOf", "浙江省") in t


def parts_of(name, text, place, publisher):
    """What a build of ``text`` says ``name`` is part of."""
    t = triples(build_one(text, place=place, publisher=publisher))
    return {o for s, p, o in t if p == "partOf" and s == name}


def test_a_municipal_district_is_part_of_its_municipality():
    """The gazetteer holds 上海市 twice (province and prefecture level): a
    district is part of the one that is an entity."""
    assert parts_of("静安区", "静安区和上海市共同推进。", "上海市", "上海市教育委员会") == {"上海市"}


def test_a_county_is_not_said_to_be_part_of_a_province_past_its_prefecture():
    assert parts_of("桐庐县", "桐庐县和浙江省共同推进。", "桐庐县", "桐庐县教育局") == set()


def test_towns_are_part_of_the_county_named_before_them_or_of_the_county_document_s():
    assert parts_of("富春江镇", "桐庐县今年在富春江镇新建幼儿园2所。", "桐庐县",
                    "桐庐县教育局") == {"桐庐县"}
    # through a list, and not of the city whose document names them
    assert parts_of("王坛镇", "重点支持柯桥区平水镇、王坛镇的乡村学校建设。", "绍兴市",
                    "绍兴市教育局") == {"柯桥区"}
    # a city's document naming no county: nothing said
    assert parts_of("富春江镇", "在富春江镇新建幼儿园2所。", "杭州市", "杭州市教育局") == set()


def test_a_name_opening_with_a_city_and_its_district_is_located_in_the_district():
    t = triples(build_one("长沙市岳麓区教育局和长沙市教育局联合推进集团化办学。", place="长沙市",
                          publisher="长沙市教育局"))
    assert ("长沙市岳麓区教育局", "locatedIn", "岳麓区") in t
    assert ("长沙市岳麓区教育局", "locatedIn", "长沙市") not in t
    assert ("长沙市教育局", "locatedIn", "长沙市") in t


def test_co_mentions_are_weighted_by_sentences_and_show_the_first():
    ex = build_one("永宁中学和三梅中学开工。永宁中学与三梅中学竣工。")
    co = [r for r in ex.relations if r.predicate == "coMentioned"]
    assert len(co) == 1 and co[0].weight == 2
    assert [e.sentence for e in co[0].evidence] == ["永宁中学和三梅中学开工。"]


def test_the_agency_before_the_cue_implements_not_an_earlier_one():
    t = triples(build_one("教育部牵头推进教育公平,台州市教育局实施“初中崛起”工程。"))
    assert ("台州市教育局", "implements", "初中崛起工程") in t
    assert ("教育部", "implements", "初中崛起工程") not in t


def test_joint_agencies_both_implement_and_collaborate():
    t = triples(build_one("台州市教育局联合台州市财政局实施“银龄讲学”计划。"))
    assert ("台州市教育局", "implements", "银龄讲学计划") in t
    assert ("台州市财政局", "implements", "银龄讲学计划") in t
    assert ("台州市教育局", "collaboratesWith", "台州市财政局") in t


def test_a_place_selected_for_an_initiative_participates_in_it():
    t = triples(build_one("天台争取通过全国义务教育优质均衡县评估。"))
    assert ("天台县", "participatesIn", "全国义务教育优质均衡县") in t


def test_pairing_between_schools():
    t = triples(build_one("台州一中结对帮扶三梅中学。"))
    assert ("台州一中", "pairedWith", "三梅中学") in t


def test_an_initiative_set_out_by_a_programme_is_a_component_of_it():
    t = triples(build_one("落实《台州教育现代化2035行动纲要》提出的“健康学校”工程。"))
    assert ("健康学校工程", "componentOf", "台州教育现代化2035行动纲要") in t


def test_a_document_mentions_each_entity_once_weighted_by_its_mentions():
    text = "".join(f"第{n}次推进“初中崛起”工程。" for n in "一二三四五六七")
    ex = build_one(text + "永宁中学开工。")
    names = {e.id: e.name for e in ex.entities}
    mentions = {names[r.object]: r for r in ex.relations if r.predicate == "mentions"}
    assert set(mentions) == {"初中崛起工程", "永宁中学"}
    many = mentions["初中崛起工程"]
    assert many.subject == doc_node("d") and many.weight == 7
    # five records shown, the first by offset, one per sentence
    starts = [e.start for e in many.evidence]
    assert len(starts) == 5 and starts == sorted(starts) and starts[0] == text.index("“")
    assert mentions["永宁中学"].weight == 1 and len(mentions["永宁中学"].evidence) == 1
    assert ex.relations == sorted(ex.relations, key=lambda r: (r.subject, r.predicate, r.object))


def test_documents_sharing_an_id_share_their_mentions_relation():
    from kg.gazetteer import load_gazetteer
    from kg.lexicon import load_lexicon
    from kg.model import Document
    from kg.pipeline import extract
    gaz = load_gazetteer()
    docs = [(Document("d", "d.txt", text, publisher="台州市教育局", place="台州市"),
             gaz.lookup("台州市")) for text in ("推进“初中崛起”工程。", "落实“初中崛起”工程。")]
    ex = extract(docs, gaz, load_lexicon())
    (rel,) = [r for r in ex.relations if r.predicate == "mentions"]
    assert rel.weight == 2 and len(rel.evidence) == 1  # one record per span


def test_pooled_relations_come_out_in_the_order_of_their_fields():
    """Merged relations are sorted by (subject, predicate, object) as
    tuples are, whatever the ids (one a prefix of another included), with
    each key's evidence pooled."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kg.extract.relations import RelationPool
    from kg.model import Evidence, Relation

    ids = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
                  max_size=4)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(ids, st.sampled_from(["locatedIn", "implements", "coMentioned"]),
                              ids), max_size=30))
    def check(keys):
        pool = RelationPool()
        pool.add(Relation(s, p, o, (Evidence("d", k, k + 1, "x"),)) for k, (s, p, o) in
                 enumerate(keys))
        merged = pool.merged()
        assert [(r.subject, r.predicate, r.object) for r in merged] == sorted(set(keys))
        for r in merged:   # every record kept, at most five (coMentioned: one)
            said = keys.count((r.subject, r.predicate, r.object))
            assert len(r.evidence) == (1 if r.predicate == "coMentioned" else min(said, 5))
    check()


def test_pools_of_documents_apart_merge_into_the_relations_of_one_pool():
    """Each linking process pools and reduces the relations of its own
    documents; merged, they are the relations one pool of every document
    gives: the same weights (co-mentions counting their sentences), the
    same records kept, in the same order."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kg.extract.relations import RelationPool, merge_reduced, relations_of
    from kg.model import Evidence, Relation

    spans = st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3)), max_size=3)
    rows = st.lists(st.tuples(st.sampled_from("abcd"),            # the document
                              st.sampled_from(["x", "y"]),
                              st.sampled_from(["locatedIn", "coMentioned"]),
                              st.sampled_from(["y", "z"]), spans), max_size=40)

    def relation(doc, s, p, o, found):
        return Relation(s, p, o, tuple(Evidence(doc, a, a + n, f"{doc}{a % 3}")
                                       for a, n in found))

    @settings(max_examples=300, deadline=None)
    @given(rows, st.sets(st.sampled_from("abcd")))
    def check(found, here):
        whole, mine, theirs = RelationPool(), RelationPool(), RelationPool()
        for doc, *rel in found:
            whole.add([relation(doc, *rel)])
            (mine if doc in here else theirs).add([relation(doc, *rel)])
        merged = relations_of(merge_reduced(mine.reduced(), theirs.reduced()))
        assert merged == whole.merged()
    check()


def located(name, text, place, publisher):
    """Where a build of ``text`` says ``name`` is."""
    t = triples(build_one(text, place=place, publisher=publisher))
    return {o for s, p, o in t if p == "locatedIn" and s == name}


def test_a_school_named_after_the_province_of_the_document_is_in_the_documents_place():
    """A local document names its own schools with the province's name
    (江苏省天一中学 in Wuxi, 江苏大学 in Zhenjiang): the school is taken
    to stand in the document's place, not anywhere in the province.  A
    school named after a city, or after a province the document's place is
    not in, stays where its name puts it."""
    assert located("江苏省天一中学", "无锡市推进高中多样化发展,江苏省天一中学获评省高品质"
                   "示范高中。", "无锡市", "无锡市教育局") == {"无锡市"}
    assert located("江苏大学", "镇江市职业院校与江苏大学共建实习基地。", "镇江市",
                   "镇江市教育局") == {"镇江市"}
    assert located("浙江大学", "无锡市组织校长赴浙江省跟岗,与浙江大学合作办学。", "无锡市",
                   "无锡市教育局") == {"浙江省"}
    assert located("镇江市高等专科学校", "句容市与镇江市共建,镇江市高等专科学校开设新专业。",
                   "句容市", "句容市教育局") == {"镇江市"}


def test_national_party_meetings_are_events_held_nowhere_near_the_document():
    """党的二十大 and 二十届三中全会, cited by their short names, are the
    national meetings of the lexicon under their full names; a summary
    reporting that it studied them does not place them in its own city."""
    ex = build_one("今年全市教育系统认真学习贯彻党的二十大和二十届三中全会精神。", place="无锡市",
                   publisher="无锡市教育局")
    events = {e.name: e for e in ex.entities if e.type == "Event"}
    assert set(events) == {"中国共产党第二十次全国代表大会",
                           "中国共产党第二十届中央委员会第三次全体会议"}
    assert "党的二十大" in events["中国共产党第二十次全国代表大会"].aliases
    assert {s for s, p, o in triples(ex) if p == "locatedIn"} & set(events) == set()


def test_the_central_committees_general_office_issues_with_the_state_councils():
    t = triples(build_one("中共中央办公厅、国务院办公厅印发《关于构建新型教育督导体系的意见》。"))
    assert ("关于构建新型教育督导体系的意见", "issuedBy", "中共中央办公厅") in t
    assert ("关于构建新型教育督导体系的意见", "issuedBy", "国务院办公厅") in t
    t = triples(build_one("中共中央、国务院印发《深化新时代教育评价改革总体方案》。"))
    assert ("深化新时代教育评价改革总体方案", "issuedBy", "中共中央") in t


def test_the_agencies_naming_a_title_issued_it_and_the_publisher_carries_it_out():
    """落实教育部、财政部《…》: the agencies listed right before a title
    issued it, and the cue before them says the publisher implements it."""
    t = triples(build_one("认真落实教育部、财政部《关于实施县域普通高中振兴行动的意见》,扩大优质学位。"))
    title = "关于实施县域普通高中振兴行动的意见"
    assert {o for s, p, o in t if s == title and p == "issuedBy"} == {"教育部", "财政部"}
    assert ("台州市教育局", "implements", title) in t
    # only the title they stand right before: the next of a chain is not said to be theirs
    t = triples(build_one("落实教育部《关于加强县域普通高中建设的意见》和《台州市教育事业发展规划》。"))
    assert ("台州市教育事业发展规划", "issuedBy", "教育部") not in t
    assert ("台州市教育局", "implements", "台州市教育事业发展规划") in t
