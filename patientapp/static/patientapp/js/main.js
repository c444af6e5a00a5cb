// ToxWatch patient app: start-up, routing (#home, #diary, ...), the catalogue, and the outbox
// sync through the batch endpoint (on open, when the connection returns, after each save).
import { call, ApiError, Offline } from "./api.js";
import { callNowFired, termScreen } from "./diary.js";
import { gettext, guess, load, ngettext } from "./i18n.js";
import * as screens from "./screens.js";
import { kv, outbox } from "./store.js";
import { h, isoNow, uuid } from "./ui.js";

export const app = {
  session: null,
  catalogue: null,
  me: null,
  lang: "en",
  carer: false,
  syncing: null,
};

// --- the catalogue ------------------------------------------------------------------------

async function fetchCatalogue(lang) {
  const cached = await kv.get(`catalogue:${lang}`);
  try {
    const headers = cached && cached.etag ? { "If-None-Match": cached.etag } : {};
    const answer = await call(`catalogue/?lang=${encodeURIComponent(lang)}`, { headers });
    if (answer.status === 304 && cached) return cached.data;
    const fresh = { etag: answer.headers.get("ETag"), data: answer.data };
    await kv.set(`catalogue:${lang}`, fresh);
    return fresh.data;
  } catch (error) {
    if (cached) return cached.data;
    const any = await kv.get("catalogue:last");
    if (any) return any;
    throw error;
  }
}

export async function refreshCatalogue() {
  app.catalogue = await fetchCatalogue(app.lang);
  await kv.set("catalogue:last", app.catalogue);
  return app.catalogue;
}

async function refreshMe() {
  try {
    app.me = (await call("me/")).data;
    await kv.set("me", app.me);
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    app.me = (await kv.get("me")) || app.me;
  }
}

// --- language -----------------------------------------------------------------------------

export async function setLanguage(lang, { tell = true } = {}) {
  app.lang = lang;
  await kv.set("lang", lang);
  await load(lang);
  renderNav();
  if (app.session) {
    await refreshCatalogue().catch(() => null);
    if (tell) {
      await kv.set("language_pending", lang);
      await pushLanguage();
    }
  }
}

async function pushLanguage() {
  const pending = await kv.get("language_pending");
  if (!pending || !app.session) return;
  try {
    await call("me/", { method: "PATCH", body: { language: pending } });
    await kv.remove("language_pending");
  } catch (error) {
    // offline: sent with the next sync
  }
}

// --- the outbox ---------------------------------------------------------------------------

export async function updateSyncState() {
  const element = document.getElementById("sync-state");
  if (!element) return;
  const waiting = (await outbox.pending()).length;
  const online = navigator.onLine;
  element.dataset.waiting = String(waiting);
  element.dataset.online = String(online);
  if (!app.session && !waiting) {
    element.textContent = online ? "" : gettext("Offline");
    return;
  }
  let text;
  if (waiting) {
    text = ngettext(
      "%(count)s entry saved on this phone, not sent yet",
      "%(count)s entries saved on this phone, not sent yet",
      waiting,
    );
  } else {
    text = gettext("Everything is sent");
  }
  element.textContent = online ? text : `${gettext("Offline")} · ${text}`;
}

async function sendOutbox() {
  try {
    if (!app.session || !navigator.onLine) return;
    await pushLanguage();
    const waiting = await outbox.pending();
    for (let start = 0; start < waiting.length; start += 100) {
      const chunk = waiting.slice(start, start + 100);
      const answer = await call("entries/batch/", { method: "POST", body: { entries: chunk.map((e) => e.body) } });
      for (const [position, result] of (answer.data.results || []).entries()) {
        const entry = chunk[position];
        if (!entry) continue;
        if (result.status === "created" || result.status === "duplicate") {
          entry.state = "sent";
          entry.sent_at = new Date().toISOString();
          if (result.alert_level) entry.alert_level = result.alert_level;
        } else {
          entry.state = result.status; // invalid or conflict: shown in the history
          entry.errors = result.errors || {};
        }
        await outbox.put(entry);
      }
    }
  } catch (error) {
    if (!(error instanceof Offline) && !(error instanceof ApiError)) throw error;
  } finally {
    await updateSyncState();
  }
}

/** Send what waits in the outbox (batch; replays are harmless: the API is idempotent). */
export function sync() {
  if (!app.syncing) app.syncing = sendOutbox().finally(() => { app.syncing = null; });
  return app.syncing;
}

/** Write the entry to the outbox first, then try to send it on its own for the advice. */
export async function saveEntry(symptoms, extra = {}) {
  const body = {
    id: uuid(),
    recorded_at: isoNow(),
    symptoms,
    reporter: app.carer ? "carer" : "patient",
    ...extra,
  };
  const entry = { id: body.id, body, state: "saved", saved_at: new Date().toISOString() };
  await outbox.put(entry);
  await updateSyncState();
  let answer = null;
  try {
    answer = (await call("entries/", { method: "POST", body })).data;
    entry.state = "sent";
    entry.sent_at = new Date().toISOString();
    entry.alert_level = answer.alert_level;
    await outbox.put(entry);
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      entry.state = error.status === 422 ? "conflict" : "invalid";
      entry.errors = error.body.fields || {};
      await outbox.put(entry);
    }
  }
  await updateSyncState();
  return { entry, answer };
}

// --- the diary ----------------------------------------------------------------------------

const MEDICATIONS = "medications";

