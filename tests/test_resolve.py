from kg.gazetteer import load_gazetteer
from kg.model import ENTITY_TYPES, Document
from kg.pipeline import extract
from kg.lexicon import load_lexicon
from tests.conftest import SEEDS


def build_one(text, place="台州市", publisher="台州市教育局", doc_id="d"):
    gaz = load_gazetteer()
    doc = Document(doc_id, f"{doc_id}.txt", text, publisher=publisher, place=place,
                   date="2020-01-01")
    return extract([(doc, gaz.lookup(place))], gaz, load_lexicon())


def names(ex, etype):
    return {e.name: e for e in ex.entities if e.type == etype}


def test_relative_agency_names_are_completed_from_the_document_place():
    ex = build_one("市教育局牵头推进教育现代化。县政府负责落实。", place="平阳县",
                   publisher="平阳县人民政府")
    agencies = names(ex, "Agency")
    assert "温州市教育局" in agencies and "市教育局" in agencies["温州市教育局"].aliases
    assert "平阳县人民政府" in agencies


def test_quoted_and_suffixed_forms_are_one_entity():
    ex = build_one("实施“初中崛起”工程。深化“初中崛起”,提升质量。推进初中崛起工程。")
    inits = names(ex, "Initiative")
    assert list(inits) == ["初中崛起工程"]
    assert {"“初中崛起”工程", "初中崛起"} <= set(inits["初中崛起工程"].aliases)


def test_abbreviation_declared_in_the_text_becomes_an_alias():
    ex = build_one("建设城乡教育共同体(以下简称教共体),教共体覆盖所有乡村小学。")
    inits = names(ex, "Initiative")
    assert "城乡教育共同体" in inits and "教共体" in inits["城乡教育共同体"].aliases


def test_one_entity_across_documents():
    gaz, lex = load_gazetteer(), load_lexicon()
    docs = [(Document(i, f"{i}.txt", "实施银龄讲学计划。", place="台州市", date="2020"),
             gaz.lookup("台州市")) for i in ("a", "b")]
    ex = extract(docs, gaz, lex)
    found = [e for e in ex.entities if e.name == "银龄讲学计划"]
    assert len(found) == 1 and {ev.doc_id for ev in found[0].evidence} == {"a", "b"}


def test_places_carry_their_division_code_and_short_alias():
    ex = build_one("黄岩要创成教育基本现代化县。")
    place = names(ex, "Place")["黄岩区"]
    assert place.notation == "331003" and "黄岩" in place.aliases


def test_every_evidence_points_into_the_text():
    text = "台州市教育局印发《学前教育服务区实施方案》,实施“清廉学校”建设。"
    ex = build_one(text)
    for e in ex.entities:
        for ev in e.evidence:
            assert ev.sentence and text[ev.start:ev.end] in ev.sentence


def test_whole_city_event_is_named_after_the_city():
    ex = build_one("召开全市职业教育高质量发展大会。", place="温州市", publisher="温州市教育局")
    events = names(ex, "Event")
    assert "温州市职业教育高质量发展大会" in events
    assert "全市职业教育高质量发展大会" in events["温州市职业教育高质量发展大会"].aliases


def test_relative_party_and_government_organs():
    ex = build_one("在市委市政府坚强领导下推进工作。", place="温州市", publisher="温州市教育局")
    agencies = names(ex, "Agency")
    assert {"温州市委", "温州市人民政府"} <= set(agencies)
    assert "市政府" in agencies["温州市人民政府"].aliases


def test_a_party_committee_group_stays_one_organ():
    ex = build_one("纳入市委教育工作领导小组议事范畴。", place="温州市", publisher="温州市教育局")
    assert "温州市委教育工作领导小组" in names(ex, "Agency")


def test_an_unprefixed_name_joins_its_place_prefixed_twin():
    ex = build_one("组建全市校园文化研究院。校园文化研究院发布成果。", place="温州市",
                   publisher="温州市教育局")
    agencies = names(ex, "Agency")
    assert "温州市校园文化研究院" in agencies and "校园文化研究院" not in agencies


