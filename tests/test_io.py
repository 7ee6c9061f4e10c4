import os
import time
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.io import decode, html_to_text, iter_paths, read_document, write_atomic

TEXT = "台州市教育局2020年工作要点"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_decode_detects_the_encoding(encoding):
    text, used = decode(TEXT.encode(encoding), "x.txt")
    assert text.lstrip("\ufeff") == TEXT


def test_binary_data_is_refused_with_the_file_name():
    with pytest.raises(InputError, match="x.bin"):
        decode(b"\x00\x01\x02PK\x03\x04" * 10, "x.bin")


def test_iter_paths_walks_folders_recursively_and_sorts(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text(TEXT, "utf-8")
    (tmp_path / "1.html").write_text("<p>x</p>", "utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_paths([tmp_path])]
    assert found == ["1.html", "b/2.txt"]


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        iter_paths([tmp_path / "nope"])


def test_empty_file_is_refused(tmp_path):
    f = tmp_path / "e.txt"
    f.write_text("  \n", "utf-8")
    with pytest.raises(InputError, match="empty"):
        read_document(f)


def test_html_keeps_visible_text_and_drops_scripts():
    html = "<html><head><title>T</title><script>var a='不要'</script></head>" \
           "<body><p>第一段</p><div>第二段</div></body></html>"
    text = html_to_text(html)
    assert "第一段" in text and "第二段" in text and "不要" not in text
    assert text.index("第一段") < text.index("第二段")


def test_gbk_html_file_reads_as_text(tmp_path):
    f = tmp_path / "page.html"
    f.write_bytes(f"<html><body><p>{TEXT}</p></body></html>".encode("gbk"))
    doc = read_document(f)
    assert doc.is_html and TEXT in doc.text and doc.doc_id == "page"


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "out" / "graph.ttl"
    write_atomic(target, "一")
    write_atomic(target, "二")
    assert target.read_text("utf-8") == "二"
    assert [p.name for p in target.parent.iterdir()] == ["graph.ttl"]


def test_files_written_in_a_forked_process_are_replaced_together(tmp_path):
    from kg.io import write_all_atomic
    write_all_atomic({tmp_path / "a.txt": lambda p: p.write_text("甲", "utf-8"),
                      tmp_path / "b.txt": lambda p: p.write_text("乙", "utf-8"),
                      tmp_path / "c.txt": b"c"}, jobs=2)
    assert [(tmp_path / f).read_text("utf-8") for f in ("a.txt", "b.txt", "c.txt")] == \
        ["甲", "乙", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_an_error_in_a_forked_writer_is_raised_and_nothing_is_replaced(tmp_path):
    from kg.io import write_all_atomic
    (tmp_path / "a.txt").write_text("old", "utf-8")

    def fail(path):
        raise InputError("cannot write the Turtle")
    with pytest.raises(InputError, match="cannot write the Turtle"):
        write_all_atomic({tmp_path / "b.txt": fail,
                          tmp_path / "a.txt": lambda p: p.write_text("new", "utf-8")}, jobs=2)
    assert (tmp_path / "a.txt").read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_every_file_is_on_disk_before_any_is_renamed(tmp_path, monkeypatch):
    """Each file written here is synced in a thread while the next is
    written; none is renamed over its previous copy before all are synced."""
    from kg.io import write_all_atomic
    events, fsync, replace = [], os.fsync, os.replace

    def synced(fd):
        fsync(fd)
        events.append(("synced", Path(os.readlink(f"/proc/self/fd/{fd}")).name))

    def renamed(src, dst):
        replace(src, dst)
        events.append(("renamed", Path(src).name))
    monkeypatch.setattr(os, "fsync", synced)
    monkeypatch.setattr(os, "replace", renamed)
    write_all_atomic({tmp_path / "a.txt": lambda p: p.write_text("甲" * 100_000, "utf-8"),
                      tmp_path / "b.txt": b"b",
                      tmp_path / "c.txt": lambda p: p.write_text("丙", "utf-8")})
    assert [(tmp_path / f).read_text("utf-8") for f in ("b.txt", "c.txt")] == ["b", "丙"]
    assert [kind for kind, _ in events] == ["synced"] * 3 + ["renamed"] * 3
    assert sorted(name for _, name in events[:3]) == sorted(name for _, name in events[3:])


def test_a_file_that_cannot_be_synced_is_an_error_and_nothing_is_replaced(tmp_path,
                                                                          monkeypatch):
    from kg.io import write_all_atomic
    (tmp_path / "a.txt").write_text("old", "utf-8")
    fsync = os.fsync

    def failing(fd):
        if "b.txt" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(5, "Input/output error")
        fsync(fd)
    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output error"):
        write_all_atomic({tmp_path / "a.txt": lambda p: p.write_text("new", "utf-8"),
                          tmp_path / "b.txt": lambda p: p.write_text("乙", "utf-8")})
    assert (tmp_path / "a.txt").read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_forked_call_sends_back_its_result_or_its_error():
    from kg.io import fork_call, join_call
    big = {"甲": list(range(100_000))}
    assert join_call(*fork_call(lambda: (len(big["甲"]), "乙" * 100_000))) == \
        (100_000, "乙" * 100_000)

    def fail():
        raise InputError("nothing to send back")
    with pytest.raises(InputError, match="nothing to send back"):
        join_call(*fork_call(fail))


def test_the_collector_resumes_without_walking_what_the_pause_made():
    import gc

    from kg.io import collector_paused
    started = []

    def watch(phase, info):
        if phase == "start":
            started.append(info["generation"])
    with collector_paused():
        kept = [[i] for i in range(200_000)]   # a build's millions of containers
        a, b = [], []
        a.append(b)
        b.append(a)                              # and some cyclic garbage
        del a, b
        gc.callbacks.append(watch)
    try:
        # re-enabled, the collector does not start by walking everything
        # the pause made at the next allocations (2-3 s after a build of
        # 1,000 documents)
        more = [[i] for i in range(100)]
        assert gc.isenabled() and started == []
    finally:
        gc.callbacks.remove(watch)
    # and what was dropped in cycles is still collected
    assert gc.collect() >= 2
    assert len(kept) == 200_000 and len(more) == 100


def test_a_value_is_handed_to_a_forked_process_without_waiting_for_it(tmp_path):
    import os
    from kg.io import Handoff, fork_call, join_call
    handoff = Handoff(tmp_path / "graph.json.tmp")
    pid = fork_call(lambda: handoff.receive()[::-1])
    big = ["句子" * 50] * 100_000        # far more than a pipe's buffer holds
    handoff.send(big)                   # returns before the other process reads
    assert join_call(*pid) == big[::-1]
    assert not handoff.path.exists() and os.listdir(tmp_path) == []


def test_a_process_waiting_for_a_handoff_never_sent_gets_an_error(tmp_path):
    from kg.io import Handoff, fork_call, join_call
    handoff = Handoff(tmp_path / "x")
    pid = fork_call(handoff.receive)
    handoff.close()                     # this process ends its part without sending
    with pytest.raises(OSError, match="ended without"):
        join_call(*pid)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_free_heap_pages_between_live_objects_are_given_back():
    """What a stage frees between objects that live on (the holes of a
    fragmented heap) stops counting against the process's memory once the
    stage ends: a build keeps less between its stages."""
    from kg.io import give_back_free_memory

    def rss_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")
    kept, freed = [], []
    for i in range(400):   # 100 KiB blocks (under glibc's mmap threshold) between kept ones
        freed.append(bytearray(100_000))
        kept.append(bytearray(2_000))
    del freed
    before = rss_kib()
    give_back_free_memory()
    assert rss_kib() < before - 20_000   # most of the 39 MiB freed
    assert len(kept) == 400


@pytest.mark.parametrize("kernel", [True, False])
def test_stretches_of_an_old_file_are_copied_between_writes(tmp_path, monkeypatch, kernel):
    """Stretches copied from an old file (by the kernel, or, where it
    refuses, from the mapping) land in order between bytes written."""
    import mmap
    from kg import io as kgio
    old = tmp_path / "old.bin"
    data = bytes(range(256)) * 1024
    old.write_bytes(data)
    if not kernel:
        def refuse(*args):
            raise OSError(18, "Invalid cross-device link")
        monkeypatch.setattr(kgio.os, "copy_file_range", refuse, raising=False)
    with open(old, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm, \
            open(tmp_path / "new.bin", "wb") as out:
        view = memoryview(mm)
        out.write(b"head")
        kgio.copy_stretch(out, view, fh.fileno(), 1000, 1000 + kgio.KERNEL_COPY_AT)
        out.write(b"middle")
        kgio.copy_stretch(out, view, fh.fileno(), 5, 9)   # (short: from the mapping)
        kgio.copy_stretch(out, view, fh.fileno(), 70_000, len(data))
        view.release()
    assert (tmp_path / "new.bin").read_bytes() == (
        b"head" + data[1000:1000 + kgio.KERNEL_COPY_AT] + b"middle" + data[5:9]
        + data[70_000:])


def test_a_large_file_replaced_is_removed_after_the_rename_by_a_process_of_its_own(
        tmp_path, monkeypatch):
    """The rename leaves the old copy under a second name, which a process
    started after it removes; the call does not wait for it."""
    import kg.io as kio
    from kg.io import write_all_atomic
    monkeypatch.setattr(kio, "FREE_LATER_AT", 4)
    slow = tmp_path / "rm-slowly"
    slow.write_text('sleep 1\nrm -f -- "$@"\n')
    monkeypatch.setattr(kio, "FREE_COMMAND", ("sh", str(slow)))
    (tmp_path / "a.txt").write_text("old text", "utf-8")
    (tmp_path / "b.txt").write_text("ok", "utf-8")   # (too small to be set aside)
    write_all_atomic({tmp_path / "a.txt": b"new text", tmp_path / "b.txt": b"fine"})
    assert (tmp_path / "a.txt").read_bytes() == b"new text"
    aside = [p for p in tmp_path.iterdir() if p.name.endswith(".old.tmp")]
    assert [p.name.split(".")[1:3] for p in aside] == [["a", "txt"]]
    assert aside[0].read_text("utf-8") == "old text"   # not yet removed
    for _ in range(100):
        if not aside[0].exists():
            break
        time.sleep(0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "rm-slowly"]


def test_a_failed_write_sets_nothing_aside(tmp_path, monkeypatch):
    import kg.io as kio
    from kg.io import write_all_atomic
    monkeypatch.setattr(kio, "FREE_LATER_AT", 0)
    (tmp_path / "a.txt").write_text("old", "utf-8")

    def fail(path):
        raise InputError("cannot write")
    with pytest.raises(InputError):
        write_all_atomic({tmp_path / "a.txt": b"new", tmp_path / "b.txt": fail})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_text("utf-8") == "old"


def test_old_copies_are_removed_here_when_no_process_can_be_started(tmp_path, monkeypatch):
    import kg.io as kio
    from kg.io import write_all_atomic
    monkeypatch.setattr(kio, "FREE_LATER_AT", 0)
    monkeypatch.setattr(kio, "FREE_COMMAND", ("no-such-command-for-edukg",))
    (tmp_path / "a.txt").write_text("old", "utf-8")
    write_all_atomic({tmp_path / "a.txt": b"new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
