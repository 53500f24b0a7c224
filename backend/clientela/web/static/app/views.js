// The portal's pages. Each view gets { app, url, params } and returns the contents of <main>.
// Fields the portal settings hide come back null from the API and are simply not shown.

import { ApiError, request } from "./api.js";
import { h } from "./dom.js";
import { fileList, filePicker, filesShown } from "./files.js";
import { formatDate, formatDateTime, formatMinutes, formatMoney, languageName, t } from "./i18n.js";

const PAGE_SIZE = 10;
// The most files one message and one item carry (files/services.py).
const FILES_PER_MESSAGE = 10;
const FILES_PER_ITEM = 100;

// --- helpers ------------------------------------------------------------------------------------

const FIELD_MESSAGES = { password: "fieldPassword", email: "fieldEmail", title: "fieldTitle", body: "fieldBody" };

/** A friendly, localized message for an error from the API (or anything else). */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) return t("errSERVER");
  if (error.code === "LOCAL") return error.message;
  if (error.code === "BAD_USER_INPUT" && FIELD_MESSAGES[error.field]) return t(FIELD_MESSAGES[error.field]);
  const key = `err${error.code}`;
  return t(key) === key ? t("errSERVER") : t(key);
}

/** An error found before asking the server, shown like the server's. */
function problem(message, field = null) {
  return new ApiError("LOCAL", message, { field });
}

function heading(text) {
  return h("h1", { tabindex: "-1" }, text);
}

let ids = 0;

/** A labelled form control; `control` is the element, given an id here. */
function field(label, control, hint) {
  const id = `f${++ids}`;
  control.id = id;
  let hintElement = null;
  if (hint) {
    hintElement = h("p", { className: "hint", id: `${id}-hint` }, hint);
    control.setAttribute("aria-describedby", hintElement.id);
  }
  return h("div", { className: "field" }, h("label", { for: id }, label), hintElement, control);
}

