"""A zip with a correct mlp.py plus conftest.py, numpy.py, sitecustomize.py and evil.pth next to it: all ignored
(never copied, so never run), each noted for the student."""
BUILD = "zip_with_startup_files"
EXPECT = {
    "score": 75,
    "passed": ["*"],
    "notes": ["ignored hw/conftest.py", "ignored hw/numpy.py", "ignored hw/sitecustomize.py", "ignored hw/evil.pth"],
    "output": "Note: ignored hw/conftest.py: pytest would run it",
}
