// The outbox for self-referral forms. Prison wifi drops without warning, so a submitted form is
// kept on this tablet (IndexedDB) before it is sent, and stays there until the server confirms
// its id. The server stores each id once, so sending again after a lost answer is harmless.
// Everything here is an enhancement: without JavaScript the form posts as usual.
const STORE = "items";
const LOGOUT = document.querySelector('form[action$="/logout"]');
const BANNER = document.querySelector("[data-outbox-banner]");
const CAPTURE_FORM = document.querySelector("form[data-capture-form]");
const SENT = "sent", WAITING = "waiting", ATTENTION = "attention", LOG_IN = "login";
const REFUSED = {403: "You are not allowed to record referrals for this session.",
  404: "This man is no longer in this session."};
let database;

// IndexedDB, wrapped in promises. A change resolves once it is committed, and flushed to disk
// ("strict"): a submission must survive the tablet's battery running out.
function open() {
  database ??= new Promise((resolve, reject) => {
    const opening = indexedDB.open("inreach-outbox", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, {keyPath: "id"});
    opening.onsuccess = () => {
      opening.result.onversionchange = () => opening.result.close();  // logout deletes it
      resolve(opening.result);
    };
    opening.onerror = () => reject(opening.error);
  });
  return database;
}

async function allItems() {
  const reading = (await open()).transaction(STORE).objectStore(STORE).getAll();
  return new Promise((resolve, reject) => {
    const oldestFirst = (a, b) => a.queued.localeCompare(b.queued);
    reading.onsuccess = () => resolve(reading.result.sort(oldestFirst));
    reading.onerror = () => reject(reading.error);
  });
}

async function change(apply) {
  const transaction = (await open()).transaction(STORE, "readwrite", {durability: "strict"});
  apply(transaction.objectStore(STORE));
  return new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
}

// Changes an item only if it is still there: it may have been sent or replaced meanwhile.
function update(id, changes) {
  return change((items) => {
    const reading = items.get(id);
    reading.onsuccess = () => reading.result && items.put({...reading.result, ...changes});
  });
}

// A new submission for a man replaces whatever of his was still waiting or refused.
function replace(item) {
  return change((items) => {
    const reading = items.getAll();
    reading.onsuccess = () => {
      reading.result.filter((old) => old.url === item.url).forEach((old) => items.delete(old.id));
      items.put(item);
    };
  });
}

// A CSRF token for the current login, or null when the login has ended (a redirect to log in).
async function freshToken() {
  const response = await fetch("/outbox/token", {redirect: "manual", cache: "no-store"});
  if (response.type === "opaqueredirect") return null;
  if (!response.ok) throw new Error(`token: ${response.status}`);
  return (await response.json()).csrf_token;
}

// One attempt to send an item, and what came of it.
async function post(item, token) {
  const fields = new URLSearchParams(item.fields);
  if (item.waited && !fields.has("channel")) fields.set("channel", "offline");
  let response;
  try {
    response = await fetch(item.url, {method: "POST", body: fields, redirect: "manual",
      headers: {"X-Outbox": "1", "X-CSRFToken": token}});
  } catch {
    return {outcome: WAITING};  // no network: try again later
  }
  if (response.type === "opaqueredirect") return {outcome: LOG_IN};
  if (response.status === 400) return {outcome: "token"};
  const answer = await response.json().catch(() => ({}));
  if (response.ok && answer.ok && answer.client_id === item.id) return {outcome: SENT};
  if (response.status === 422 || REFUSED[response.status]) {
    return {outcome: ATTENTION, message: answer.message || REFUSED[response.status]};
  }
  return {outcome: WAITING};  // a server error or a wifi login page: try again later
}

// Sends an item (with one retry on a stale token) and records the outcome in the outbox.
async function deliver(item, token) {
  let result = await post(item, token.value);
  if (result.outcome === "token") {
    token.value = await freshToken().catch(() => null);
    result = token.value ? await post(item, token.value) : {outcome: LOG_IN};
    if (result.outcome === "token") result = {outcome: LOG_IN};
  }
  if (result.outcome === SENT) await change((items) => items.delete(item.id));
  else await update(item.id, {state: result.outcome, message: result.message || "", waited: true});
  return result.outcome;
}

// Sends what waits, oldest first, one at a time; one tab at a time where the browser can tell.
// A call made while a flush runs waits for it and then looks again (the wifi may have come back
// meanwhile); calls made while one already waits join that one.
let waitingFlush = null;
function flush() {
  if (!navigator.locks) return sendAll();
  waitingFlush ??= navigator.locks.request("inreach-outbox", () => {
    waitingFlush = null;
    return sendAll();
  });
  return waitingFlush;
}