/** A form that shows errors in an alert above its fields and never submits twice at once. */
function form(submitLabel, children, onSubmit) {
  const alert = h("p", { className: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit" }, submitLabel);
  const element = h("form", {}, alert, children, h("div", { className: "actions" }, button));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.hidden = true;
    for (const control of element.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    button.disabled = true;
    try {
      await onSubmit(new FormData(element), element);
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      alert.textContent = errorMessage(error);
      alert.hidden = false;
      const control = error.field && element.elements.namedItem(error.field);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

/** A definition list of the [label, value] pairs whose value is not null. */
function facts(pairs, className = "facts") {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (!shown.length) return null;
  return h("dl", { className }, shown.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))));
}

/** A section named by its heading (a landmark region for screen readers). */
function section(title, ...children) {
  const id = `s${++ids}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function list(items, render) {
  return h("ul", {}, items.map((item) => h("li", {}, render(item))));
}

const present = (value) => value !== null && value !== undefined;
const nonEmpty = (values) => (values?.length ? values : null);
/** An enum value in words, or as it is when this version of the portal has no words for it. */
const named = (prefix, value) => (t(`${prefix}${value}`) === `${prefix}${value}` ? value : t(`${prefix}${value}`));
const status = (value) => (value ? h("span", { className: `badge status-${value.toLowerCase()}` }, named("status", value)) : null);
const priority = (value) => (value ? named("priority", value) : null);
const labelList = (labels) => (nonEmpty(labels) ? h("ul", { className: "labels" }, labels.map((l) => h("li", {}, l))) : null);
const names = (people) => (nonEmpty(people) ? people.map((p) => p.name).join(", ") : null);
const money = (value) => (value ? formatMoney(value) : null);
const minutes = (value) => (present(value) ? formatMinutes(value) : null);

function paragraphs(text) {
  return text.split(/\n{2,}/).map((part) => h("p", { className: "text" }, part));
}

// --- signing in and passwords -----------------------------------------------------------------

export function signIn({ app }) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  return [
    heading(t("signInTitle")),
    form(t("signIn"), [field(t("email"), email), field(t("password"), password)], async (data) => {
      let result;
      try {
        result = await request("LogIn", { email: data.get("email"), password: data.get("password") });
      } catch (error) {
        if (error.code === "UNAUTHENTICATED") throw problem(t("wrongPassword"), "password");
        throw error;
      }
      await app.signIn(result.logIn.token);
      await app.render(); // the page asked for, now signed in
    }),
    h("p", {}, h("a", { href: "/set-password" }, t("firstVisit"))),
  ];
}

function requestLinkForm() {
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const wrapper = h("div", {});
  wrapper.append(
    h("p", {}, t("requestIntro")),
    form(t("requestSubmit"), [field(t("email"), email)], async (data) => {
      const address = String(data.get("email")).trim();
      await request("RequestPasswordReset", { email: address });
      wrapper.replaceChildren(
        h("p", { className: "notice", role: "status", tabindex: "-1" }, t("requestSent", { email: address })),
        h("p", {}, h("a", { href: "/" }, t("backToSignIn"))),
      );
      wrapper.firstChild.focus();
    }),
  );
  return wrapper;
}

export function setPassword({ app, url }) {
  const token = url.searchParams.get("token");
  if (!token) {
    return [heading(t("requestTitle")), requestLinkForm(), h("p", {}, h("a", { href: "/" }, t("backToSignIn")))];
  }
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: "10", required: true });
  const repeat = h("input", { type: "password", name: "repeat", autocomplete: "new-password", minlength: "10", required: true });
  const newLink = h("div", { hidden: true }, h("h2", {}, t("requestTitle")), requestLinkForm());
  return [
    heading(t("setTitle")),
    form(t("savePassword"), [field(t("newPassword"), password, t("passwordHint")), field(t("repeatPassword"), repeat)], async (data) => {
      if (data.get("password") !== data.get("repeat")) throw problem(t("passwordsDiffer"), "repeat");
      try {
        await request("ResetPassword", { token, password: data.get("password") });
      } catch (error) {
        if (error.code === "BAD_USER_INPUT" && error.field === "token") {
          newLink.hidden = false;
          throw problem(t("badLink"));
        }
        throw error;
      }
      // Setting a password ends every session; the person signs in afresh. Replacing the
      // history entry keeps the used link out of the back button.
      app.forget();
      app.flash(t("passwordSaved"));
      await app.navigate("/", { replace: true });
    }),
    newLink,
  ];
}

// --- items --------------------------------------------------------------------------------------

function itemCard(node) {
  return h(
    "li",
    { className: "card" },
    h("h2", {}, h("a", { href: `/items/${encodeURIComponent(node.id)}` }, node.title)),
    facts([
      [t("project"), node.project?.name],
      [t("status"), status(node.status)],
      [t("priority"), priority(node.priority)],
      [t("dueDate"), node.dueDate ? formatDate(node.dueDate) : null],
      [t("labels"), labelList(node.labels)],
    ]),
  );
}

export async function items() {
  const first = await request("PortalHome", { first: PAGE_SIZE });
  const cards = h("ul", { className: "cards" });
  const count = h("p", { className: "count", role: "status" });
  const more = h("button", { type: "button", className: "secondary" }, t("moreItems"));
  const alert = h("p", { className: "error", role: "alert", hidden: true });
  let shown = 0;
  let after = null;

  function add(connection) {
    const added = connection.edges.map((edge) => itemCard(edge.node));
    cards.append(...added);
    shown += added.length;
    after = connection.pageInfo.endCursor;
    count.textContent = t("shown", { shown, total: connection.totalCount });
    more.hidden = !connection.pageInfo.hasNextPage;
    return added[0];
  }

  more.addEventListener("click", async () => {
    more.disabled = true;
    alert.hidden = true;
    try {
      const next = await request("PortalHome", { first: PAGE_SIZE, after });
      add(next.portalItems)?.querySelector("a")?.focus();
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
    } finally {
      more.disabled = false;
    }
  });

  add(first.portalItems);
  return [
    heading(t("itemsTitle")),
    shown ? [count, cards] : h("p", {}, t("noItems")),
    alert,
    more,
  ];
}

function conversation(messages, messageFiles) {
  if (!messages.length) return h("p", {}, t("noMessages"));
  return h(
    "ol",
    { className: "messages" },
    messages.map((message) =>
      h(
        "li",
        { className: message.visibility === "INTERNAL" ? "message internal" : "message" },
        h(
          "article",
          {},
          h(
            "header",
            {},
            h("strong", {}, message.author.name),
            " ",
            h("time", { datetime: message.createdAt }, formatDateTime(message.createdAt)),
            message.visibility === "INTERNAL" ? [" ", h("span", { className: "badge" }, t("internalNote"))] : null,
          ),
          paragraphs(message.body),
          fileList(messageFiles.get(message.id)),
        ),
      ),
    ),
  );
}

/** An item, and where the portal settings show them its files and its messages' files. */
async function loadItem(app, id) {
  const [{ task }, files] = await Promise.all([
    request("PortalItem", { id }),
    filesShown(app.settings) ? request("TaskFiles", { id }) : { task: null },
  ]);
  const messageFiles = new Map((files.task?.messages ?? []).map((message) => [message.id, message.files]));
  return { task, files: files.task?.files ?? null, messageFiles };
}

export async function item({ app, params: [id] }) {
  const { task, files, messageFiles } = await loadItem(app, id);
  if (!task) throw new ApiError("NOT_FOUND");
  const assignee = task.assignee
    ? [
        task.assignee.name,
        task.assignee.email ? [" · ", h("a", { href: `mailto:${task.assignee.email}` }, task.assignee.email)] : null,
        task.assignee.phone ? [" · ", h("a", { href: `tel:${task.assignee.phone.replace(/\s+/g, "")}` }, task.assignee.phone)] : null,
      ]
    : null;
  const parts = [
    h("p", {}, h("a", { href: "/" }, `← ${t("allItems")}`)),
    heading(task.title),
    facts([
      [t("status"), status(task.status)],
      [t("priority"), priority(task.priority)],
      [t("dueDate"), task.dueDate ? formatDate(task.dueDate) : null],
      [t("labels"), labelList(task.labels)],
      [t("assignee"), assignee],
      [t("requesters"), names(task.requesters)],
      [t("estimated"), minutes(task.estimatedMinutes)],
      [t("timeSpent"), minutes(task.timeSpentMinutes)],
      [t("cost"), money(task.cost)],
    ]),
  ];
  if (task.description) parts.push(section(t("description"), paragraphs(task.description)));
  const taskFiles = fileList(files);
  if (taskFiles) parts.push(section(t("files"), taskFiles));

  const thread = h("div", {}, task.messages ? conversation(task.messages, messageFiles) : null);
  const talk = [];
  if (task.messages) talk.push(thread);
  if (app.settings?.canPostMessages !== false) {
    const body = h("textarea", { name: "body", rows: "4", required: true });
    const sent = h("p", { className: "notice", role: "status", hidden: true });
    const picker = filesShown(app.settings) ? filePicker({ max: FILES_PER_MESSAGE }) : null;
    talk.push(
      form(t("sendReply"), [field(t("yourReply"), body), picker?.element], async (data, element) => {
        sent.hidden = true;
        const text = String(data.get("body")).trim();
        if (!text) throw problem(t("fieldBody"), "body");
        const fileIds = picker ? await picker.fileIds() : [];
        if (fileIds.length) {
          await request("PostMessageWithFiles", { input: { taskId: task.id, body: text, visibility: "PUBLIC", fileIds } });
        } else {
          await request("PortalReply", { taskId: task.id, body: text });
        }
        element.reset();
        picker?.clear();
        sent.textContent = t("replySent");
        sent.hidden = false;
        const again = await loadItem(app, task.id);
        if (again.task?.messages) thread.replaceChildren(conversation(again.task.messages, again.messageFiles));
      }),
      sent,
    );
  }
  if (talk.length) parts.push(section(t("conversation"), talk));
  return parts;
}

export async function newItem({ app, url }) {
  const title = heading(t("newItemTitle"));
  if (app.settings && !app.settings.canSubmitItems) return [title, h("p", {}, t("submitNotAllowed"))];
  const { projects } = await request("PortalProjects");
  if (!projects.length) return [title, h("p", {}, t("noProjects"))];
  const wanted = url.searchParams.get("project");
  const select = h(
    "select",
    { name: "projectId", required: true },
    projects.map((p) => h("option", { value: p.id, selected: p.id === wanted }, p.name)),
  );
  const name = h("input", { type: "text", name: "title", required: true, maxlength: "200" });
  const description = h("textarea", { name: "description", rows: "6" });
  const picker = filesShown(app.settings) ? filePicker({ max: FILES_PER_ITEM }) : null;
  return [
    title,
    form(
      t("submitItem"),
      [field(t("project"), select), field(t("title"), name), field(t("descriptionOptional"), description), picker?.element],
      async (data) => {
        const input = {
          projectId: data.get("projectId"),
          title: String(data.get("title")).trim(),
          description: String(data.get("description")).trim() || null,
        };
        if (!input.title) throw problem(t("fieldTitle"), "title");
        const fileIds = picker ? await picker.fileIds() : [];
        const { submitItem } = fileIds.length
          ? await request("SubmitItemWithFiles", { input: { ...input, fileIds } })
          : await request("SubmitItem", { input });
        app.flash(t("itemSubmitted"));
        await app.navigate(`/items/${encodeURIComponent(submitItem.id)}`);
      },
    ),
  ];
}

// --- organizations and projects (for consultants arriving from an invitation) ------------------

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
  const tasks = p.tasks.edges.map((edge) => edge.node);
  const canSubmit = app.settings?.canSubmitItems !== false;
  parts.push(
    section(
      t("items"),
      tasks.length
        ? [
            h("p", { className: "count" }, t("shown", { shown: tasks.length, total: p.tasks.totalCount })),
            list(tasks, (task) => [h("a", { href: `/items/${encodeURIComponent(task.id)}` }, task.title), task.status ? [" ", status(task.status)] : null]),
          ]
        : h("p", {}, t("noItems")),
      canSubmit ? h("p", {}, h("a", { href: `/items/new?project=${encodeURIComponent(p.id)}`, className: "button" }, t("submitToProject"))) : null,
    ),
  );
  return parts;
}

// --- when nothing else fits ---------------------------------------------------------------------

export function notFound() {
  return [heading(t("notFoundTitle")), h("p", {}, h("a", { href: "/" }, t("allItems")))];
}

export function failure(error) {
  const missing = error instanceof ApiError && error.code === "NOT_FOUND";
  return [
    heading(missing ? t("notFoundTitle") : t("errorTitle")),
    h("p", {}, errorMessage(error)),
    h("p", {}, h("a", { href: "/" }, t("allItems"))),
  ];
}
