"""The gazetteer's look-ups: what lies around a division, and ancestors."""
from kg.gazetteer import load_gazetteer


def test_around_is_every_division_within_the_context():
    gaz = load_gazetteer()
    for name in ("台州市", "黄岩区", "浙江省", "海淀区"):
        context = gaz.lookup(name)
        assert list(gaz.around(context)) == [d for d in gaz.divisions if gaz.within(d, context)]
    huangyan = gaz.lookup("黄岩区")
    names = {d.name for d in gaz.around(gaz.lookup("台州市"))}
    assert {"台州市", "黄岩区", "浙江省"} <= names and "鹿城区" not in names
    assert [d.name for d in gaz.ancestors(huangyan)] == ["台州市", "浙江省"]
    assert gaz.province_of(huangyan).name == "浙江省"
