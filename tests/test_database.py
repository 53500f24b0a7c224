from clientela.workspaces.models import Workspace


async def test_migrated_database_stores_and_reads_a_workspace():
    created = await Workspace.create(name="Acme Consulting")
    fetched = await Workspace.get(id=created.id)
    assert fetched.name == "Acme Consulting"
    assert fetched.currency == "USD"
    assert await Workspace.all().count() == 1
