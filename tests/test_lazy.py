"""kg.lazy.LazyTable: an SQLite table read a bucket of entries at a time behaves as the
dictionary it was saved from, through sets, deletes and flushes."""
import pickle
import sqlite3

from kg.lazy import BUCKET_ROWS, LazyTable, save_table, spans_only
from kg.model import Evidence


def test_a_table_reads_sets_deletes_and_writes_back_what_changed(tmp_path):
    db = sqlite3.connect(tmp_path / "t.sqlite")
    save_table(db, "t", [(("a", "x"), 1), (("a", "y"), 2), (("b", "x"), 3), ("plain", [4])])
    table = LazyTable(db, "t")
    assert table[("a", "x")] == 1 and ("c", "x") not in table and table["plain"] == [4]
    table[("a", "z")] = 5            # set, not yet written
    del table[("a", "y")]
    assert table.prefix(("a",)) == {("a", "x"): 1, ("a", "z"): 5}
    assert dict(table) == {("a", "x"): 1, ("a", "z"): 5, ("b", "x"): 3, "plain": [4]}
    value = table["plain"]
    value.append(6)                  # changed in place, not set again: not written
    table.flush()
    again = LazyTable(db, "t")
    assert dict(again) == {("a", "x"): 1, ("a", "z"): 5, ("b", "x"): 3, "plain": [4]}
    again.load([("b", "x"), ("q", "q")])
    assert again.seen[("b", "x")] == 3 and ("q", "q") not in again


def test_records_are_saved_as_their_spans():
    record = Evidence("d1", 3, 5, "实施教共体。")
    assert pickle.loads(spans_only({"k": (record,)})) == {"k": (Evidence("d1", 3, 5, ""),)}


def test_a_large_table_reads_only_the_buckets_asked_for(tmp_path):
    """Saved in buckets of about BUCKET_ROWS entries: an entry asked for,
    or a head's entries in a table saved by head, cost one bucket read;
    what is set, deleted and flushed is there when the file is opened
    again, and nothing else moved."""
    saved = {(f"s{i // 10}", f"d{i % 10}"): i for i in range(max(1000, BUCKET_ROWS * 20))}
    db = sqlite3.connect(tmp_path / "t.sqlite")
    save_table(db, "t", saved.items(), by_head=True)
    queries: list[str] = []
    db.set_trace_callback(queries.append)
    table = LazyTable(db, "t")
    queries.clear()
    assert table.prefix(("s7",)) == {k: v for k, v in saved.items() if k[0] == "s7"}
    assert len(queries) == 1
    assert table[("s7", "d3")] == 73 and len(queries) == 1     # the same bucket
    table[("s7", "d3")] = -1
    table[("new", "d0")] = "x"
    del table[("s50", "d0")]
    table.flush()
    db.commit()
    expected = {**saved, ("s7", "d3"): -1, ("new", "d0"): "x"}
    del expected[("s50", "d0")]
    again = LazyTable(sqlite3.connect(tmp_path / "t.sqlite"), "t")
    assert dict(again) == expected
    assert again.prefix(("new",)) == {("new", "d0"): "x"}
