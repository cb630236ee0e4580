"""agent.patches.patched_files: the files a git diff touches, read with unidiff."""

from __future__ import annotations

from agent.patches import patched_files

EDIT = """diff --git a/src/calc.py b/src/calc.py
index 1111111..2222222 100644
--- a/src/calc.py
+++ b/src/calc.py
@@ -1 +1 @@
-return a - b
+return a + b
"""
ADDED_WITH_SPACE = """diff --git a/docs/my notes.md b/docs/my notes.md
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/docs/my notes.md
@@ -0,0 +1 @@
+note
"""
DELETED = """diff --git a/old.py b/old.py
deleted file mode 100644
index 3333333..0000000
--- a/old.py
+++ /dev/null
@@ -1 +0,0 @@
-gone
"""
RENAMED = """diff --git a/pkg/before.py b/pkg/after.py
similarity index 100%
rename from pkg/before.py
rename to pkg/after.py
"""
BINARY = """diff --git a/logo.png b/logo.png
index 4444444..5555555 100644
Binary files a/logo.png and b/logo.png differ
"""
SECOND_HUNK_OF_EDIT = EDIT.replace("@@ -1 +1 @@", "@@ -9 +9 @@")


def test_files_of_every_kind_of_change_in_order_each_once():
    patch = EDIT + ADDED_WITH_SPACE + DELETED + RENAMED + BINARY + SECOND_HUNK_OF_EDIT
    assert patched_files(patch) == ["src/calc.py", "docs/my notes.md", "old.py", "pkg/after.py", "logo.png"]


def test_a_path_containing_b_slash_is_kept_whole():
    # Splitting the header on " b/" read this path as "notes.md"; unidiff rejects it, the header is
    # read as the one path both halves name.
    edit = EDIT.replace("src/calc.py", "docs/a b/notes.md")
    assert patched_files(edit) == ["docs/a b/notes.md"]


def test_a_diff_cut_short_still_names_its_files_from_the_headers():
    truncated = EDIT.replace("@@ -1 +1 @@", "@@ -1,5 +1,5 @@") + DELETED  # the first hunk lacks 4 lines
    assert patched_files(truncated) == ["src/calc.py", "old.py"]


def test_no_diff_touches_no_files():
    assert patched_files("") == [] and patched_files("just some text\n") == []
