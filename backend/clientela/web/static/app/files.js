// Files in the portal: the lists of an item's and its messages' files, downloading one, and the
// control that uploads files for a new item or a reply to attach. GET /files/{id} and POST /files
// take the bearer header like /graphql (no cookie), so a file is fetched here and handed to the
// browser to save under its name; it is never opened in the portal's page.

import { ApiError, authHeaders, firstError, request } from "./api.js";
import { h } from "./dom.js";
import { formatBytes, t } from "./i18n.js";

/** Whether the portal settings show files (unknown settings: yes, and the API has the last word). */
export function filesShown(settings) {
  return !settings || settings.visibleTaskFields.includes("ATTACHMENTS");
}

// The types the service accepts (files/services.ALLOWED_TYPES), by the names people know them by.
const TYPE_NAMES = {
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/gif": "GIF",
  "image/webp": "WebP",
  "application/pdf": "PDF",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
  "application/vnd.oasis.opendocument.text": "OpenDocument Text",
  "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument Spreadsheet",
  "application/zip": "ZIP",
};

function typeName(contentType) {
  return contentType === "text/plain" ? t("typeText") : (TYPE_NAMES[contentType] ?? contentType);
}

function about(file) {
  return h("span", { className: "file-about" }, `${typeName(file.contentType)} · ${formatBytes(file.size)}`);
}

/** Text for screen readers only, e.g. the verb of a button whose visible text is a file's name. */
function unseen(text) {
  return h("span", { className: "visually-hidden" }, text);
}

/** Fetches the file with the session's headers and lets the browser save it under its name. */
async function save(file) {
  let response;
  try {
    response = await fetch(file.url, { headers: authHeaders() });
  } catch {
    throw new ApiError("NETWORK");
  }
  if (!response.ok) throw firstError(await response.json().catch(() => null)) ?? new ApiError("SERVER");
  // Typed as bytes to save, never as something a browser would show in place.
  const received = await response.blob();
  const href = URL.createObjectURL(received.slice(0, received.size, "application/octet-stream"));
  const link = h("a", { href, download: file.name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the blob once the download starts, which it may put off a little.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** The files of an item or a message, each with a button that downloads it; null for none. */
export function fileList(files) {
  if (!files?.length) return null;
  const alert = h("p", { className: "error", role: "alert", hidden: true });
  const entry = (file) => {
    const button = h("button", { type: "button", className: "link-button" }, unseen(`${t("download")} `), file.name);
    let saving = false;
    button.addEventListener("click", async () => {
      if (saving) return;
      saving = true;
      alert.hidden = true;
      try {
        await save(file);
      } catch {
        alert.textContent = t("downloadFailed", { name: file.name });
        alert.hidden = false;
      } finally {
        saving = false;
      }
    });
    return h("li", {}, button, " ", about(file));
  };
  return h("div", { className: "files" }, h("ul", {}, files.map(entry)), alert);
}

/** POST /files: the uploaded file ({id, name, size, contentType}), or an ApiError carrying the
 * HTTP status, which tells a file too large (413) or of a type not accepted (415). */
async function upload(file) {
  if (file.size === 0) throw new ApiError("LOCAL", t("uploadEmpty", { name: file.name }));
  const body = new FormData();
  body.append("file", file, file.name);
  let response;
  try {
    response = await fetch("/files", { method: "POST", headers: authHeaders(), body });
  } catch {
    throw new ApiError("NETWORK");
  }
  const answer = await response.json().catch(() => null);
  if (response.status === 201 && answer) return answer;
  const error = firstError(answer) ?? new ApiError(response.status === 429 ? "RATE_LIMITED" : "SERVER");
  error.status = response.status;
  throw error;
}

function refusal(file, error) {
  const name = file.name;
  if (error.code === "LOCAL") return error.message;
  if (error.status === 413) return t("uploadTooLarge", { name });
  if (error.status === 415) return t("uploadType", { name });
  if (error.extensions.limit === "storageQuota") return t("uploadQuota", { name });
  if (error.code === "RATE_LIMITED") return t("errRATE_LIMITED");
  return t("uploadFailed", { name });
}

let pickers = 0;

/** The control to attach files to what a form sends (at most `max`). Each file chosen is uploaded
 * at once and listed, with a button to take it off again; a refusal (too large, a type not
 * accepted, the storage quota) is said right below the control, which it describes, and read out.
 * `fileIds()` waits for the uploads under way and gives the ids to attach. */
export function filePicker({ max }) {
  const id = `files${++pickers}`;
  const hint = h("p", { className: "hint", id: `${id}-hint` }, t("attachHint", { max }));
  const error = h("p", { className: "error", id: `${id}-error`, role: "alert", hidden: true });
  const input = h("input", { type: "file", id, multiple: true, "aria-describedby": `${hint.id} ${error.id}` });
  const progress = h("p", { className: "hint", role: "status" });
  const chosen = h("ul", { className: "files" });
  let attached = [];
  let reserved = 0; // files chosen, uploaded or on their way
  let uploads = Promise.resolve();

  function complain(text) {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
  }

  function clearComplaint() {
    error.hidden = true;
    error.textContent = "";
    input.removeAttribute("aria-invalid");
  }

  function add(file) {
    attached.push(file);
    const remove = h("button", { type: "button", className: "link-button" }, t("removeFile"), unseen(` ${file.name}`));
    const entry = h("li", {}, h("span", { className: "file-name" }, file.name), " ", about(file), " ", remove);
    remove.addEventListener("click", () => {
      attached = attached.filter((other) => other !== file);
      reserved -= 1;
      entry.remove();
      progress.textContent = t("fileRemoved", { name: file.name });
      input.focus();
      // Not attached, the upload is the uploader's alone, and the sweep deletes it within a day.
      request("RemoveFile", { id: file.id }).catch(() => {});
    });
    chosen.append(entry);
  }

  async function send(files) {
    const refused = [];
    for (const file of files) {
      progress.textContent = t("uploading", { name: file.name });
      try {
        add(await upload(file));
        progress.textContent = t("uploaded", { name: file.name });
      } catch (problem) {
        reserved -= 1;
        refused.push(refusal(file, problem));
      }
    }
    if (refused.length) {
      progress.textContent = "";
      complain(refused.join(" "));
    }
  }

  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = ""; // the list below shows what is attached; the same file may be chosen again
    clearComplaint();
    if (!files.length) return;
    if (reserved + files.length > max) return complain(t("uploadTooMany", { max }));
    reserved += files.length;
    uploads = uploads.then(() => send(files));
  });

  return {
    element: h("div", { className: "field" }, h("label", { for: id }, t("attachFiles")), hint, input, error, progress, chosen),
    async fileIds() {
      await uploads;
      return attached.map((file) => file.id);
    },
    clear() {
      attached = [];
      reserved = 0;
      chosen.replaceChildren();
      progress.textContent = "";
      clearComplaint();
    },
  };
}