def test_relative_forms_never_merge_two_cities_bureaus():
    gaz, lex = load_gazetteer(), load_lexicon()
    docs = [(Document("a", "a.txt", "市教育局推进工作。市政府支持。", place="温州市", date="2024"),
             gaz.lookup("温州市")),
            (Document("b", "b.txt", "市教育局推进工作。市政府支持。", place="丽水市", date="2021"),
             gaz.lookup("丽水市"))]
    ex = extract(docs, gaz, lex)
    agencies = {e.name: e for e in ex.entities if e.type == "Agency"}
    assert {"温州市教育局", "丽水市教育局", "温州市人民政府", "丽水市人民政府"} <= set(agencies)
    assert "丽水市教育局" not in agencies["温州市教育局"].aliases


def test_a_short_agency_ending_and_its_full_form_are_one_agency():
    ex = build_one("市委教育工委召开会议。成都市委教育工作委员会部署工作。", place="成都市",
                   publisher="成都市教育局")
    agencies = names(ex, "Agency")
    hits = [e for e in agencies.values() if "工委" in e.name or "工作委员会" in e.name]
    assert len(hits) == 1
    assert {"成都市委教育工委", "成都市委教育工作委员会"} <= {hits[0].name, *hits[0].aliases}


def test_a_national_name_and_its_short_mention_are_one_initiative():
    ex = build_one("争创国家产教融合试点城市。产教融合试点城市创建取得进展。", place="成都市",
                   publisher="成都市教育局")
    inits = [e for e in ex.entities if e.type == "Initiative" and "试点城市" in e.name]
    assert len(inits) == 1 and inits[0].name == "国家产教融合试点城市"


def test_a_programme_and_its_place_prefixed_twin_are_one():
    ex = build_one("印发成都市智慧校园建设实施方案。各校落实智慧校园建设实施方案,按期完成。", place="成都市",
                   publisher="成都市教育局")
    progs = [e for e in ex.entities if e.type == "Programme"]
    assert [p.name for p in progs] == ["成都市智慧校园建设实施方案"]
    assert "智慧校园建设实施方案" in progs[0].aliases


def test_a_declared_relative_short_form_merges_in_its_document_only():
    gaz, lex = load_gazetteer(), load_lexicon()
    docs = []
    for i, place in (("a", "海淀区"), ("b", "朝阳区")):
        city = "北京市" + place
        text = f"{city}教育委员会(以下简称“区教委”)制定方案。区教委牵头推进。"
        docs.append((Document(i, f"{i}.txt", text, place=place, date="2023"), gaz.lookup(place)))
    ex = extract(docs, gaz, lex)
    agencies = [e for e in ex.entities if e.type == "Agency"]
    assert len(agencies) == 2
    assert {e.name for e in agencies} >= {"北京市海淀区教育委员会", "北京市朝阳区教育委员会"}
    for e in agencies:
        assert "区教委" in e.aliases and len({ev.doc_id for ev in e.evidence}) == 1


def test_an_agency_short_ending_joins_its_full_name():
    ex = build_one("县人社局落实待遇。如东县人力资源和社会保障局印发通知。", place="如东县",
                   publisher="如东县教育体育局")
    hits = [e for e in ex.entities if e.type == "Agency" and ("人社" in e.name or "人力" in e.name)]
    assert len(hits) == 1


def test_a_district_agency_with_and_without_its_city_is_one():
    ex = build_one("北京市海淀区人民政府印发方案。区政府统筹推进。", place="海淀区",
                   publisher="北京市海淀区教育委员会")
    hits = [e for e in ex.entities if e.type == "Agency" and e.name.endswith("人民政府")]
    assert len(hits) == 1 and {"北京市海淀区人民政府", "海淀区人民政府"} <= {hits[0].name, *hits[0].aliases}


