from __future__ import annotations

import pytest

from jieneng.ingest import ImportIssue, summarise_issues
from jieneng.ingest.issues import make_issue
from jieneng.ingest.messages import MESSAGES


def test_issue_to_dict_and_str() -> None:
    issue = make_issue("import.not_a_number", file="a.xlsx", sheet="数据", row=5,
                       column="电(千瓦时)", value="abc")
    assert issue.to_dict() == {
        "file": "a.xlsx", "sheet": "数据", "row": 5, "column": "电(千瓦时)", "value": "abc",
        "code": "import.not_a_number", "severity": "error",
        "message_zh": "“abc”不是有效数字", "message_en": "'abc' is not a valid number",
    }
    assert str(issue).startswith("a.xlsx 数据 第5行 “电(千瓦时)”列：")
    with pytest.raises(AttributeError):
        issue.row = 6  # frozen


def test_every_code_is_dotted_and_bilingual() -> None:
    for code, template in MESSAGES.items():
        # utility, weather and M&V files: their own prefixes
        assert code.startswith(("import.", "utility.", "weather.", "mv."))
        assert template.severity in {"error", "warning"}
        assert template.zh and template.en


def test_summary_caps_the_list() -> None:
    issues: list[ImportIssue] = [
        make_issue("import.negative", file="a.csv", row=r, column="电", value="-1")
        for r in range(2, 1502)
    ] + [make_issue("import.ignored_column", file="a.csv", column="备注2")]
    summary = summarise_issues(issues, limit=1000)
    assert (summary.total, summary.errors, summary.warnings) == (1501, 1500, 1)
    assert summary.by_code == {"import.negative": 1500, "import.ignored_column": 1}
    assert len(summary.shown) == 1000 and summary.truncated == 501
    assert summary.shown[0].row == 2
    assert summary.to_dict()["truncated"] == 501