/** The medicines screen: loperamide when diarrhoea was reported, TKI doses on a TKI. */
function medicationsTerm(catalogue, answers) {
  const meds = catalogue.medications;
  if (!meds) return null;
  const diarrhoea = answers.diarrhea && Object.values(answers.diarrhea).some((v) => v && v !== "none");
  const wanted = meds.ask.filter((name) => name !== "loperamide_mg" || diarrhoea);
  const fields = meds.fields.filter((field) => wanted.includes(field.name));
  return fields.length ? { term: MEDICATIONS, label: meds.label, fields } : null;
}

export async function startDiary() {
  const catalogue = app.catalogue;
  const terms = Object.fromEntries(catalogue.terms.map((t) => [t.term, t]));
  const order = (catalogue.ask_today || []).filter((name) => terms[name]);
  const answers = {};
  let medications = {};
  const step = (index) => {
    const meds = index >= order.length ? medicationsTerm(catalogue, answers) : null;
    const total = order.length + (medicationsTerm(catalogue, answers) ? 1 : 0);
    if (index >= order.length && (!meds || index > order.length)) return finish();
    const term = meds || terms[order[index]];
    const isMeds = term.term === MEDICATIONS;
    const keep = (current) => {
      if (isMeds) medications = current;
      else if (Object.keys(current).length) answers[term.term] = current;
      else delete answers[term.term];
    };
    return termScreen({
      term,
      index,
      total: Math.max(total, index + 1),
      answers: isMeds ? medications : answers[term.term] || {},
      carer: app.carer,
      onBack: (current) => {
        keep(current);
        step(index - 1);
      },
      onSkip: () => {
        keep({});
        step(index + 1);
      },
      onFinish: (current) => {
        keep(current);
        return finish();
      },
      onNext: async (current) => {
        keep(current);
        const fired = isMeds ? [] : callNowFired(catalogue, { [term.term]: current });
        if (fired.length) {
          // A call-now answer: save what is answered so far and show the call screen at once.
          const { answer } = await saveEntry({ ...answers }, extra());
          screens.callScreen(app, fired.map((row) => row.kind), answer);
          return;
        }
        step(index + 1);
      },
    });
  };
  const extra = () => (Object.keys(medications).length ? { medications: { ...medications } } : {});
  const finish = async () => {
    if (!Object.keys(answers).length && !Object.keys(medications).length) {
      screens.message(app, gettext("Nothing to save"), gettext("You did not answer any question."));
      return;
    }
    const fired = callNowFired(catalogue, answers);
    const { entry, answer } = await saveEntry({ ...answers }, extra());
    if (fired.length || (answer && answer.alert_level === "red")) {
      screens.callScreen(app, fired.map((row) => row.kind), answer);
    } else {
      screens.adviceScreen(app, entry, answer);
    }
  };
  step(0);
}

// --- navigation ---------------------------------------------------------------------------

const ROUTES = {
  home: () => screens.home(app),
  diary: () => startDiary(),
  history: () => screens.history(app),
  questionnaires: () => screens.questionnaires(app),
  settings: () => screens.settings(app),
};

export function renderNav() {
  const nav = document.getElementById("nav");
  if (!app.session) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const here = (location.hash || "#home").slice(1);
  const link = (name, label) =>
    h(
      "a",
      {
        href: `#${name}`,
        "aria-current": here === name ? "page" : undefined,
        on: {
          click: (event) => {
            // The same screen again (e.g. a new diary after the last one): no hashchange.
            if (location.hash === `#${name}`) {
              event.preventDefault();
              route();
            }
          },
        },
      },
      label,
    );
  nav.replaceChildren(
    link("home", gettext("Home")),
    link("diary", gettext("Diary")),
    link("history", gettext("History")),
    link("questionnaires", gettext("Questionnaires")),
    link("settings", gettext("Settings")),
  );
}

export async function route() {
  renderNav();
  if (!app.session) return screens.welcome(app);
  const name = (location.hash || "#home").slice(1);
  return (ROUTES[name] || ROUTES.home)();
}

export async function signedIn(session, { enrolled = false } = {}) {
  app.session = session;
  await kv.set("session", session);
  await refreshMe();
  const stored = app.me && app.me.language;
  if (enrolled || (await kv.get("lang_chosen"))) {
    // A new account, or a language picked on this phone: the patient's language from now on.
    if (stored !== app.lang) await kv.set("language_pending", app.lang);
  } else if (stored && stored !== app.lang) {
    app.lang = stored;
    await kv.set("lang", stored);
    await load(stored);
  }
  await refreshCatalogue();
  // The other languages too, so that switching works offline.
  for (const lang of ["en", "es", "zh-hans"]) if (lang !== app.lang) fetchCatalogue(lang).catch(() => null);
  await sync();
  location.hash = "#home";
  await route();
}

export async function signOut() {
  try {
    if (app.session) await call("auth/logout/", { method: "POST", body: { refresh: app.session.refresh } });
  } catch (error) {
    // signed out on this phone anyway
  }
  app.session = null;
  app.me = null;
  await kv.remove("session");
  await kv.remove("me");
  location.hash = "";
  await route();
}

async function start() {
  app.lang = (await kv.get("lang")) || guess();
  app.carer = Boolean(await kv.get("carer"));
  await load(app.lang);
  const session = await kv.get("session");
  if (session && !session.expired) {
    app.session = session;
    app.me = await kv.get("me");
    app.catalogue = (await kv.get(`catalogue:${app.lang}`))?.data || (await kv.get("catalogue:last"));
    refreshMe().then(() => null).catch(() => null);
    if (!app.catalogue) await refreshCatalogue().catch(() => null);
    else refreshCatalogue().catch(() => null);
  }
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { sync(); updateSyncState(); });
  window.addEventListener("offline", updateSyncState);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
  await updateSyncState();
  await route();
  sync();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(document.body.dataset.sw, { scope: "/app/" }).catch(() => null);
  }
  document.body.dataset.ready = "true";
}

start();
