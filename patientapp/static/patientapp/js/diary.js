// The day's diary: one term a screen, built from the catalogue; the "call now" answers are
// checked on the phone, so the call screen shows without a connection.
import { gettext } from "./i18n.js";
import { h, show } from "./ui.js";

export function callNowFired(catalogue, symptoms) {
  const fired = [];
  for (const row of catalogue.call_now || []) {
    const answers = symptoms[row.term];
    if (!answers || !(row.field in answers)) continue;
    const answer = answers[row.field];
    let hit = false;
    if (row.op === "is_true") hit = answer === true;
    else if (row.op === "equals") hit = answer === row.value;
    else if (row.op === "one_of") hit = Array.isArray(row.value) && row.value.includes(answer);
    else if (typeof answer === "number") {
      if (row.op === "at_least") hit = answer >= row.value;
      else if (row.op === "at_most") hit = answer <= row.value;
      else if (row.op === "below") hit = answer < row.value;
    }
    if (hit) fired.push(row);
  }
  return fired;
}

function fieldId(term, field) {
  return `f-${term}-${field}`;
}

function radios(term, field, options, current, onChange) {
  const name = fieldId(term, field.name);
  return h(
    "fieldset",
    { class: "field", id: name },
    h("legend", {}, field.label),
    field.help ? h("p", { class: "help" }, field.help) : null,
    h(
      "div",
      { class: "options" },
      options.map((option, index) => {
        const id = `${name}-${index}`;
        return h(
          "label",
          { class: "option", for: id },
          h("input", {
            type: "radio",
            id,
            name,
            value: String(index),
            checked: current === option.value,
            on: { change: () => onChange(option.value) },
          }),
          h("span", {}, option.label),
        );
      }),
    ),
  );
}

function numberField(term, field, current, onChange) {
  const id = fieldId(term, field.name);
  const hint = `${field.minimum}–${field.maximum}${field.unit ? ` ${field.unit}` : ""}`;
  const error = h("p", { class: "error", id: `${id}-error`, role: "alert" });
  const input = h("input", {
    id,
    type: "number",
    inputmode: field.kind === "int" ? "numeric" : "decimal",
    min: field.minimum,
    max: field.maximum,
    step: field.kind === "int" ? "1" : "any",
    value: current === undefined ? "" : String(current),
    "aria-describedby": `${id}-hint ${id}-error`,
    on: {
      input: (event) => {
        const text = event.target.value.trim();
        error.textContent = "";
        if (text === "") return onChange(undefined);
        const value = field.kind === "int" ? Number(text) : Number.parseFloat(text);
        const whole = field.kind !== "int" || Number.isInteger(value);
        if (!Number.isFinite(value) || !whole || value < field.minimum || value > field.maximum) {
          error.textContent = gettext("Enter a number from %(low)s to %(high)s.", {
            low: field.minimum,
            high: field.maximum,
          });
          return onChange(undefined, true);
        }
        return onChange(value);
      },
    },
  });
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, field.label),
    field.help ? h("p", { class: "help" }, field.help) : null,
    h("div", { class: "number" }, input, field.unit ? h("span", { class: "unit" }, field.unit) : null),
    h("p", { class: "hint", id: `${id}-hint` }, hint),
    error,
  );
}

function textField(term, field, current, onChange) {
  const id = fieldId(term, field.name);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, field.label),
    field.help ? h("p", { class: "help" }, field.help) : null,
    h("input", {
      id,
      type: "text",
      maxlength: field.max_length || 500,
      value: current || "",
      on: { input: (event) => onChange(event.target.value.trim() || undefined) },
    }),
  );
}

export function termScreen({ term, index, total, answers, carer, onBack, onNext, onSkip, onFinish }) {
  const invalid = new Set();
  const current = { ...answers };
  const fields = term.fields.map((field) => {
    const set = (value, bad) => {
      if (bad) invalid.add(field.name);
      else invalid.delete(field.name);
      if (value === undefined) delete current[field.name];
      else current[field.name] = value;
    };
    if (field.kind === "bool") {
      const options = [
        { value: true, label: gettext("Yes") },
        { value: false, label: gettext("No") },
      ];
      return radios(term.term, field, options, current[field.name], set);
    }
    if (field.kind === "choice") return radios(term.term, field, field.choices, current[field.name], set);
    if (field.kind === "text") return textField(term.term, field, current[field.name], set);
    return numberField(term.term, field, current[field.name], set);
  });
  const problem = h("p", { class: "error", role: "alert" });
  show(
    h(
      "section",
      { class: "term", "data-term": term.term },
      h("p", { class: "progress" }, gettext("Question %(index)s of %(total)s", { index: index + 1, total })),
      carer ? h("p", { class: "carer" }, gettext("You are answering for the patient.")) : null,
      h("h1", {}, term.label),
      h(
        "form",
        {
          novalidate: true,
          on: {
            submit: (event) => {
              event.preventDefault();
              if (invalid.size) {
                problem.textContent = gettext("Check the highlighted answers.");
                return;
              }
              onNext(current);
            },
          },
        },
        fields,
        problem,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "submit", class: "primary" }, index + 1 === total ? gettext("Finish") : gettext("Next")),
          h("button", { type: "button", class: "secondary", on: { click: () => onSkip() } }, gettext("Skip")),
          index + 1 < total
            ? h(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  on: {
                    click: () => {
                      if (invalid.size) {
                        problem.textContent = gettext("Check the highlighted answers.");
                        return;
                      }
                      onFinish(current);
                    },
                  },
                },
                gettext("Save my answers now"),
              )
            : null,
          index > 0
            ? h("button", { type: "button", class: "secondary", on: { click: () => onBack(current) } }, gettext("Back"))
            : null,
        ),
      ),
    ),
  );
}
