// The app's screens other than the diary questions.
import { call, publicCall, ApiError, Offline } from "./api.js";
import { lineChart, series } from "./charts.js";
import { LANGUAGES, gettext, ngettext } from "./i18n.js";
import { canScan, linkedCode, scan } from "./scan.js";
import { kv, outbox } from "./store.js";
import { h, isoNow, show, uuid, when } from "./ui.js";
import * as main from "./main.js";

function contacts(app) {
  const c = (app.catalogue && app.catalogue.contacts) || {};
  return {
    phone: c.clinic_phone_24h || (app.me && app.me.clinic_phone_24h) || "",
    emergency: c.emergency_number || "112",
  };
}

function tel(number) {
  return `tel:${number.replace(/[^+\d]/g, "")}`;
}

function alwaysLine(app) {
  const { phone, emergency } = contacts(app);
  const text = app.catalogue ? app.catalogue.messages.always : gettext("If you feel very unwell, call the 24-hour line or the emergency number now.");
  return h(
    "aside",
    { class: "always", "aria-label": gettext("Urgent help") },
    h("p", {}, text),
    h(
      "p",
      { class: "calls" },
      phone ? h("a", { href: tel(phone), class: "call-link" }, `${gettext("24-hour line")}: ${phone}`) : null,
      h("a", { href: tel(emergency), class: "call-link" }, `${gettext("Emergency")}: ${emergency}`),
    ),
  );
}

function errorText(error) {
  if (error instanceof Offline) return gettext("You are offline. Try again when you have a connection.");
  if (error instanceof ApiError) {
    const fields = error.body.fields || {};
    const details = Object.values(fields).flat().join(" ");
    return `${error.body.message || gettext("Something went wrong.")} ${details}`.trim();
  }
  return gettext("Something went wrong.");
}

function languagePicker(app, id) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, gettext("Language")),
    h(
      "select",
      {
        id,
        on: {
          change: async (event) => {
            await kv.set("lang_chosen", true);
            await main.setLanguage(event.target.value);
            await main.route();
          },
        },
      },
      LANGUAGES.map(([code, name]) =>
        h("option", { value: code, selected: code === app.lang, lang: code === "zh-hans" ? "zh-Hans" : code }, name),
      ),
    ),
  );
}

// --- enrol and sign in --------------------------------------------------------------------

export function welcome(app) {
  const problem = h("p", { class: "error", role: "alert" });
  const code = h("input", { id: "code", name: "code", autocomplete: "one-time-code", autocapitalize: "characters", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "new-password", minlength: 8, required: true });
  // Opened from the enrolment QR code: the code is filled in, and taken out of the address so
  // that it is not left in the history or a bookmark.
  const linked = linkedCode(location.hash);
  if (linked) {
    code.value = linked;
    window.history.replaceState(null, "", location.pathname + location.search);
  }
  const video = h("video", { class: "scanner", playsinline: true, muted: true, hidden: true, "aria-hidden": "true" });
  const scanButton = canScan()
    ? h(
        "button",
        {
          type: "button",
          class: "secondary",
          on: {
            click: async () => {
              video.hidden = false;
              try {
                const found = await scan(video);
                if (found) code.value = found;
              } catch (error) {
                problem.textContent = gettext("The camera could not be used. Type the code instead.");
              }
              video.hidden = true;
            },
          },
        },
        gettext("Scan the QR code"),
      )
    : null;
  const enrol = h(
    "form",
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          problem.textContent = "";
          try {
            const data = await publicCall("auth/enroll/", { code: code.value.trim(), password: password.value });
            await main.signedIn(
              { access: data.access, refresh: data.refresh, subject_id: data.subject_id },
              { enrolled: true },
            );
          } catch (error) {
            problem.textContent = errorText(error);
          }
        },
      },
    },
    h("h2", {}, gettext("First time: enrol with your code")),
    h("div", { class: "field" }, h("label", { for: "code" }, gettext("Enrolment code from your care team")), code, scanButton, video),
    h(
      "div",
      { class: "field" },
      h("label", { for: "password" }, gettext("Choose a password (8 characters or more)")),
      password,
    ),
    h("button", { type: "submit", class: "primary" }, gettext("Enrol")),
  );
  const subject = h("input", { id: "subject", autocomplete: "username", required: true });
  const secret = h("input", { id: "secret", type: "password", autocomplete: "current-password", required: true });
  const signIn = h(
    "form",
    {
      on: {
        submit: async (event) => {
          event.preventDefault();
          problem.textContent = "";
          try {
            const data = await publicCall("auth/token/", { username: subject.value.trim(), password: secret.value });
            await main.signedIn({ ...data, subject_id: subject.value.trim() });
          } catch (error) {
            problem.textContent = errorText(error);
          }
        },
      },
    },
    h("h2", {}, gettext("Already enrolled: sign in")),
    h("div", { class: "field" }, h("label", { for: "subject" }, gettext("Your study number")), subject),
    h("div", { class: "field" }, h("label", { for: "secret" }, gettext("Password")), secret),
    h("button", { type: "submit", class: "primary" }, gettext("Sign in")),
  );
  show(
    h(
      "section",
      { class: "welcome" },
      h("h1", {}, gettext("Welcome to your treatment diary")),
      h("p", {}, gettext("Tell your care team how you are, every day, even without a connection.")),
      languagePicker(app, "welcome-language"),
      problem,
      enrol,
      signIn,
      alwaysLine(app),
    ),
  );
}

