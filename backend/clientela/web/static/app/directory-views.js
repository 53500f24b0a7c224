// Organizations and projects, for consultants arriving from an invitation.

import { ApiError, request } from "./api.js";
import { h } from "./dom.js";
import { facts, heading, list, minutes, money, named, names, nonEmpty, pagedList, paragraphs, section, status } from "./forms.js";
import { languageName, t } from "./i18n.js";

const projectLinks = (projects) =>
  list(projects, (p) => h("a", { href: `/projects/${encodeURIComponent(p.id)}` }, p.name));

export async function organization({ params: [id] }) {
  const { organization: org } = await request("OrganizationPage", { id });
  if (!org) throw new ApiError("NOT_FOUND");
  const parts = [
    heading(org.name),
    facts([
      [t("organization"), named("kind", org.kind)],
      [t("language"), org.language ? languageName(org.language) : null],
    ]),
  ];
  if (nonEmpty(org.departments)) parts.push(section(t("departments"), list(org.departments, (d) => d.name)));
  if (nonEmpty(org.members)) {
    parts.push(
      section(
        t("people"),
        list(org.members, (m) => [
          h("strong", {}, m.name),
          m.invited ? ` (${t("invited")})` : null,
          m.department ? ` · ${m.department.name}` : null,
          m.email ? [" · ", h("a", { href: `mailto:${m.email}` }, m.email)] : null,
          m.phone ? [" · ", h("a", { href: `tel:${m.phone.replace(/\s+/g, "")}` }, m.phone)] : null,
        ]),
      ),
    );
  }
  if (nonEmpty(org.projects)) parts.push(section(t("projects"), projectLinks(org.projects)));
  if (nonEmpty(org.followedProjects)) parts.push(section(t("followedProjects"), projectLinks(org.followedProjects)));
  if (nonEmpty(org.shares)) {
    parts.push(section(t("sharedWith"), list(org.shares, (s) => [h("strong", {}, s.user.name), ` · ${named("role", s.role)}`, s.user.email ? ` · ${s.user.email}` : null])));
  }
  if (org.financialSummary) {
    const summary = org.financialSummary;
    parts.push(
      section(
        t("money"),
        facts([
          [t("projectCount"), String(summary.projectCount)],
          [t("budget"), money(summary.budget)],
          [t("billed"), money(summary.billed)],
        ]),
      ),
    );
  }
  return parts;
}

export async function project({ app, params: [id] }) {
  const { project: p } = await request("ProjectPage", { id });
  if (!p) throw new ApiError("NOT_FOUND");
  const parts = [
    heading(p.name),
    p.description ? paragraphs(p.description) : null,
    facts([
      [t("client"), p.client ? h("a", { href: `/organizations/${encodeURIComponent(p.client.id)}` }, p.client.name) : null],
      [t("budget"), money(p.budget)],
      [t("hourlyRate"), money(p.hourlyRate)],
      [t("timeSpent"), minutes(p.timeSpentMinutes)],
      [t("billed"), money(p.billed)],
    ]),
  ];
  if (nonEmpty(p.members)) parts.push(section(t("team"), h("p", {}, names(p.members))));
  const followers = [...(p.followers?.users ?? []), ...(p.followers?.organizations ?? [])];
  if (followers.length) parts.push(section(t("sharedWith"), h("p", {}, names(followers))));
  const canSubmit = app.settings?.canSubmitItems !== false;
  parts.push(
    section(
      t("items"),
      p.tasks.totalCount ? projectItems(p) : h("p", {}, t("noItems")),
      canSubmit ? h("p", {}, h("a", { href: `/items/new?project=${encodeURIComponent(p.id)}`, className: "button" }, t("submitToProject"))) : null,
    ),
  );
  return parts;
}

/** A project's items: the contract's first 50, then further pages by cursor ("show more"). */
function projectItems(p) {
  const render = (task) =>
    h("li", {}, h("a", { href: `/items/${encodeURIComponent(task.id)}` }, task.title), task.status ? [" ", status(task.status)] : null);
  const paged = pagedList(h("ul"), p.tasks, render, async (after) => {
    const { project } = await request("ProjectTasksPage", { id: p.id, after });
    if (!project) throw new ApiError("NOT_FOUND");
    return project.tasks;
  });
  return [paged.count, paged.list, paged.alert, paged.more];
}
