from kg.gazetteer import load_gazetteer
from kg.meta import read_meta

GAZ = load_gazetteer()


def test_header_fields_of_a_scraped_page():
    raw = ("当前位置: 首页\n2020年台州教育重点工作发布\n"
           "信息来源: 市教育局办公室 发布时间: 2020-04-03 16:30 浏览次数:\n正文。")
    meta, place = read_meta(raw, GAZ, raw)
    assert (meta.title, meta.publisher, meta.date, meta.place) == (
        "2020年台州教育重点工作发布", "台州市教育局", "2020-04-03", "台州市")


def test_signature_lines_give_publisher_and_date():
    raw = "各学校:\n现将有关事项通知如下。\n平阳县人民政府\n2023年3月27日\n"
    meta, _ = read_meta(raw, GAZ)
    assert (meta.publisher, meta.date, meta.place) == ("平阳县人民政府", "2023-03-27", "平阳县")


def test_a_text_without_header_has_no_publisher_and_does_not_fail():
    meta, place = read_meta("推进台州城乡教育共同体建设,台州各校参与。", GAZ,
                            "推进台州城乡教育共同体建设,台州各校参与。")
    assert meta.publisher == "" and meta.place == "台州市"


def test_the_addressees_of_a_notice_are_not_its_publisher():
    """各县(市、区)教育局: opens a notice to its readers; the publisher
    is the signature."""
    for greeting in ("各县教育局:", "各县(市、区)教育局:", "各区县人民政府:"):
        raw = (f"关于做好暑期安全工作的通知\n{greeting}\n请做好暑期安全工作。\n"
               "丽水市教育局\n2020年6月30日\n")
        meta, _ = read_meta(raw, GAZ)
        assert meta.publisher == "丽水市教育局", greeting
    meta, _ = read_meta("各县教育局:\n请做好暑期安全工作。\n", GAZ)
    assert meta.publisher == ""