def test_names_differing_only_in_dot_or_list_comma_are_one():
    ex = build_one("实施“绿谷之光·科技”品牌和“绿谷之光•科技”活动,推进“百名大师、千名高徒”工程,"
                   "落实“百名大师,千名高徒”工程。", place="丽水市", publisher="丽水市教育局")
    inits = [e.name for e in ex.entities if e.type == "Initiative"]
    assert sum("绿谷之光" in n for n in inits) == 1
    assert sum("千名高徒" in n for n in inits) == 1


def test_entities_take_the_records_of_their_mentions_one_per_span():
    """resolve() merges names only; with_evidence() then gives each entity
    the records of the mentions it was given, by span, each span once,
    whichever document came first.  An entity no mention names keeps its
    own records."""
    from kg.model import Entity, Evidence
    from kg.resolve import with_evidence
    a = Entity("initiative-1", "Initiative", "教共体")
    b = Entity("agency-1", "Agency", "台州市教育局", evidence=(Evidence("d0", 0, 6, "台州市教育局。"),))
    late = Evidence("d2", 5, 8, "推进教共体。")
    early = Evidence("d1", 2, 5, "实施教共体建设。")
    again = Evidence("d1", 2, 5, "实施教共体建设。")
    out = with_evidence([a, b], [["initiative-1"], ["initiative-1", "initiative-1"]],
                        [[late], [early, again]])
    assert out[0].evidence == (early, late) and out[0].name == "教共体"
    assert out[1] is b


def test_resolution_gives_every_mention_its_entity_and_no_records_yet():
    from kg.pipeline import process_file
    from kg.resolve import resolve
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    results = [process_file(str(p), p.stem) for p in seeds]
    entities, eids = resolve([(r.doc, r.names) for r in results])
    assert [len(ids) for ids in eids] == [len(r.mentions) for r in results]
    assert {i for ids in eids for i in ids} <= {e.id for e in entities}
    assert all(e.evidence == () for e in entities)


def test_names_merged_type_by_type_apart_are_the_names_merged_together():
    """A type's names merge only with names of that type, so any split of
    the types (one per process) gives the same entities, in the same
    order, and the same entity for every mention."""
    from kg.pipeline import process_file
    from kg.resolve import merge_names, resolve, resolved
    results = [process_file(str(p), p.stem) for p in sorted(SEEDS.glob("*.txt"))]
    docs = [(r.doc, r.names) for r in results]
    together = resolve(docs)
    assert len({e.type for e in together[0]}) == 6
    for types in ({"School", "Programme"}, {"Initiative"}, {"Agency", "Place", "Event"}):
        parts = [merge_names(docs, types), merge_names(docs, types, other=True)]
        assert resolved(docs, parts) == together
        assert resolved(docs, parts[::-1]) == together


def test_names_merged_again_where_a_change_reaches_are_the_names_merged_afresh(seed_results):
    """Each seed in turn becomes its second half and then whole again:
    merging each entity type again from its result before, where the
    changed document's nodes reach, gives what merging every document's
    names afresh gives."""
    from kg.resolve import merge_names, merge_names_again
    whole, half = seed_results
    now = [(r.doc, r.names) for r in whole]
    for i in range(len(whole)):
        for versions in ((whole, half), (half, whole)):
            old, new = versions[0][i].names, versions[1][i].names
            then, now = now, now[:i] + [(versions[1][i].doc, new)] + now[i + 1:]
            for etype in ENTITY_TYPES:
                touched = {n: set(new.forms.get(n, ())) for part in (old, new)
                           for n in part.forms if n[0] == etype}
                before = merge_names(then, {etype})
                assert merge_names_again(now, before, touched) == merge_names(now, {etype}), \
                    (i, etype)


def test_a_shared_place_name_is_the_one_inside_the_place_named_before_it():
    ex = build_one("组织骨干教师赴长春市朝阳区跟岗学习。", place="桐庐县", publisher="桐庐县教育局")
    assert names(ex, "Place")["朝阳区"].notation == "220104"
    ex = build_one("组织骨干教师赴北京市朝阳区跟岗学习。", place="桐庐县", publisher="桐庐县教育局")
    assert names(ex, "Place")["朝阳区"].notation == "110105"