// --- home ---------------------------------------------------------------------------------

export async function home(app) {
  const due = app.me ? app.me.questionnaires_due : 0;
  show(
    h(
      "section",
      { class: "home" },
      h("h1", {}, gettext("How are you today?")),
      app.carer ? h("p", { class: "carer" }, gettext("You are answering for the patient.")) : null,
      h("a", { href: "#diary", class: "button primary big" }, gettext("Start today's diary")),
      due
        ? h(
            "a",
            { href: "#questionnaires", class: "button secondary" },
            ngettext("%(count)s questionnaire to answer", "%(count)s questionnaires to answer", due),
          )
        : null,
      h("a", { href: "#history", class: "button secondary" }, gettext("My history")),
      alwaysLine(app),
    ),
  );
}

export function message(app, title, text) {
  show(h("section", {}, h("h1", {}, title), h("p", {}, text), h("a", { href: "#home", class: "button primary" }, gettext("Done")), alwaysLine(app)));
}

// --- after a report -----------------------------------------------------------------------

export function adviceScreen(app, entry, answer) {
  const messages = app.catalogue.messages;
  const parts = [];
  if (answer) {
    parts.push(h("p", { class: `level level-${answer.alert_level}` }, messages.levels[answer.alert_level] || ""));
    if ((answer.advice || []).length) {
      parts.push(
        h("h2", {}, gettext("Advice from your care team")),
        h("ul", { class: "advice" }, answer.advice.map((item) => h("li", {}, item.text))),
      );
    }
  } else {
    parts.push(
      h("p", { class: "level" }, gettext("Saved on this phone. It will be sent to your care team when you are online.")),
    );
  }
  show(
    h(
      "section",
      { class: "advice-screen" },
      h("h1", {}, gettext("Thank you")),
      parts,
      h("a", { href: "#home", class: "button primary" }, gettext("Done")),
      alwaysLine(app),
    ),
  );
}

export function callScreen(app, kinds, answer) {
  const { phone, emergency } = contacts(app);
  const messages = app.catalogue.messages;
  const unique = [...new Set(kinds)];
  const texts = unique.map((kind) => messages.red_by_kind[kind]).filter(Boolean);
  const sent = Boolean(answer);
  show(
    h(
      "section",
      { class: "call-screen", role: "alertdialog", "aria-labelledby": "call-title", "aria-describedby": "call-text" },
      h("h1", { id: "call-title" }, gettext("Call now")),
      h("div", { id: "call-text" }, h("p", { class: "every-red" }, messages.every_red), texts.map((text) => h("p", {}, text))),
      phone
        ? h("a", { href: tel(phone), class: "button call" }, `${gettext("Call the 24-hour line")} ${phone}`)
        : null,
      h("a", { href: tel(emergency), class: "button call emergency" }, `${gettext("Call the emergency number")} ${emergency}`),
      h(
        "p",
        { class: "sent-state" },
        sent
          ? gettext("Your answers were sent to your care team.")
          : gettext("Your answers are saved on this phone and will be sent when you are online. Do not wait: call now."),
      ),
      h("a", { href: "#home", class: "button secondary" }, gettext("Back to the app")),
    ),
  );
  document.body.classList.add("calling");
  window.addEventListener("hashchange", () => document.body.classList.remove("calling"), { once: true });
}

// --- history ------------------------------------------------------------------------------

