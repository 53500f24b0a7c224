// A client's items: the list, one item with its conversation, and a new request.

import { ApiError, request } from "./api.js";
import { h } from "./dom.js";
import { fileList, filePicker, filesShown } from "./files.js";
import { errorMessage, facts, field, focusOn, form, heading, labelList, minutes, money, names, paragraphs, priority, problem, section, status, whileBusy } from "./forms.js";
import { formatDate, formatDateTime, t } from "./i18n.js";

const PAGE_SIZE = 10;
// The most files one message and one item carry (files/services.py).
const FILES_PER_MESSAGE = 10;
const FILES_PER_ITEM = 100;

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

export async function items({ app }) {
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

  whileBusy(more, async () => {
    alert.hidden = true;
    try {
      const next = await request("PortalHome", { first: PAGE_SIZE, after });
      const added = add(next.portalItems);
      // The button hides on the last page: the focus goes on to the first item added, or the count.
      focusOn(added?.querySelector("a") ?? count);
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
    }
  });

  add(first.portalItems);
  return [
    heading(t("itemsTitle")),
    shown ? [count, cards] : [h("p", {}, t("noItems"), " ", t("noItemsNext")), app.settings?.canSubmitItems !== false ? h("p", {}, h("a", { href: "/items/new", className: "button" }, t("newItemTitle"))) : null],
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
        return sent;
      }),
      sent,
    );
  }
  if (talk.length) parts.push(section(t("conversation"), talk));
  return parts;
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
