"""name_key: near-duplicate names differing only in spacing or full-width characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.names import name_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("桂林市 教育局", "桂林市教育局"),
        ("桂林市\u3000教育局", "桂林市教育局"),
        ("桂林市第一中学（本部）", "桂林市第一中学(本部)"),
        ("桂林市第一中学【本部】", "桂林市第一中学(本部)"),
        ("桂林市第十八中学", "桂林市第十八中学\u200b"),
        ("ＡＢＣ实验学校", "abc实验学校"),
        ("桂林市第１中学", "桂林市第1中学"),
        (" 桂林市\t人民医院\n", "桂林市人民医院"),
    ],
)
def test_equal_keys(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("桂林市第一中学", "桂林市第二中学"), ("桂林市教育局", "桂林市教育厅")],
)
def test_different_names(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


@given(st.text())
def test_idempotent_and_spaceless(name: str) -> None:
    key = name_key(name)
    assert name_key(key) == key
    assert not any(ch.isspace() for ch in key)
