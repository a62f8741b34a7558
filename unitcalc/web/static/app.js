"use strict";
// The front-desk page: rows of services in, units and reasoning out, on every change.
// Until the server has answered for what is on screen, no units show and Print is off:
// the page never leaves a count on screen that belongs to other input.
const $ = (selector) => document.querySelector(selector);
let codes = [];
let payerRules = {};
let version = "";
let pending = null;
let sequence = 0;
let rowsMade = 0; // ids come from this count, never reused when rows are removed
let shown = null; // the request whose answer is on screen
let onScreen = null; // that answer

function codeOf(text) {
  // "97110 - therapeutic exercise" or "97110" gives 97110; a name gives its code.
  const value = text.trim();
  const first = value.split(/\s+/)[0] || "";
  if (/^[0-9A-Za-z]{5}$/.test(first)) return first.toUpperCase();
  const match = codes.find((c) => c.label.toLowerCase() === value.toLowerCase());
  return match ? match.code : value;
}

function addRow(code = "", minutes = "", discipline = "", assistant = "") {
  const body = $("#services tbody");
  const id = ++rowsMade;
  const row = body.insertRow();
  row.innerHTML = `
    <td><label class="visually-hidden" for="code-${id}"></label>
        <input id="code-${id}" name="code" list="code-list" placeholder="97110 or therapeutic exercise"></td>
    <td><label class="visually-hidden" for="minutes-${id}"></label>
        <input id="minutes-${id}" name="minutes" type="number" min="0" max="1440" step="1" inputmode="numeric"></td>
    <td><label class="visually-hidden" for="assistant-${id}"></label>
        <input id="assistant-${id}" name="assistant" type="number" min="0" max="1440" step="1" inputmode="numeric" placeholder="none"></td>
    <td><label class="visually-hidden" for="discipline-${id}"></label>
        <select id="discipline-${id}" name="discipline">
          <option value="">none</option><option>PT</option><option>OT</option><option>SLP</option>
        </select></td>
    <td><button type="button" class="remove">Remove</button></td>`;
  row.querySelector('[name="code"]').value = code;
  row.querySelector('[name="minutes"]').value = minutes;
  row.querySelector('[name="discipline"]').value = discipline;
  row.querySelector('[name="assistant"]').value = assistant;
  row.querySelector(".remove").addEventListener("click", () => {
    row.remove();
    number();
    schedule();
  });
  number();
  return row;
}

function number() {
  // Labels follow the rows as they stand: "Minutes of service 2" is the second row.
  [...document.querySelectorAll("#services tbody tr")].forEach((row, i) => {
    const n = i + 1;
    const [code, minutes, assistant, discipline] = row.querySelectorAll("label");
    code.textContent = `Code of service ${n}`;
    minutes.textContent = `Minutes of service ${n}`;
    assistant.textContent = `Assistant's own minutes of service ${n}`;
    discipline.textContent = `Discipline of service ${n}`;
    row.querySelector(".remove").setAttribute("aria-label", `Remove service ${n}`);
  });
}

function services() {
  return [...document.querySelectorAll("#services tbody tr")]
    .map((row) => {
      const service = {
        code: codeOf(row.querySelector('[name="code"]').value),
        minutes: row.querySelector('[name="minutes"]').value.trim() || null,
        discipline: row.querySelector('[name="discipline"]').value || null,
      };
      const assistant = row.querySelector('[name="assistant"]').value.trim();
      if (assistant) {
        service.assistant_minutes = assistant;
        if (service.minutes === null) service.minutes = "0";
      }
      return service;
    })
    .filter((s) => s.code);
}

function request() {
  const body = { services: services(), pool_by: $("#pool").value };
  if ($("#date").value) body.date_of_service = $("#date").value;
  if ($("#payer").value) body.payer = $("#payer").value; else body.rule = $("#rule").value;
  return body;
}

