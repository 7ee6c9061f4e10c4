"""kg.lazy.LazyTable: an SQLite table read a row at a time behaves as the
dictionary it was saved from, through sets, deletes and flushes."""
import pickle
import sqlite3

from kg.lazy import LazyTable, save_table, spans_only
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