function stateLabel(entry) {
  if (entry.state === "saved") return gettext("Saved on phone");
  if (entry.state === "invalid" || entry.state === "conflict") return gettext("Not accepted: check with your care team");
  return gettext("Sent");
}

export async function history(app) {
  let server = (await kv.get("history")) || [];
  try {
    server = (await call("entries/?page_size=50")).data.results || [];
    await kv.set("history", server);
  } catch (error) {
    // offline: the last list seen
  }
  const local = await outbox.all();
  const seen = new Set(server.map((e) => e.id));
  const rows = [
    ...local.filter((e) => !seen.has(e.id) || e.state !== "sent").filter((e) => !seen.has(e.id)).map((e) => ({
      id: e.id,
      recorded_at: e.body.recorded_at,
      symptoms: e.body.symptoms,
      state: e.state,
    })),
    ...server.map((e) => ({ id: e.id, recorded_at: e.recorded_at, symptoms: e.symptoms, state: "sent", alert_level: e.alert_level })),
  ].sort((a, b) => (new Date(a.recorded_at) < new Date(b.recorded_at) ? 1 : -1));
  const titles = Object.fromEntries((app.catalogue ? app.catalogue.terms : []).map((t) => [t.term, t.label]));
  const temperature = series(rows, (s) =>
    s.fever ? (typeof s.fever.temp_c === "number" ? s.fever.temp_c : typeof s.fever.temp_f === "number" ? ((s.fever.temp_f - 32) * 5) / 9 : undefined) : undefined,
  );
  const spo2 = series(rows, (s) => (s.hypoxia ? s.hypoxia.spo2_rest : undefined));
  const stools = series(rows, (s) => (s.diarrhea ? s.diarrhea.stools_over_baseline : undefined));
  const charts = [
    lineChart({ title: gettext("Temperature"), unit: "°C", points: temperature, low: 36, high: 38.5, describe: (last, n) => gettext("Temperature, %(n)s readings, latest %(last)s °C", { n, last: last.toFixed(1) }) }),
    lineChart({ title: gettext("Oxygen at rest"), unit: "%", points: spo2, low: 88, high: 100, describe: (last, n) => gettext("Oxygen at rest, %(n)s readings, latest %(last)s %%", { n, last }) }),
    lineChart({ title: gettext("Extra stools a day"), unit: gettext("stools"), points: stools, low: 0, high: 4, describe: (last, n) => gettext("Extra stools, %(n)s reports, latest %(last)s", { n, last }) }),
  ].filter(Boolean);
  show(
    h(
      "section",
      { class: "history" },
      h("h1", {}, gettext("My history")),
      charts.length ? h("div", { class: "charts" }, charts) : null,
      rows.length
        ? h(
            "ol",
            { class: "entries" },
            rows.map((row) =>
              h(
                "li",
                { class: `entry state-${row.state}`, "data-id": row.id },
                h("p", { class: "entry-when" }, when(row.recorded_at, app.lang)),
                h("p", { class: "entry-terms" }, Object.keys(row.symptoms || {}).map((t) => titles[t] || t).join(", ")),
                h("p", { class: "badge" }, stateLabel(row)),
              ),
            ),
          )
        : h("p", {}, gettext("Nothing recorded yet.")),
    ),
  );
}

// --- questionnaires -----------------------------------------------------------------------

export async function questionnaires(app) {
  let due;
  try {
    due = (await call("questionnaires/due/", { headers: { "Accept-Language": app.lang } })).data.results;
  } catch (error) {
    message(app, gettext("Questionnaires"), errorText(error));
    return;
  }
  if (!due.length) {
    message(app, gettext("Questionnaires"), gettext("No questionnaire is due now."));
    return;
  }
  show(
    h(
      "section",
      {},
      h("h1", {}, gettext("Questionnaires")),
      h("ul", { class: "list" }, due.map((q) => h("li", {}, h("button", { type: "button", class: "secondary", on: { click: () => questionnaire(app, q) } }, q.title)))),
    ),
  );
}