function schedule() {
  // When what is on screen no longer matches the form, no printing until the new answer
  // (leaving a field without changing it, as a click on Print does, changes nothing).
  if (JSON.stringify(request()) !== shown) $("#print").disabled = true;
  clearTimeout(pending);
  pending = setTimeout(update, 150);
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function clearResult(message, isError) {
  // No units, tie, notes or reasoning of earlier input stay on screen, and no printing.
  const status = $("#status");
  status.textContent = message;
  status.className = isError ? "status error" : "status";
  $("#units").hidden = true;
  $("#units tbody").replaceChildren();
  $("#total").textContent = "";
  for (const box of ["#totals", "#span", "#tie", "#notes", "#warnings", "#why"]) $(box).hidden = true;
  $("#tie").replaceChildren();
  $("#notes ul").replaceChildren();
  $("#warnings ul").replaceChildren();
  $("#explanation").replaceChildren();
  $("#print").disabled = true;
  $("#print-hint").hidden = false;
  shown = null;
  onScreen = null;
}

const FIELDS = { code: "code", minutes: "minutes", assistant_minutes: "assistant min", discipline: "discipline" };
const TOP = { date_of_service: "Date of service", payer: "Payer profile", rule: "Rule", pool_by: "Pool minutes" };

function plain(detail) {
  // "services[1].minutes: 97110: ..." reads "Service 2, minutes: 97110: ..." at the desk.
  const row = /^services\[(\d+)\](?:\.(\w+))?: /.exec(detail);
  if (row) {
    const field = row[2] ? `, ${FIELDS[row[2]] || row[2].replace(/_/g, " ")}` : "";
    return `Service ${Number(row[1]) + 1}${field}: ${detail.slice(row[0].length)}`;
  }
  const top = /^(\w+): /.exec(detail);
  if (top && TOP[top[1]]) return `${TOP[top[1]]}: ${detail.slice(top[0].length)}`;
  return detail;
}

async function update() {
  const body = request();
  if (!body.services.length) {
    clearResult("Enter a service to see its units.", false);
    return;
  }
  const mine = ++sequence;
  let answer;
  try {
    const response = await fetch("/api/calculate", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    answer = { ok: response.ok, data: await response.json() };
  } catch (error) {
    answer = { ok: false, data: { detail: "unitcalc is not answering. Check that it is still running, then change any field to try again." } };
  }
  if (mine !== sequence) return; // a later change already asked again
  if (!answer.ok) {
    if (answer.data.unknown_code) {
      unknownCode(answer.data);
      return;
    }
    const detail = typeof answer.data.detail === "string" ? plain(answer.data.detail) : "this visit cannot be counted as entered.";
    clearResult(`No units yet. ${detail}`, true);
    return;
  }
  show(answer.data);
  shown = JSON.stringify(body);
}

function unknownCode(data) {
  // Words for the front desk: the code is not in the table, the nearest codes as buttons
  // that put one in the service's row, and who can add the code.
  const at = /^services\[(\d+)\]/.exec(data.field || "");
  const index = at ? Number(at[1]) : -1;
  const rows = [...document.querySelectorAll("#services tbody tr")]
    .filter((row) => codeOf(row.querySelector('[name="code"]').value));
  const row = rows[index];
  const where = row ? `Service ${index + 1}: ` : "";
  clearResult(`No units yet. ${where}${data.unknown_code} is not in the code table.`, true);
  const status = $("#status");
  if (row && data.suggestions && data.suggestions.length) {
    status.append(" Nearest codes: ");
    for (const code of data.suggestions) {
      const label = codes.find((c) => c.code === code);
      const button = text("button", code, "suggestion");
      button.type = "button";
      button.setAttribute("aria-label", `Use ${code}${label ? `, ${label.label},` : ""} for service ${index + 1}`);
      button.addEventListener("click", () => {
        row.querySelector('[name="code"]').value = code;
        schedule();
      });
      status.append(button, " ");
    }
  }
  status.append(
    text("span", " If the code is right, an administrator can add it to the code table this page counts by (unitcalc serve --codes FILE or --define CODE=timed).")
  );
}

function assistantText(split) {
  // "CQ x1, x1 without" beside the units of a line with assistant minutes.
  if (!split) return "";
  if (!split.modifier) return "no modifier (before 2020)";
  const parts = [];
  if (split.with_modifier) parts.push(`${split.modifier} x${split.with_modifier} (paid ${split.paid_percent}%)`);
  if (split.without_modifier) parts.push(`x${split.without_modifier} without`);
  return parts.join(", ") || "no units";
}

function isCompliantNote(warning) {
  // "... fewer than 8: compliant because ..." explains a correct count: not a warning.
  return /\bcompliant\b/i.test(warning) && !/\b(not|non-?)\s*compliant\b/i.test(warning);
}

function show(result) {
  const status = $("#status");
  status.textContent = `${result.total_units} unit${result.total_units === 1 ? "" : "s"} under the ${result.rule} rule` +
    (result.payer ? ` (payer profile ${result.payer})` : "") + ".";
  status.className = "status";
  const rows = $("#units tbody");
  rows.replaceChildren();
  for (const line of result.lines) {
    const row = rows.insertRow();
    row.append(text("td", line.code), text("td", line.timed ? line.label : `${line.label} (untimed)`),
      text("td", line.discipline || ""), text("td", line.minutes ?? "", "number"),
      text("td", String(line.units), "number units"), text("td", assistantText(line.assistant), "assistant"));
    row.dataset.code = line.code;
  }
  $("#total").textContent = String(result.total_units);
  $("#total").className = "number";
  $("#units").hidden = false;
  // The CQ/CO column shows only when some line has assistant minutes.
  $("#units").classList.toggle("no-assistant", !result.assistant);
  showTotals(result);
  const tie = $("#tie");
  tie.replaceChildren();
  if (result.tie) {
    for (const group of result.tie.groups) {
      const where = group.discipline ? ` in ${group.discipline}` : "";
      tie.append(text("p", `Tie${where}: ${group.codes.join(", ")} have ${group.leftover_minutes} min left each ` +
        `and compete for ${group.units} unit${group.units === 1 ? "" : "s"}; unitcalc chose ${group.chosen.join(", ")}. ` +
        "Any choice is compliant (CMS 20.2)."));
    }
    // JavaScript orders numeric-looking keys by value: keep the result's line order.
    const order = [...new Set(result.lines.map((line) => line.code))];
    for (const other of result.alternatives) {
      const shown = order.filter((c) => other[c]).map((c) => `${c} x${other[c]}`).join(", ");
      tie.append(text("p", `Also compliant: ${shown}`));
    }
    if (result.alternatives_truncated) tie.append(text("p", `${result.tie.allocations} compliant allocations in all.`));
    tie.hidden = false;
  } else {
    tie.hidden = true;
  }
  const notes = result.warnings.filter(isCompliantNote);
  const warnings = result.warnings.filter((w) => !isCompliantNote(w));
  $("#notes ul").replaceChildren(...notes.map((w) => text("li", w)));
  $("#notes").hidden = !notes.length;
  $("#warnings ul").replaceChildren(...warnings.map((w) => text("li", w)));
  $("#warnings").hidden = !warnings.length;
  $("#explanation").replaceChildren(...result.explanation.map((step) => text("li", step)));
  $("#why").hidden = false;
  $("#print").disabled = false;
  $("#print-hint").hidden = true;
}

function showTotals(result) {
  // The totals a biller checks, from the answer; then the visit's span against them.
  const treatment = result.total_timed_minutes + result.total_untimed_minutes;
  $("#total-timed").textContent = String(result.total_timed_minutes);
  $("#total-treatment").textContent = `${treatment} min (timed + untimed)`;
  $("#total-units").textContent = String(result.total_units);
  $("#totals").hidden = false;
  onScreen = result;
  showSpan();
}

function minutesOf(time) {
  // "09:45" gives 585; an empty or partly typed time gives null.
  const match = /^(\d{2}):(\d{2})/.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

function showSpan() {
  // With a visit start and end, whether the treatment minutes on screen fit the visit.
  // Both times are on one day: a visit past midnight is not supported.
  const span = $("#span");
  const from = minutesOf($("#visit-start").value);
  const to = minutesOf($("#visit-end").value);
  if (!onScreen || from === null || to === null) {
    span.hidden = true;
    return;
  }
  const start = $("#visit-start").value.slice(0, 5);
  const end = $("#visit-end").value.slice(0, 5);
  const treatment = onScreen.total_timed_minutes + onScreen.total_untimed_minutes;
  const visit = to - from;
  if (visit <= 0) {
    span.textContent = `The visit end ${end} is not after its start ${start}: ` +
      "check the times (a visit past midnight is not supported).";
  } else if (treatment > visit) {
    span.textContent = `${treatment} min of treatment is more than the ${visit}-min visit ` +
      `(${start}-${end}): check the minutes`;
  } else {
    span.textContent = `${treatment} min of treatment in a ${visit}-min visit (${start}-${end}): the minutes fit`;
  }
  span.className = visit > 0 && treatment <= visit ? "span" : "span error";
  span.hidden = false;
}

function followPayer() {
  // A payer profile counts by its own rule: the rule selector shows it and is locked.
  const payer = $("#payer").value;
  const rule = $("#rule");
  const note = $("#rule-note");
  if (payer && payerRules[payer]) {
    rule.value = payerRules[payer];
    rule.disabled = true;
    note.textContent = `The payer profile ${payer} counts by its own rule (${payerRules[payer]}). ` +
      "Choose \"none\" as payer profile to pick a rule.";
    note.hidden = false;
  } else {
    rule.disabled = false;
    note.hidden = true;
  }
}

function today() {
  const now = new Date();
  return [now.getFullYear(), now.getMonth() + 1, now.getDate()]
    .map((n, i) => String(n).padStart(i ? 2 : 4, "0")).join("-");
}

function fillPrintHeader() {
  // What the chart needs beside the units: whose visit, which day, who, when printed, by what.
  const now = new Date();
  const time = `${today()} ${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`;
  $("#print-patient").textContent = $("#patient").value.trim() || "not given";
  $("#print-date").textContent = $("#date").value || `${today()} (today)`;
  $("#print-clinician").textContent = $("#clinician").value.trim() || "not given";
  $("#print-time").textContent = time;
  $("#print-version").textContent = `unitcalc ${version}`;
}

async function load() {
  const [codeList, rules, payers, openapi] = await Promise.all(
    ["/api/codes?kind=all", "/api/rules", "/api/payers", "/openapi.json"].map((url) => fetch(url).then((r) => r.json())));
  codes = codeList.filter((c) => c.kind !== "deleted" && c.kind !== "monthly");
  version = openapi.info.version;
  // The date of service defaults to today on this computer; a biller may change it.
  $("#date").value = today();
  $("#code-list").replaceChildren(...codes.map((c) => {
    const option = document.createElement("option");
    option.value = `${c.code} - ${c.label}`;
    return option;
  }));
  $("#rule").replaceChildren(...rules.map((r) => {
    const option = text("option", `${r.name}: ${r.title}`);
    option.value = r.name;
    return option;
  }));
  const canonical = {};
  for (const r of rules) for (const name of [r.name, ...r.aliases]) canonical[name] = r.name;
  for (const p of payers) {
    payerRules[p.name] = canonical[p.rule] || p.rule;
    const option = text("option", p.label ? `${p.name}: ${p.label}` : p.name);
    option.value = p.name;
    $("#payer").append(option);
  }
  $("#payer").addEventListener("change", followPayer);
  // The patient and clinician only go on paper, and the visit times are checked on the
  // page: typing them asks the server nothing.
  const counted = (event) => !["patient", "clinician", "visit-start", "visit-end"].includes(event.target.id);
  const changed = (event) => { if (counted(event)) schedule(); else showSpan(); };
  $("#visit").addEventListener("input", changed);
  $("#visit").addEventListener("change", changed);
  $("#add").addEventListener("click", () => addRow().querySelector("input").focus());
  $("#print").addEventListener("click", () => { fillPrintHeader(); window.print(); });
  window.addEventListener("beforeprint", fillPrintHeader);
  addRow();
  addRow();
}

document.addEventListener("DOMContentLoaded", load);
