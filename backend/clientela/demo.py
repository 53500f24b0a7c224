"""A small, realistic demo: a firm, two clients, projects, tasks, time and a conversation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clientela.accounts import passwords
from clientela.accounts.services import create_workspace
from clientela.conversations.models import Message, MessageVisibility
from clientela.core.validation import fold
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.partners.models import PartnerMember
from clientela.people.models import ContactPrivacy, User
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.sharing.models import Share, ShareRole, ShareStatus
from clientela.tasks.models import (
    Task,
    TaskLabel,
    TaskPriority,
    TaskRequester,
    TaskStatus,
    TimeEntry,
)
from clientela.tasks.repository import next_ref

PASSWORD = "demo-password-1"
ADMIN_EMAIL = "ana@northwind.example"


async def load_demo() -> list[tuple[str, str, str]]:
    logins = [
        ("admin (Northwind Consulting)", ADMIN_EMAIL, PASSWORD),
        ("staff", "bruno@northwind.example", PASSWORD),
        ("CSR (shared Acme)", "carla@partner.example", PASSWORD),
        ("client (Acme Corp)", "dave@acme.example", PASSWORD),
        ("client (Globex)", "elena@globex.example", PASSWORD),
        ("partner firm Baker & Co (shared Globex)", "gina@baker.example", PASSWORD),
    ]
    if await User.exists(email=ADMIN_EMAIL):
        return logins
    admin = await create_workspace(
        workspace_name="Northwind Consulting", name="Ana Admin", email=ADMIN_EMAIL, password=PASSWORD, language="en"
    )
    workspace_id, team_id = admin.workspace_id, admin.organization_id
    password_hash = await passwords.hash_password(PASSWORD)

    async def person(name: str, email: str, org_id, **extra) -> User:
        return await User.create(
            workspace_id=workspace_id, name=name, email=email, organization_id=org_id, password_hash=password_hash,
            search_text=fold(f"{name} {email}"), invited=True, **extra,
        )

    bruno = await person("Bruno Staff", "bruno@northwind.example", team_id, privacy=ContactPrivacy.HIDDEN_FROM_CLIENTS, phone="+1 555 0101")
    carla = await person("Carla Partner", "carla@partner.example", None)
    acme = await Organization.create(workspace_id=workspace_id, name="Acme Corp", kind=OrganizationKind.CLIENT, owner_id=admin.id)
    globex = await Organization.create(workspace_id=workspace_id, name="Globex", kind=OrganizationKind.CLIENT, language="es", owner_id=admin.id)
    purchasing = await Department.create(organization=acme, name="Purchasing")
    dave = await person("Dave Client", "dave@acme.example", acme.id, department_id=purchasing.id, phone="+1 555 0199")
    elena = await person("Elena Cliente", "elena@globex.example", globex.id)
    await User.create(workspace_id=workspace_id, name="Frank Contact", email="frank@acme.example", organization_id=acme.id, search_text=fold("Frank Contact frank@acme.example"))
    await Share.create(organization=acme, user=carla, role=ShareRole.CSR, status=ShareStatus.ACCEPTED, created_by=admin)
    baker = await Organization.create(workspace_id=workspace_id, name="Baker & Co", kind=OrganizationKind.PARTNER)
    await PartnerMember.create(partner=baker, user=await person("Gina Baker", "gina@baker.example", None))
    await Share.create(
        organization=globex, partner=baker, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED, created_by=admin,
        expires_at=dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30),
    )

    website = await Project.create(workspace_id=workspace_id, name="Acme website relaunch", description="New site and shop.", client=acme, budget=Decimal("12000.00"), hourly_rate=Decimal("95.00"), created_by=admin)
    audit = await Project.create(workspace_id=workspace_id, name="Globex process audit", client=globex, budget=Decimal("4500.50"), hourly_rate=Decimal("120.00"), created_by=admin)
    for project in (website, audit):
        await ProjectMember.create(project=project, user=admin)
        await ProjectMember.create(project=project, user=bruno)
    await ProjectFollower.create(project=website, organization=acme)
    await ProjectFollower.create(project=audit, user=elena)

    today = dt.date.today()
    items = [
        (website, "Design the home page", TaskStatus.IN_PROGRESS, TaskPriority.HIGH, ["Important"], dave),
        (website, "Migrate the product catalogue", TaskStatus.OPEN, TaskPriority.NORMAL, ["Discussion"], dave),
        (website, "Set up payment provider", TaskStatus.ON_HOLD, TaskPriority.URGENT, ["Postponed"], None),
        (audit, "Interview the warehouse team", TaskStatus.DONE, TaskPriority.NORMAL, ["In progress"], elena),
        (audit, "Write the findings report", TaskStatus.OPEN, TaskPriority.HIGH, ["Important"], elena),
    ]
    for index, (project, title, status, priority, labels, requester) in enumerate(items):
        task = await Task.create(
            workspace_id=workspace_id, project=project, title=title, description=f"{title}, as agreed.", status=status,
            priority=priority, labels=labels, assignee=bruno, estimated_minutes=240, due_date=today + dt.timedelta(days=7 * (index + 1)),
            created_by=admin, ref=await next_ref(project),
        )
        await TaskLabel.bulk_create([TaskLabel(task=task, label=label) for label in labels])
        if requester:
            await TaskRequester.of(task.id, requester).save()
        await TimeEntry.create(task=task, user=bruno, minutes=90 + 15 * index, date=today - dt.timedelta(days=index), note="Work session")
        await TimeEntry.create(task=task, user=admin, minutes=30, date=today, note="Review", billable=False)
        await Message.create(workspace_id=workspace_id, task=task, author=bruno, body="Internal: check the budget first.", visibility=MessageVisibility.INTERNAL)
        await Message.create(workspace_id=workspace_id, task=task, author=bruno, body="We have started on this; first draft on Friday.", visibility=MessageVisibility.PUBLIC)
    return logins