function questionnaire(app, due) {
  const definition = due.definition;
  const answers = {};
  const problem = h("p", { class: "error", role: "alert" });
  const missingText = definition.items.some((item) => !item.text_loaded);
  const enabled = (item) => !item.enable_when || (answers[item.enable_when.item] ?? -1) > item.enable_when.greater_than;
  const form = h("form", {
    on: {
      submit: async (event) => {
        event.preventDefault();
        const body = {
          id: uuid(),
          instrument: due.instrument,
          version: due.version,
          completed_at: isoNow(),
          answers: Object.fromEntries(definition.items.filter(enabled).filter((i) => i.code in answers).map((i) => [i.code, answers[i.code]])),
        };
        try {
          const { data } = await call("questionnaires/responses/", { method: "POST", body });
          // A response's answer carries the alert level and advice once the server gives them
          // (reference §5.4): RED opens the call screen, as after a diary entry.
          if (data && data.alert_level === "red") callScreen(app, [], data);
          else if (data && data.alert_level) adviceScreen(app, null, data);
          else message(app, gettext("Thank you"), gettext("Your answers were sent to your care team."));
        } catch (error) {
          problem.textContent = errorText(error);
        }
      },
    },
  });
  const render = () => {
    form.replaceChildren(
      ...definition.items.filter(enabled).map((item) =>
        h(
          "fieldset",
          { class: "field" },
          h("legend", {}, item.text),
          h(
            "div",
            { class: "options" },
            item.answers.map((option) => {
              const id = `q-${item.code}-${option.value}`;
              return h(
                "label",
                { class: "option", for: id },
                h("input", {
                  type: "radio",
                  id,
                  name: `q-${item.code}`,
                  checked: answers[item.code] === option.value,
                  on: { change: () => { answers[item.code] = option.value; render(); } },
                }),
                h("span", {}, option.text),
              );
            }),
          ),
        ),
      ),
      problem,
      h("button", { type: "submit", class: "primary" }, gettext("Send")),
    );
  };
  render();
  show(
    h(
      "section",
      {},
      h("h1", {}, definition.title),
      missingText
        ? h("p", { class: "note" }, gettext("Some questions are not available in your language yet. Ask your care team."))
        : null,
      form,
    ),
  );
}

// --- settings -----------------------------------------------------------------------------

function base64ToBytes(text) {
  const padded = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function reminderState() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !document.body.dataset.vapidPublicKey) {
    return "unavailable";
  }
  const registration = await navigator.serviceWorker.getRegistration("/app/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  return subscription ? "on" : "off";
}

async function turnOnReminders() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("denied");
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64ToBytes(document.body.dataset.vapidPublicKey),
  });
  await call("devices/", { method: "POST", body: { platform: "webpush", token: JSON.stringify(subscription) } });
}

async function turnOffReminders() {
  const registration = await navigator.serviceWorker.getRegistration("/app/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  if (!subscription) return;
  await call("devices/", { method: "DELETE", body: { token: JSON.stringify(subscription) } }).catch(() => null);
  await subscription.unsubscribe();
}

export async function settings(app) {
  const problem = h("p", { class: "error", role: "alert" });
  const state = await reminderState();
  const reminders =
    state === "unavailable"
      ? h("p", {}, gettext("Reminders are not available in this browser."))
      : h(
          "button",
          {
            type: "button",
            class: "secondary",
            "aria-pressed": state === "on" ? "true" : "false",
            on: {
              click: async () => {
                try {
                  if (state === "on") await turnOffReminders();
                  else await turnOnReminders();
                } catch (error) {
                  problem.textContent = gettext("Reminders could not be changed. Allow notifications for this app.");
                  return;
                }
                settings(app);
              },
            },
          },
          state === "on" ? gettext("Turn reminders off") : gettext("Turn reminders on"),
        );
  const carer = h("input", {
    type: "checkbox",
    id: "carer",
    checked: app.carer,
    on: {
      change: async (event) => {
        app.carer = event.target.checked;
        await kv.set("carer", app.carer);
      },
    },
  });
  const waiting = (await outbox.pending()).length;
  show(
    h(
      "section",
      { class: "settings" },
      h("h1", {}, gettext("Settings")),
      languagePicker(app, "language"),
      h("h2", {}, gettext("Reminders")),
      reminders,
      h("h2", {}, gettext("Who is answering")),
      h("div", { class: "check" }, carer, h("label", { for: "carer" }, gettext("I am answering for the patient (carer)"))),
      h("h2", {}, gettext("Account")),
      app.session ? h("p", {}, `${gettext("Study number")}: ${app.session.subject_id || (app.me && app.me.subject_id) || ""}`) : null,
      waiting
        ? h("p", { class: "note" }, gettext("Some entries are not sent yet: connect to the internet before you sign out."))
        : h("button", { type: "button", class: "secondary", on: { click: () => main.signOut() } }, gettext("Sign out")),
      problem,
    ),
  );
}
