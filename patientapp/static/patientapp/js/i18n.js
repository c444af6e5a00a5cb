// The app's own strings (Django's djangojs catalogue, /app/i18n/<lang>.json, kept offline by the
// service worker). Symptom texts and advice come translated in the diary catalogue instead.
export const LANGUAGES = [["en", "English"], ["es", "Español"], ["zh-hans", "简体中文"]];
let strings = {};
let current = "en";

export function language() {
  return current;
}

export function supported(tag) {
  const value = (tag || "").toLowerCase();
  if (value.startsWith("zh")) return /hant|-tw|-hk|-mo/.test(value) ? null : "zh-hans";
  const base = value.split("-")[0];
  return ["en", "es"].includes(base) ? base : null;
}

export function guess() {
  for (const tag of navigator.languages || [navigator.language]) {
    const found = supported(tag);
    if (found) return found;
  }
  return "en";
}

export async function load(lang) {
  current = lang;
  try {
    const answer = await fetch(`${document.body.dataset.i18n}${lang}.json`);
    strings = (await answer.json()).catalog || {};
  } catch (error) {
    strings = {};
  }
  document.documentElement.lang = lang === "zh-hans" ? "zh-Hans" : lang;
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = gettext("Skip to content");
  const nav = document.getElementById("nav");
  if (nav) nav.setAttribute("aria-label", gettext("Main"));
}

function fill(text, values) {
  if (!values) return text;
  return text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])).replace(/%%/g, "%");
}

export function gettext(text, values) {
  const found = strings[text];
  const chosen = typeof found === "string" && found ? found : Array.isArray(found) ? found[0] : text;
  return fill(chosen, values);
}

export function ngettext(singular, plural, count, values) {
  const found = strings[singular];
  let chosen = count === 1 ? singular : plural;
  if (Array.isArray(found) && found.length) {
    // Spanish: [one, other]; Chinese: [other].
    chosen = found.length === 1 ? found[0] : found[count === 1 ? 0 : 1];
  }
  return fill(chosen, { count, ...(values || {}) });
}
