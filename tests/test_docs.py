"""The documentation says what the code does."""

from pathlib import Path

from pipelines.contracts import CONTRACTS, render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_data_contracts_doc_matches_the_code():
    doc = (ROOT / "docs" / "data-contracts.md").read_text(encoding="utf-8")
    assert render_markdown() in doc, "regenerate the tables: python -c 'from pipelines." \
        "contracts import render_markdown; print(render_markdown())'"
    for contract in CONTRACTS.values():
        for column in contract.columns:
            assert f"| `{column.name}` |" in doc


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```", 2)[1]
    commands = [line for line in block.splitlines()[1:] if line.strip() and
                not line.lstrip().startswith("#")]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
