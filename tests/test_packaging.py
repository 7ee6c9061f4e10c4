"""The installed package carries every data file the code reads (the tests
run from the source tree, so a file left out of the wheel would go unseen)."""
import configparser
from pathlib import PurePosixPath

from tests.conftest import ROOT


def test_every_data_file_is_declared_as_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = [p.strip() for p in cfg["options.package_data"]["kg"].split(",")]
    data = ROOT / "kg" / "data"
    files = [PurePosixPath(p.relative_to(ROOT / "kg").as_posix()) for p in data.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert files
    for f in files:
        assert any(f.match(pat) or (pat.endswith("**/*") and str(f).startswith(pat[:-4]))
                   for pat in patterns), f"{f} is not in package_data"


def test_the_shapes_shipped_in_the_package_are_the_ontologys():
    assert (ROOT / "kg" / "data" / "shapes.ttl").read_bytes() == \
        (ROOT / "ontology" / "shapes.ttl").read_bytes()
