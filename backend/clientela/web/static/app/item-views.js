// A client's items: the list, one item with its conversation, and a new request.

import { ApiError, request } from "./api.js";
import { h } from "./dom.js";
import { fileList, filePicker, filesShown } from "./files.js";
import { followUpControls } from "./follow-up.js";
import { facts, field, form, heading, labelList, minutes, money, named, names, pagedList, paragraphs, priority, problem, section, status } from "./forms.js";
import { formatDate, formatDateTime, t } from "./i18n.js";

const PAGE_SIZE = 10;
// The most files one message and one item carry (files/services.py).
const FILES_PER_MESSAGE = 10;
const FILES_PER_ITEM = 100;

// The list's choices, by their names in the URL's query string (so a link or a reload keeps them).
const ORDERS = { newest: "NEWEST_FIRST", updated: "RECENTLY_UPDATED", due: "DUE_DATE" };
// "open": not done yet (resolved: false); "done": resolved; the others: one status.
const STATUS_CHOICES = ["open", "done", "OPEN", "IN_PROGRESS", "ON_HOLD"];
const WHOSE = { mine: "MINE", organization: "MY_ORGANIZATION" };
const SEARCH_MAX = 100;

const shows = (settings, taskField) => Boolean(settings?.visibleTaskFields?.includes(taskField));
const when = (isoDateTime) => h("time", { datetime: isoDateTime }, formatDateTime(isoDateTime));

/** What the list offers: the API refuses a filter or an order on a field the settings hide. */
function findChoices(settings) {
  return {
    statuses: shows(settings, "STATUS") ? STATUS_CHOICES : [],
    whose: shows(settings, "REQUESTERS") ? Object.keys(WHOSE) : [],
    orders: Object.keys(ORDERS).filter((order) => order !== "due" || shows(settings, "DUE_DATE")),
  };
}

/** The filters in the URL, each dropped when it is not offered. */
function readFilters(url, choices) {
  const chosen = (name, offered) => (offered.includes(url.searchParams.get(name)) ? url.searchParams.get(name) : "");
  return {
    q: (url.searchParams.get("q") ?? "").trim().slice(0, SEARCH_MAX),
    status: chosen("status", choices.statuses),
    whose: chosen("whose", choices.whose),
    order: chosen("order", choices.orders) || "newest",
  };
}

function findVariables(filters) {
  const variables = { first: PAGE_SIZE, orderBy: ORDERS[filters.order] };
  if (filters.q) variables.search = filters.q;
  if (filters.status === "open" || filters.status === "done") variables.resolved = filters.status === "done";
  else if (filters.status) variables.status = filters.status;
  if (filters.whose) variables.whose = WHOSE[filters.whose];
  return variables;
}

function itemCard(node) {
  return h(
    "li",
    { className: node.unread ? "card unread" : "card" },
    h("h2", {}, h("a", { href: `/items/${encodeURIComponent(node.id)}` }, node.title)),
    node.unread ? h("p", { className: "unread-marker" }, t("unread")) : null,
    facts([
      [t("reference"), node.ref],
      [t("project"), node.project?.name],
      [t("status"), status(node.status)],
      [t("priority"), priority(node.priority)],
      [t("dueDate"), node.dueDate ? formatDate(node.dueDate) : null],
      [t("labels"), labelList(node.labels)],
      [t("created"), when(node.createdAt)],
      [t("updated"), when(node.updatedAt)],
    ]),
  );
}