async function sendAll() {
  const pending = (await allItems()).filter((item) => item.state !== ATTENTION);
  if (!pending.length) return;
  let token;
  try {
    token = {value: await freshToken()};
  } catch {
    return;  // offline
  }
  for (const item of pending) {
    const outcome = token.value ? await deliver(item, token) : LOG_IN;
    if (outcome === LOG_IN) await update(item.id, {state: LOG_IN});
    if (outcome === WAITING) break;
  }
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function paragraph(text, link) {
  const p = document.createElement("p");
  p.textContent = text;
  if (link) {
    const a = document.createElement("a");
    a.className = "inreach-row-link";
    a.href = link.href;
    a.textContent = link.text;
    p.append(" ", a);
  }
  return p;
}

function say(...paragraphs) {
  if (!BANNER) return;
  BANNER.replaceChildren(...paragraphs);
  BANNER.hidden = !paragraphs.length;
}

// The status line on every page, and on a session's list the men with something unsent.
async function show() {
  const items = await allItems();
  const waiting = items.filter((item) => item.state !== ATTENTION);
  const refused = items.filter((item) => item.state === ATTENTION);
  const lines = [];
  if (waiting.some((item) => item.state === LOG_IN)) {
    const next = encodeURIComponent(location.pathname);
    lines.push(paragraph(`Log in again to send ${waiting.length} waiting. They are kept on ` +
      "this tablet until they are sent.", {href: `/login?next=${next}`, text: "Log in"}));
  } else if (waiting.length) {
    lines.push(paragraph(`${waiting.length} waiting to send. They are kept on this tablet and ` +
      "sent when the wifi is back."));
  }
  if (refused.length) {
    const inSession = location.pathname.startsWith(refused[0].list);  // its list or a form
    lines.push(paragraph(`${plural(refused.length, "needs", "need")} attention: ` +
      `could not be sent. ${refused[0].message}`,
      inSession ? null : {href: refused[0].list, text: "Open the session's list to fix"}));
  }
  say(...lines);
  markCards(items);
}

function cardOf(item) {
  return item.list === location.pathname &&
    document.querySelector(`[data-filter-card][data-member="${CSS.escape(item.member)}"]`);
}

// On a session's list: a tag on each man with something unsent, and the refused ones listed
// with a link to reopen his form (his answers come back) or remove them.
function markCards(items) {
  document.querySelectorAll("[data-outbox-tag]").forEach((tag) => tag.remove());
  for (const item of items) {
    const status = cardOf(item)?.querySelector("[data-status]");
    if (!status) continue;
    const tag = document.createElement("strong");
    tag.dataset.outboxTag = "";
    const refused = item.state === ATTENTION;
    tag.className = `nhsuk-tag ${refused ? "nhsuk-tag--red" : "nhsuk-tag--orange"}`;
    tag.textContent = refused ? "Needs attention" : "Waiting to send";
    status.after(" ", tag);
  }
  const box = document.querySelector("[data-outbox-status]");
  if (!box) return;
  const here = location.pathname;
  const refused = items.filter((item) => item.state === ATTENTION && item.list === here);
  box.hidden = !refused.length;
  box.querySelector("[data-outbox-text]").textContent = refused.length ?
    `${plural(refused.length, "form", "forms")} could not be sent. Open each to fix it, or ` +
    "remove it if it was entered by mistake." : "";
  box.querySelector("ul")?.remove();
  if (refused.length) box.append(refusedList(refused));
}

function refusedList(refused) {
  const list = document.createElement("ul");
  list.className = "nhsuk-list";
  for (const item of refused) {
    const name = cardOf(item)?.querySelector("a")?.textContent || "His form";
    const link = document.createElement("a");
    link.className = "inreach-row-link";
    link.href = item.url;
    link.textContent = name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "nhsuk-button nhsuk-button--secondary nhsuk-u-margin-bottom-2";
    remove.textContent = `Remove ${name}'s unsent form`;
    remove.addEventListener("click", async () => {
      if (!confirm(`Remove ${name}'s unsent form? What was entered on it will be lost.`)) return;
      await change((items) => items.delete(item.id));
      await show();
    });
    const entry = document.createElement("li");
    entry.append(link, ` ${item.message} `, remove);
    list.append(entry);
  }
  return list;
}

// On a man's form: what waits for him comes back into the form, with the server's refusal.
function explain(form, item) {
  document.querySelector("[data-outbox-problem]")?.remove();
  const box = document.createElement("div");
  box.dataset.outboxProblem = "";
  box.tabIndex = -1;
  if (item.state === ATTENTION) {
    box.className = "nhsuk-error-summary";
    box.setAttribute("role", "alert");
    const title = document.createElement("h2");
    title.className = "nhsuk-error-summary__title";
    title.textContent = "This form could not be sent";
    box.append(title, paragraph(`${item.message} Change the form and save it again.`));
  } else {
    box.className = "nhsuk-inset-text";
    box.append(paragraph("Not sent yet: this is what is waiting to send. Saving again " +
      "replaces it."));
  }
  form.before(box);
  return box;
}

function restore(form, item) {
  const fields = new URLSearchParams(item.fields);
  const keep = new Set(["csrf_token", "client_id", "set_id", "consent_version", "channel"]);
  for (const input of form.elements) {
    if (!input.name || keep.has(input.name)) continue;
    if (input.type === "checkbox" || input.type === "radio") {
      input.checked = fields.getAll(input.name).includes(input.value);
    } else if ("value" in input && input.type !== "submit") {
      input.value = fields.get(input.name) ?? "";
    }
  }
  explain(form, item);
}

// The list of the session the form belongs to: its URL without the last segment.
function listUrl() {
  return location.pathname.replace(/[^/]*$/, "");
}

async function submit(form, event) {
  event.preventDefault();
  if (form.dataset.sending) return;  // one tap, one submission
  form.dataset.sending = "yes";
  const fields = new URLSearchParams(new FormData(form));
  fields.delete("csrf_token");  // sent fresh in a header: the page's may be from an ended login
  const item = {id: fields.get("client_id"), url: location.pathname + location.search,
    list: listUrl(), member: form.dataset.member, fields: fields.toString(),
    queued: new Date().toISOString(), state: WAITING, message: "", waited: false};
  try {
    await replace(item);  // on the tablet first, then sent
  } catch {
    form.submit();  // no outbox in this browser: post the form as it is
    return;
  }
  let outcome;
  try {
    const token = {value: await freshToken()};
    outcome = token.value ? await deliver(item, token) : LOG_IN;
  } catch {
    outcome = WAITING;
  }
  if (outcome !== SENT && outcome !== ATTENTION) {
    await update(item.id, {state: outcome, waited: true});
  }
  if (outcome === ATTENTION) {
    delete form.dataset.sending;
    explain(form, (await allItems()).find((stored) => stored.id === item.id)).focus();
    return;
  }
  location.href = item.list;  // from the tablet's copy when offline
}

// Each page load gets its own submission id: the server's may be on a copy of the page that
// the tablet kept, and two submissions must never share one.
function freshId(form) {
  if (crypto.randomUUID) form.querySelector("[data-client-id]").value = crypto.randomUUID();
}

async function prepareForm(form) {
  freshId(form);
  addEventListener("pageshow", (event) => event.persisted && freshId(form));
  form.addEventListener("submit", (event) => submit(form, event));
  const path = location.pathname + location.search;
  const waiting = (await allItems()).find((item) => item.url === path);
  if (waiting) restore(form, waiting);
}

// Logging out clears this tablet, so it waits until nothing is left to send.
async function guardLogout(event) {
  event.preventDefault();
  const items = await allItems().catch(() => []);
  if (!items.length) {
    LOGOUT.submit();
    return;
  }
  const refused = items.filter((item) => item.state === ATTENTION).length;
  const waiting = items.length - refused;
  const lines = [];
  if (waiting) {
    lines.push(paragraph(`${plural(waiting, "referral is", "referrals are")} waiting to send. ` +
      "Connect to the wifi and wait until nothing is waiting before logging out."));
  }
  if (refused) {
    lines.push(paragraph(`${plural(refused, "form needs", "forms need")} attention. Fix or ` +
      "remove them on the session's list before logging out."));
  }
  say(...lines);
  BANNER?.scrollIntoView();
}

// On a session's list, seen online: have the service worker keep each unrecorded man's form,
// so he can be recorded without wifi. Recorded men's forms are let go (they hold his details).
function keepForms() {
  const cards = [...document.querySelectorAll("[data-filter-card][data-member]")];
  if (!cards.length || !navigator.onLine || !navigator.serviceWorker) return;
  const link = (card) => card.querySelector("a").href;
  navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage({
    keep: cards.filter((card) => !("saved" in card.dataset)).map(link),
    forget: cards.filter((card) => "saved" in card.dataset).map(link),
  }));
}

async function start() {
  navigator.serviceWorker?.register("/sw.js").catch((error) => console.warn("sw:", error));
  LOGOUT?.addEventListener("submit", guardLogout);
  try {
    if (CAPTURE_FORM) await prepareForm(CAPTURE_FORM);
    keepForms();
    await show();
    await flush();
    await show();
  } catch (error) {
    console.warn("outbox:", error);  // no IndexedDB (e.g. private browsing): forms post as usual
  }
}

function retry() {
  flush().then(show).catch(() => {});
}

addEventListener("online", retry);
// The online event misses wifi that is up but cannot reach the server yet; look again now and then.
setInterval(retry, 30000);
start();
