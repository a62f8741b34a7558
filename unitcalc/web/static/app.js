"use strict";
// The front-desk page: rows of services in, units and reasoning out, on every change.
const $ = (selector) => document.querySelector(selector);
let codes = [];
let pending = null;
let sequence = 0;

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
  const index = body.rows.length + 1;
  const row = body.insertRow();
  row.innerHTML = `
    <td><label class="visually-hidden" for="code-${index}">Code of service ${index}</label>
        <input id="code-${index}" name="code" list="code-list" placeholder="97110 or therapeutic exercise"></td>
    <td><label class="visually-hidden" for="minutes-${index}">Minutes of service ${index}</label>
        <input id="minutes-${index}" name="minutes" type="number" min="0" max="1440" step="1" inputmode="numeric"></td>
    <td><label class="visually-hidden" for="assistant-${index}">Assistant's own minutes of service ${index}</label>
        <input id="assistant-${index}" name="assistant" type="number" min="0" max="1440" step="1" inputmode="numeric" placeholder="none"></td>
    <td><label class="visually-hidden" for="discipline-${index}">Discipline of service ${index}</label>
        <select id="discipline-${index}" name="discipline">
          <option value="">none</option><option>PT</option><option>OT</option><option>SLP</option>
        </select></td>
    <td><button type="button" class="remove" aria-label="Remove service ${index}">Remove</button></td>`;
  row.querySelector('[name="code"]').value = code;
  row.querySelector('[name="minutes"]').value = minutes;
  row.querySelector('[name="discipline"]').value = discipline;
  row.querySelector('[name="assistant"]').value = assistant;
  row.querySelector(".remove").addEventListener("click", () => { row.remove(); schedule(); });
  return row;
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

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(update, 150);
}

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

async function update() {
  const list = services();
  const status = $("#status");
  if (!list.length) {
    status.textContent = "Enter a service to see its units.";
    status.className = "status";
    $("#units").hidden = true;
    $("#tie").hidden = true;
    $("#warnings").hidden = true;
    $("#explanation").replaceChildren();
    return;
  }
  const body = { services: list, pool_by: $("#pool").value };
  if ($("#date").value) body.date_of_service = $("#date").value;
  if ($("#payer").value) body.payer = $("#payer").value; else body.rule = $("#rule").value;
  const mine = ++sequence;
  let answer;
  try {
    const response = await fetch("/api/calculate", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    answer = { ok: response.ok, data: await response.json() };
  } catch (error) {
    answer = { ok: false, data: { detail: "The unitcalc server does not answer." } };
  }
  if (mine !== sequence) return; // a later change already asked again
  if (!answer.ok) {
    status.textContent = answer.data.detail || "This visit cannot be counted.";
    status.className = "status error";
    return;
  }
  show(answer.data);
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
  const warnings = $("#warnings");
  warnings.replaceChildren(...result.warnings.map((w) => text("p", w)));
  warnings.hidden = !result.warnings.length;
  $("#explanation").replaceChildren(...result.explanation.map((step) => text("li", step)));
}

async function load() {
  const [codeList, rules, payers] = await Promise.all(
    ["/api/codes?kind=all", "/api/rules", "/api/payers"].map((url) => fetch(url).then((r) => r.json())));
  codes = codeList.filter((c) => c.kind !== "deleted" && c.kind !== "monthly");
  // The date of service defaults to today on this computer; a biller may change it.
  const now = new Date();
  $("#date").value = [now.getFullYear(), now.getMonth() + 1, now.getDate()]
    .map((n, i) => String(n).padStart(i ? 2 : 4, "0")).join("-");
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
  for (const p of payers) {
    const option = text("option", p.label ? `${p.name}: ${p.label}` : p.name);
    option.value = p.name;
    $("#payer").append(option);
  }
  $("#visit").addEventListener("input", schedule);
  $("#visit").addEventListener("change", schedule);
  $("#add").addEventListener("click", () => addRow().querySelector("input").focus());
  $("#print").addEventListener("click", () => window.print());
  addRow();
  addRow();
}

document.addEventListener("DOMContentLoaded", load);
