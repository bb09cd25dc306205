from __future__ import annotations

from digest.ingest.normalise import urls_extract


def test_repositories_and_project_pages_are_told_apart() -> None:
    text = (
        "Code is at https://github.com/X-PLUG/mPLUG-Owl/tree/main/src. The online demo "
        "(https://www.modelscope.cn/studios/damo/mPLUG-Owl). See also github.com/foo/bar.git, "
        "https://gitlab.com/team/project, https://doi.org/10.1000/xyz and http://arxiv.org/abs/2401.00001; "
        "our page is https://example.github.io/project/."
    )
    code, project = urls_extract(text)
    assert code == [
        "https://github.com/X-PLUG/mPLUG-Owl",
        "https://github.com/foo/bar",
        "https://gitlab.com/team/project",
    ]
    assert project == [
        "https://www.modelscope.cn/studios/damo/mPLUG-Owl",
        "https://example.github.io/project/",
    ]


def test_abstracts_without_links_give_none() -> None:
    assert urls_extract("We prove that P is not NP, mostly.") == ([], [])
    assert urls_extract("A github.com user profile alone: https://github.com/someone") == ([], [])
