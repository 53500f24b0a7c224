"""The committed SDL and the frontends' contract."""

import filecmp
from pathlib import Path

from graphql import OperationDefinitionNode, build_schema, parse, print_ast, validate

from clientela.graphql.schema import schema
from support import CONTRACT, CONTRACT_DIR

ROOT = Path(__file__).parents[1]
SHARED_CONTRACT = ROOT.parent / "shared" / "contract"


def test_committed_schema_matches_the_code():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", "schema.graphql drifted: run `clientela export-schema`"


def test_every_contract_operation_validates_against_the_committed_schema():
    sdl = build_schema((ROOT / "schema.graphql").read_text())
    failures = {name: validate(sdl, parse(op)) for name, op in CONTRACT.items()}
    assert len(CONTRACT) >= 47
    assert {name: errs for name, errs in failures.items() if errs} == {}


def test_the_tests_use_the_current_contract():
    if not SHARED_CONTRACT.exists():
        return  # a checkout without the shared folder beside it: the copy is all there is
    names = sorted(p.name for p in SHARED_CONTRACT.glob("*.graphql"))
    assert names == sorted(p.name for p in CONTRACT_DIR.glob("*.graphql"))
    match, mismatch, errors = filecmp.cmpfiles(SHARED_CONTRACT, CONTRACT_DIR, names, shallow=False)
    assert mismatch == [] and errors == [], "copy ../shared/contract/*.graphql into tests/contract/"
    # A planned file is adopted whole (the same name, the same bytes) or in part: a file of
    # another name holding some of the planned operations, each exactly as planned (the same
    # name and the same document, comments aside).
    planned = sorted(p.name for p in (SHARED_CONTRACT / "planned").glob("*.graphql"))
    adopted = sorted(p.name for p in (CONTRACT_DIR / "planned").glob("*.graphql"))
    whole = [name for name in adopted if name in planned]
    match, mismatch, errors = filecmp.cmpfiles(SHARED_CONTRACT / "planned", CONTRACT_DIR / "planned", whole, shallow=False)
    assert match == whole, "the adopted planned operations differ from ../shared/contract/planned/"
    planned_operations = {
        name: text for path in (SHARED_CONTRACT / "planned").glob("*.graphql") for name, text in operations(path).items()
    }
    for name in sorted(set(adopted) - set(whole)):
        in_part = operations(CONTRACT_DIR / "planned" / name)
        assert in_part, f"tests/contract/planned/{name} holds no operation"
        differ = [op for op, text in in_part.items() if planned_operations.get(op) != text]
        assert differ == [], f"tests/contract/planned/{name}: not as planned in ../shared/contract/planned/"


def operations(path: Path) -> dict[str, str]:
    return {
        definition.name.value: print_ast(definition)
        for definition in parse(path.read_text()).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name
    }