/** The search, filter and order form: submitting it puts its choices in the URL, which the list reads. */
function findForm(app, url, filters, choices) {
  const select = (name, options) =>
    h(
      "select",
      { name },
      options.map(([value, label]) => h("option", { value, selected: value === filters[name] }, label)),
    );
  const fields = [field(t("search"), h("input", { type: "search", name: "q", value: filters.q, maxlength: String(SEARCH_MAX) }))];
  if (choices.statuses.length) {
    const label = (choice) => (choice === "open" ? t("notDone") : choice === "done" ? named("status", "DONE") : named("status", choice));
    fields.push(field(t("status"), select("status", [["", t("anyStatus")], ...choices.statuses.map((c) => [c, label(c)])])));
  }
  if (choices.whose.length) {
    fields.push(field(t("whose"), select("whose", [["", t("whoseAll")], ["mine", t("whoseMine")], ["organization", t("whoseOrganization")]])));
  }
  const orderLabels = { newest: t("orderNewest"), updated: t("orderUpdated"), due: t("orderDue") };
  fields.push(field(t("order"), select("order", choices.orders.map((o) => [o, orderLabels[o]]))));
  const element = h(
    "form",
    { role: "search", className: "find", "aria-label": t("findItems") },
    fields,
    h("div", { className: "actions" }, h("button", { type: "submit" }, t("applyFilters"))),
  );
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(element)) {
      const text = String(value).trim();
      if (text && !(name === "order" && text === "newest")) query.set(name, text);
    }
    const search = query.toString();
    app.navigate(search ? `${url.pathname}?${search}` : url.pathname);
  });
  return element;
}

export async function items({ app, url }) {
  const choices = findChoices(app.settings);
  const filters = readFilters(url, choices);
  const variables = findVariables(filters);
  const first = await request("PortalFind", variables);
  app.showUnread(first.portalUnreadCount);
  const paged = pagedList(h("ul", { className: "cards" }), first.portalItems, itemCard, async (after) => {
    return (await request("PortalFind", { ...variables, after })).portalItems;
  });
  const filtered = Boolean(filters.q || filters.status || filters.whose);
  return [
    heading(t("itemsTitle")),
    findForm(app, url, filters, choices),
    paged.shown ? [paged.count, paged.list] : emptyList(app, url, filtered),
    paged.alert,
    paged.more,
  ];
}

/** What to do when the list is empty: clear the filters, or submit a first item where allowed. */
function emptyList(app, url, filtered) {
  if (filtered) return h("p", { className: "empty" }, t("noMatches"), " ", h("a", { href: url.pathname }, t("clearFilters")));
  const canSubmit = app.settings?.canSubmitItems !== false && !app.previewing;
  return h("p", { className: "empty" }, t("noItems"), " ", t("noItemsNext"), canSubmit ? [" ", h("a", { href: "/items/new" }, t("submitFirst"))] : null);
}

/** Who wrote a message: their name, their organization where the viewer sees it, and whether they
 * are of the firm or of the client (a client does not see the firm's organizations). */
function author(message, side, firm) {
  const organization = side?.author.organization?.name;
  return [
    h("strong", {}, message.author.name),
    organization ? [" · ", h("span", { className: "organization" }, organization)] : null,
    side ? [" ", h("span", { className: side.fromFirm ? "badge side-firm" : "badge side-client" }, side.fromFirm ? t("firmSide", { firm }) : t("clientSide"))] : null,
  ];
}

function conversation(messages, messageFiles, sides, firm) {
  if (!messages.length) return h("p", {}, t("noMessages"));
  return h(
    "ol",
    { className: "messages" },
    messages.map((message) =>
      h(
        "li",
        { className: message.visibility === "INTERNAL" ? "message internal" : "message", "data-message": message.id },
        h(
          "article",
          {},
          h(
            "header",
            {},
            author(message, sides.get(message.id), firm),
            " ",
            when(message.createdAt),
            message.visibility === "INTERNAL" ? [" ", h("span", { className: "badge" }, t("internalNote"))] : null,
          ),
          paragraphs(message.body),
          fileList(messageFiles.get(message.id)),
        ),
      ),
    ),
  );
}

/** An item, what finding and following up add to it, and where the portal settings show them its
 * files and its messages' files. */
async function loadItem(app, id) {
  const [{ task }, { task: followUp }, files] = await Promise.all([
    request("PortalItem", { id }),
    request("PortalItemFollowUp", { id }),
    filesShown(app.settings) ? request("TaskFiles", { id }) : { task: null },
  ]);
  const messageFiles = new Map((files.task?.messages ?? []).map((message) => [message.id, message.files]));
  const sides = new Map((followUp?.messages ?? []).map((message) => [message.id, message]));
  return { task, followUp, files: files.task?.files ?? null, messageFiles, sides };
}

