"""Text helpers: line joining (title breaking: test_titles.py)."""
from __future__ import annotations

from bulletin.text import join_lines


def test_join_lines():
    assert join_lines("中文", "中文") == "中文中文"
    assert join_lines("中文，", "Latin") == "中文，Latin"
    assert join_lines("Latin", "words") == "Latin words"
    assert join_lines("5G", "网络") == "5G网络"
