// The item page's following up: resolve or reopen an item one requested, rate it once resolved,
// and follow or mute its emails. Each control shows the current state; the API decides who may
// resolve and rate (Task.canResolve, Task.canRate), so the page offers exactly what it allows.

import { request } from "./api.js";
import { h } from "./dom.js";
import { field, form, section } from "./forms.js";
import { t } from "./i18n.js";

const SCORES = [1, 2, 3, 4, 5];
const NOTIFICATIONS = ["DEFAULT", "FOLLOWING", "MUTED"];

/** A group of radio buttons, named by its legend (arrow keys move between them). */
function radios(legend, name, options, checked) {
  return h(
    "fieldset",
    { className: "choices" },
    h("legend", {}, legend),
    options.map(([value, label], index) =>
      h(
        "label",
        {},
        h("input", { type: "radio", name, value, checked: String(value) === String(checked), required: index === 0 }),
        " ",
        label,
      ),
    ),
  );
}

function resolveForm(app, task) {
  const done = task.status === "DONE";
  return form(done ? t("reopen") : t("resolve"), [], async () => {
    await request(done ? "ReopenItem" : "ResolveItem", { taskId: task.id });
    app.flash(done ? t("reopened") : t("resolved"));
    await app.render();
  });
}

function ratingForm(app, task, myRating) {
  const comment = h("textarea", { name: "comment", rows: "3", maxlength: "2000" });
  comment.value = myRating?.comment ?? "";
  const scores = SCORES.map((score) => [score, t(`score${score}`)]);
  const current = myRating ? h("p", {}, t("yourScore", { score: myRating.score })) : null;
  return h(
    "div",
    { className: "rating" },
    h("h3", {}, t("rating")),
    current,
    form(t("saveRating"), [radios(t("score"), "score", scores, myRating?.score), field(t("ratingComment"), comment)], async (data) => {
      const input = { taskId: task.id, score: Number(data.get("score")), comment: String(data.get("comment")).trim() || null };
      await request("RateItem", { input });
      app.flash(t("ratingSaved"));
      await app.render();
    }),
  );
}

function notificationsForm(task, notifications) {
  const saved = h("p", { className: "notice", role: "status", tabindex: "-1", hidden: true });
  const options = NOTIFICATIONS.map((choice) => [choice, t(`notify${choice}`)]);
  return h(
    "div",
    { className: "notifications" },
    form(t("saveChoice"), [radios(t("emails"), "notifications", options, notifications)], async (data) => {
      const choice = String(data.get("notifications"));
      const { setItemNotifications } = await request("SetItemNotifications", { taskId: task.id, notifications: choice });
      saved.textContent = t("notificationsSaved", { choice: t(`notify${setItemNotifications.notifications}`) });
      saved.hidden = false;
      saved.focus();
    }),
    saved,
  );
}

/** The controls the viewer may use on this item, in a section of their own. */
export function followUpControls(app, task, followUp) {
  const parts = [];
  if (followUp.canResolve && task.status) parts.push(resolveForm(app, task));
  if (followUp.canRate && task.status === "DONE") parts.push(ratingForm(app, task, followUp.myRating));
  parts.push(notificationsForm(task, followUp.notifications));
  return section(t("followUp"), parts);
}