export async function item({ app, params: [id] }) {
  const { task, followUp, files, messageFiles, sides } = await loadItem(app, id);
  if (!task || !followUp) throw new ApiError("NOT_FOUND");
  if (followUp.unread && !app.previewing) markRead(app, task.id);
  const firm = app.viewer?.workspace?.name ?? "";
  const assignee = task.assignee
    ? [
        task.assignee.name,
        task.assignee.email ? [" · ", h("a", { href: `mailto:${task.assignee.email}` }, task.assignee.email)] : null,
        task.assignee.phone ? [" · ", h("a", { href: `tel:${task.assignee.phone.replace(/\s+/g, "")}` }, task.assignee.phone)] : null,
      ]
    : null;
  const title = heading(task.title);
  title.dataset.documentTitle = `${followUp.ref} ${task.title}`;
  const parts = [
    h("p", {}, h("a", { href: "/" }, `← ${t("allItems")}`)),
    h("p", { className: "ref" }, followUp.ref),
    title,
    facts([
      [t("project"), h("a", { href: `/projects/${encodeURIComponent(followUp.project.id)}` }, followUp.project.name)],
      [t("status"), status(task.status)],
      [t("priority"), priority(task.priority)],
      [t("dueDate"), task.dueDate ? formatDate(task.dueDate) : null],
      [t("labels"), labelList(task.labels)],
      [t("assignee"), assignee],
      [t("requesters"), names(task.requesters)],
      [t("estimated"), minutes(task.estimatedMinutes)],
      [t("timeSpent"), minutes(task.timeSpentMinutes)],
      [t("cost"), money(task.cost)],
      [t("created"), when(followUp.createdAt)],
      [t("updated"), when(followUp.updatedAt)],
    ]),
    followUpControls(app, task, followUp),
  ];
  if (task.description) parts.push(section(t("description"), paragraphs(task.description)));
  const taskFiles = fileList(files);
  if (taskFiles) parts.push(section(t("files"), taskFiles));

  const thread = h("div", {}, task.messages ? conversation(task.messages, messageFiles, sides, firm) : null);
  const talk = [];
  if (task.messages) talk.push(thread);
  if (app.settings?.canPostMessages !== false) {
    const body = h("textarea", { name: "body", rows: "4", required: true });
    const sent = h("p", { className: "notice", role: "status", tabindex: "-1", hidden: true });
    const picker = filesShown(app.settings) ? filePicker({ max: FILES_PER_MESSAGE }) : null;
    talk.push(
      form(t("sendReply"), [field(t("yourReply"), body), picker?.element], async (data, element) => {
        sent.hidden = true;
        const text = String(data.get("body")).trim();
        if (!text) throw problem(t("fieldBody"), "body");
        const fileIds = picker ? await picker.fileIds() : [];
        const posted = fileIds.length
          ? (await request("PostMessageWithFiles", { input: { taskId: task.id, body: text, visibility: "PUBLIC", fileIds } })).postMessage
          : (await request("PortalReply", { taskId: task.id, body: text })).postMessage;
        element.reset();
        picker?.clear();
        sent.textContent = t("replySent");
        sent.hidden = false;
        const again = await loadItem(app, task.id);
        if (again.task?.messages) thread.replaceChildren(conversation(again.task.messages, again.messageFiles, again.sides, firm));
        // The new message where the conversation shows it, else the notice: never <body>.
        return thread.querySelector(`[data-message="${CSS.escape(posted.id)}"]`) ?? sent;
      }),
      sent,
    );
  }
  if (talk.length) parts.push(section(t("conversation"), talk));
  return parts;
}

/** Opening an item marks it read; the header's count follows. */
async function markRead(app, taskId) {
  try {
    await request("MarkItemRead", { taskId });
    app.showUnread((await request("PortalUnreadCount")).portalUnreadCount);
  } catch {
    // The marker stays until the next visit; nothing the person has to act on.
  }
}

export async function newItem({ app, url }) {
  const title = heading(t("newItemTitle"));
  if (app.settings && !app.settings.canSubmitItems) return [title, h("p", {}, t("submitNotAllowed")), h("p", {}, h("a", { href: "/" }, t("allItems")))];
  const { projects } = await request("PortalProjects");
  if (!projects.length) return [title, h("p", {}, t("noProjects"), " ", t("noProjectsNext"))];
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
