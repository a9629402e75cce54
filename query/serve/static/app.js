/*
 * The page of `query serve`: a word's neighbours, its senses and their map, and distances.
 *
 * It reads the JSON API under api/ (addresses relative to the page, so it also works behind a
 * path prefix) and draws three views, each a <section> of index.html with a tab:
 *   - Neighbours: keyword-in-context lines of the occurrences nearest to a query (a word, a
 *     stored occurrence, or a sentence typed by the user); a line's button searches from it.
 *   - Senses: the word's senses with their share and typical examples, and the 2-D map of its
 *     occurrences drawn as inline SVG (one circle per occurrence, coloured by sense).
 *   - Distances: per layer, the cosine-distance matrix between the lines ticked.
 * A search is kept in the address bar (?word=bank&layer=2...), so it can be bookmarked and the
 * Back button works. Every element is made by el()/svg(), which set text, never HTML, so corpus
 * text cannot inject markup. To add a view: a tab and a section in index.html, an entry in VIEWS.
 */
"use strict";

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";
/* Colours of senses 0, 1, ...: Okabe and Ito's palette, told apart by colour-blind readers. */
const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7f7f7f",
  "#f0e442", "#000000"];
const senseColour = (sense) => PALETTE[sense % PALETTE.length];

const state = {
  indexes: [],            // [{name, occurrences, layers, model}] from api/indexes
  index: null,            // the one chosen
  word: "",               // word of the last search: the one the senses view shows
  selected: new Map(),    // key -> {item, sentence, position, label}: lines ticked for distances
  latest: {},             // view -> number of its newest request (older answers are dropped)
  loaded: {},             // view -> key of what it shows now (not fetched again when reopened)
};

// ---- Small helpers: elements, numbers, the API, the status line --------------------------

function build(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}
const el = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);
const count = (n) => Number(n).toLocaleString("en");
const fixed = (x) => Number(x).toFixed(4);
const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

class ApiError extends Error {}

/* GET (or, with a body, POST) api/<path>; an error answer throws its error.message. */
async function api(path, params = {}, body = undefined) {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== undefined && v !== "") url.searchParams.append(key, v);
  }
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError("The server cannot be reached.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(data?.error?.message || `The server answered ${response.status}.`);
  return data;
}
const indexApi = (path, params, body) =>
  api(`${encodeURIComponent(state.index.name)}/${path}`, params, body);

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

/* Run `work` for `view`, showing progress and errors; an answer overtaken by a newer one is dropped. */
async function load(view, message, work) {
  const ticket = (state.latest[view] = (state.latest[view] || 0) + 1);
  setStatus(message);
  try {
    const render = await work();
    if (ticket !== state.latest[view]) return;
    setStatus("");
    render();
  } catch (err) {
    if (ticket !== state.latest[view]) return;
    if (!(err instanceof ApiError)) console.error(err);
    setStatus(err.message, true);
  }
}

// ---- Keyword in context --------------------------------------------------------------------

/* The sentence's tokens before, at and after `position` (tokens are separated by single spaces). */
function split(sentence, position) {
  const tokens = sentence.split(" ");
  return [tokens.slice(0, position).join(" "), tokens[position] ?? "", tokens.slice(position + 1).join(" ")];
}
const marked = (sentence, position) => {
  const [left, word, right] = split(sentence, position);
  return [left && `${left} `, el("mark", {}, word), right && ` ${right}`];
};
const bracketed = (sentence, position) => {
  const [left, word, right] = split(sentence, position);
  return [left, `[[${word}]]`, right].filter(Boolean).join(" ");
};

/*
 * One KWIC line: a tick box (for distances), the sentence as a button that searches from the
 * occurrence (left context right-aligned, the word in <mark>), then where it is and how far.
 * `entry` has sentence, position and, for a stored occurrence, occurrence/doc_id/sent_id.
 */
function kwicLine(entry, cls, key, item, label) {
  const [left, word, right] = split(entry.sentence, entry.position);
  const stored = entry.occurrence !== null && entry.occurrence !== undefined;
  const text = stored ? `occurrence ${entry.occurrence}` : "your sentence";
  const sentence = el("span", { class: "sentence" },
    el("span", { class: "left" }, el("span", {}, left)), el("mark", {}, word),
    el("span", { class: "right" }, right));
  const line = el("li", { class: `kwic-line ${cls}`, "data-occurrence": stored ? entry.occurrence : null },
    el("input", { type: "checkbox", class: "pick", "data-key": key, "aria-label": `Compare ${text} in Distances`,
      checked: state.selected.has(key), onchange: (e) => pick(key, e.target.checked, {
        item, sentence: entry.sentence, position: entry.position, label }) }),
    stored ? el("button", { type: "button", class: "kwic", title: `Search from ${text}: ${entry.sentence}`,
      onclick: () => searchFrom(entry.occurrence) }, sentence) : el("span", { class: "kwic" }, sentence),
    el("span", { class: "meta" },
      stored && el("span", { class: "where", title: entry.doc_id === undefined ? "occurrence id"
        : `document ${entry.doc_id} · sentence ${entry.sent_id} · occurrence ${entry.occurrence}` },
        entry.doc_id !== undefined && el("span", { class: "long" }, `${entry.doc_id} · sent ${entry.sent_id} · `),
        `#${entry.occurrence}`),
      entry.distance !== undefined && el("span", { class: "distance", title: "cosine distance" },
        fixed(entry.distance)),
      entry.duplicates > 0 && el("span", { class: "dupes" }, `(+${count(entry.duplicates)} identical)`)));
  return line;
}
const storedLine = (entry, cls) =>
  kwicLine(entry, cls, String(entry.occurrence), entry.occurrence, `#${entry.occurrence}`);

function pick(key, on, entry) {
  if (on) state.selected.set(key, entry);
  else state.selected.delete(key);
  $("selected-count").textContent = String(state.selected.size);
  for (const box of document.querySelectorAll(".distances-button")) box.disabled = state.selected.size < 2;
}

// ---- Searching and the Neighbours view ----------------------------------------------------

function formQuery() {
  return { word: $("word").value.trim(), layer: $("layer").value, scope: $("scope").value,
    k: $("k").value, dedupe: $("dedupe").checked ? "true" : "" };
}

/* Search with `query` (from the form, plus occurrence or context), and record it in the address bar. */
function search(query, push = true) {
  showView("neighbors", false);
  $("suggestions").replaceChildren();
  if (push) remember(query);
  load("neighbors", "Searching…", async () => {
    if (!query.occurrence && !query.context) {
      if (!query.word) throw new ApiError("Type a word to look up.");
      const known = await indexApi("suggest", { word: query.word });
      if (!known.known) return () => { suggest(known); $("results").replaceChildren(); };
    }
    const data = await indexApi("neighbors", query);
    return () => renderNeighbors(data);
  });
}
const searchFrom = (occurrence) => search({ ...formQuery(), word: "", occurrence });

function suggest(answer) {
  const links = answer.suggestions.map((word) => el("a", { class: "suggestion",
    href: `?${new URLSearchParams({ index: state.index.name, word })}`,
    onclick: (e) => { e.preventDefault(); $("word").value = word; search(formQuery()); } }, word));
  $("suggestions").replaceChildren(el("p", {}, `“${answer.word}” does not occur in this index. `,
    links.length ? ["Closest words: ", links.flatMap((a, i) => (i ? [", ", a] : [a]))]
      : "No similar word either."));
}

function renderNeighbors(data) {
  if (data.queries.length) $("word").value = data.word;
  state.word = data.word;
  const among = data.scope === "all" ? "every word" : `the occurrences of “${data.word}”`;
  const groups = data.queries.map((query) => {
    const hits = data.hits.filter((hit) => hit.query_occurrence === query.occurrence);
    const stored = query.occurrence !== null;
    const own = bracketed(query.sentence, query.position);
    const from = stored ? storedLine(query, "query")
      : kwicLine(query, "query", `sentence:${own}`, [own], "your sentence");
    return el("section", { class: "query-group", "data-occurrence": stored ? query.occurrence : "sentence" },
      el("h3", {}, stored ? `From occurrence #${query.occurrence}` : "From your sentence"),
      el("ol", { class: "kwic-list hits" }, from, hits.map((hit) => storedLine(hit, "hit"))),
      !hits.length && el("p", { class: "empty" }, "No neighbours."));
  });
  const heading = el("h2", { tabindex: "-1" }, `Neighbours of “${data.word}”, layer ${data.layer}`);
  $("results").replaceChildren(heading,
    el("p", { class: "summary" }, `The ${plural(data.k, "nearest occurrence")} among ${among}, `,
      `for ${plural(data.queries.length, "query", "queries")}, with their cosine distance.`),
    el("p", { class: "toolbar" }, "Click a line to search from it, or tick lines and ", distancesButton()),
    ...groups);
  if (document.activeElement === document.body) heading.focus(); // the line clicked is gone
}

function distancesButton() {
  return el("button", { type: "button", class: "distances-button", disabled: state.selected.size < 2,
    onclick: () => showView("distances") }, "compare them");
}

/* The user's own sentence: the word is marked [[word]], or it is the one in the Word box. */
function searchContext(event) {
  event.preventDefault();
  const context = $("context").value.trim().replace(/\s+/g, " ");
  if (!context) return setStatus("Type a sentence first.", true);
  const query = { ...formQuery(), context };
  if (/\[\[.+?\]\]/.test(context)) query.word = "";
  else if (!query.word) return setStatus("Mark the word as [[word]] or type it in the Word box.", true);
  search(query);
}

// ---- The Senses view ----------------------------------------------------------------------

function loadSenses() {
  const word = $("word").value.trim() || state.word;
  if (!word) return $("senses").replaceChildren(el("p", { class: "empty" }, "Search for a word first."));
  const params = { word, layer: $("layer").value, dedupe: $("dedupe").checked ? "true" : "" };
  const key = `${state.index.name} ${JSON.stringify(params)}`;
  if (state.loaded.senses === key) return;
  load("senses", `Finding the senses of “${word}”…`, async () => {
    const [senses, map] = await Promise.all([indexApi("senses", params),
      indexApi("senses/map", { word, layer: params.layer, max_points: 1000 })]);
    return () => { state.loaded.senses = key; renderSenses(senses, map); };
  });
}

function renderSenses(data, map) {
  const senses = data.senses.map((sense) => el("li", { class: "sense", "data-sense": sense.sense },
    el("h3", {}, el("span", { class: "swatch", style: `background:${senseColour(sense.sense)}` }),
      `Sense ${sense.sense}`, el("span", { class: "label" }, sense.label)),
    el("div", { class: "share", title: `${(100 * sense.share).toFixed(1)}% of the occurrences` },
      el("span", { style: `width:${(100 * sense.share).toFixed(1)}%;background:${senseColour(sense.sense)}` })),
    el("p", { class: "sense-size" }, `${(100 * sense.share).toFixed(0)}% · ${plural(sense.size, "occurrence")}`,
      ` · spread ${sense.spread.toFixed(3)}`),
    el("ol", { class: "kwic-list examples" }, sense.examples.map((ex) => storedLine(ex, "example")))));
  const clustered = data.clustered < data.occurrences ? ` (clustered from ${count(data.clustered)})` : "";
  $("senses").replaceChildren(
    el("h2", {}, `Senses of “${data.word}”, layer ${data.layer}`),
    el("p", { class: "summary" }, `${plural(data.occurrences, "occurrence")}${clustered} in `,
      `${plural(data.senses.length, "sense")}, each labelled by its most distinctive context words `,
      "and shown with its most typical occurrences."),
    el("div", { class: "senses-layout" }, el("ol", { class: "sense-list" }, senses), senseMap(map)));
}

/* The map: one circle per occurrence on the two principal axes; hover shows it, click searches. */
function senseMap(map) {
  const [width, height, pad] = [560, 420, 36];
  const xs = map.points.map((p) => p.x);
  const ys = map.points.map((p) => p.y);
  const scale = (values, from, to) => {
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    return (v) => (hi > lo ? from + ((v - lo) / (hi - lo)) * (to - from) : (from + to) / 2);
  };
  const inset = 10; // points stay off the frame
  const [sx, sy] = [scale(xs, pad + inset, width - pad / 2 - inset),
    scale(ys, height - pad - inset, pad / 2 + inset)];
  const byOccurrence = new Map(map.points.map((p) => [String(p.occurrence), p]));
  const points = map.points.map((p) => svg("circle", { class: "point", cx: sx(p.x).toFixed(1),
    cy: sy(p.y).toFixed(1), r: 4.5, fill: senseColour(p.sense), "data-sense": p.sense,
    "data-occurrence": p.occurrence }));
  const drawn = map.drawn < map.total ? `a sample of ${count(map.drawn)} of ${count(map.total)}` : count(map.total);
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Map of ${drawn} occurrences of ${map.word}, coloured by sense`,
    onmouseover: (e) => tip(e, byOccurrence.get(e.target.dataset?.occurrence)),
    onmouseout: () => ($("map-tip").hidden = true),
    onclick: (e) => e.target.dataset?.occurrence && searchFrom(Number(e.target.dataset.occurrence)) },
    svg("rect", { class: "frame", x: pad, y: pad / 2, width: width - 1.5 * pad, height: height - 1.5 * pad }),
    svg("text", { class: "axis", x: width / 2, y: height - 10, "text-anchor": "middle" }, map.axes[0]),
    svg("text", { class: "axis", x: 14, y: height / 2, "text-anchor": "middle",
      transform: `rotate(-90 14 ${height / 2})` }, map.axes[1]),
    points);
  return el("figure", { id: "sense-map", class: "sense-map" }, picture,
    el("figcaption", {}, `${drawn} occurrences on the two directions of largest variance. `,
      "Hover over a point to read it; click it to search from it."),
    el("ul", { class: "legend" }, map.senses.map((s) => el("li", {},
      el("span", { class: "swatch", style: `background:${senseColour(s.sense)}` }),
      `${s.sense}: ${s.label} (${count(s.size)})`))));
}

function tip(event, point) {
  const box = $("map-tip");
  if (!point) return void (box.hidden = true);
  box.replaceChildren(el("p", { class: "tip-sentence" }, marked(point.sentence, point.position)),
    el("p", { class: "tip-meta" }, `sense ${point.sense} · occurrence #${point.occurrence}`));
  box.hidden = false;
  const x = Math.min(event.pageX + 14, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8);
  box.style.left = `${Math.max(window.scrollX + 8, x)}px`;
  const above = event.pageY - box.offsetHeight - 14; // above the pointer, below where no room
  box.style.top = `${above > window.scrollY ? above : event.pageY + 16}px`;
}

// ---- The Distances view -------------------------------------------------------------------

function loadDistances() {
  const entries = [...state.selected.entries()];
  const key = `${state.index.name} ${entries.map(([k]) => k).join("|")}`;
  const list = el("ol", { class: "kwic-list distance-items" }, entries.map(([k, entry], i) =>
    el("li", { class: "kwic-line item" }, el("span", { class: "item-number" }, String(i + 1)),
      el("span", { class: "kwic" }, el("span", { class: "sentence" }, marked(entry.sentence, entry.position))),
      el("span", { class: "meta" }, el("span", { class: "where" }, entry.label), el("button", { type: "button", class: "remove",
        "aria-label": `Remove ${entry.label}`, onclick: () => unpick(k) }, "Remove")))));
  if (entries.length < 2) {
    state.loaded.distances = key;
    return $("distances").replaceChildren(el("h2", {}, "Distances"), el("p", { class: "empty" },
      "Tick two or more lines in Neighbours or Senses to compare them here."), list);
  }
  if (state.loaded.distances === key) return;
  load("distances", "Computing distances…", async () => {
    const data = await indexApi("distances", {}, { items: entries.map(([, e]) => e.item),
      layers: state.index.layers });
    return () => { state.loaded.distances = key; renderDistances(data, list); };
  });
}

function unpick(key) {
  pick(key, false);
  for (const box of document.querySelectorAll(".pick")) if (box.dataset.key === key) box.checked = false;
  loadDistances();
}

function renderDistances(data, list) {
  const highest = Math.max(1e-9, ...Object.values(data.matrices).flat(2));
  const tables = data.layers.map((layer) => el("table", { class: "matrix", "data-layer": layer },
    el("caption", {}, `Layer ${layer}`),
    el("thead", {}, el("tr", {}, el("td"), data.items.map((_, i) => el("th", { scope: "col" }, String(i + 1))))),
    el("tbody", {}, data.matrices[String(layer)].map((row, i) => el("tr", {},
      el("th", { scope: "row", title: data.items[i].label }, String(i + 1)),
      row.map((d, j) => el("td", { class: i === j ? "self" : null,
        style: `--shade:${(d / highest).toFixed(3)}` }, fixed(d))))))));
  $("distances").replaceChildren(el("h2", {}, "Distances"),
    el("p", { class: "summary" }, "Cosine distance between the occurrences below, per layer ",
      "(0: same direction; darker: farther apart)."), list, el("div", { class: "matrices" }, tables));
}

// ---- Views, the address bar, start-up -----------------------------------------------------

/* Each view: its section and what opening it does. A new view adds one entry and one tab. */
const VIEWS = {
  neighbors: { section: "results", open: () => {} },
  senses: { section: "senses", open: loadSenses },
  distances: { section: "distances", open: loadDistances },
};

function showView(name, open = true) {
  for (const [view, { section }] of Object.entries(VIEWS)) {
    $(section).hidden = view !== name;
    $(`${view}-tab`).setAttribute("aria-pressed", String(view === name));
  }
  if (open) VIEWS[name].open();
}

function remember(query) {
  const params = new URLSearchParams({ index: state.index.name });
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  history.pushState(null, "", `?${params}`);
}

/* Apply the address bar's search (on start-up and on Back/Forward). */
function restore() {
  const params = new URLSearchParams(location.search);
  chooseIndex(params.get("index"));
  for (const key of ["word", "layer", "scope", "k", "context"]) {
    if (params.has(key)) $(key).value = params.get(key);
  }
  $("dedupe").checked = params.get("dedupe") === "true";
  const query = { ...formQuery(), occurrence: params.get("occurrence") || "", context: params.get("context") || "" };
  if (query.occurrence || query.context) query.word = "";
  if (query.word || query.occurrence || query.context) search(query, false);
}

function chooseIndex(name) {
  const before = state.index;
  state.index = state.indexes.find((i) => i.name === name) || state.index || state.indexes[0];
  if (state.index !== before) state.selected.clear(); // occurrence ids are an index's own
  $("selected-count").textContent = String(state.selected.size);
  $("index").value = state.index.name;
  const [layers, current] = [state.index.layers, $("layer").value];
  const chosen = current !== "" && layers.includes(Number(current)) ? Number(current)
    : layers.includes(2) ? 2 : layers[layers.length - 1];
  $("layer").replaceChildren(...layers.map((layer) => el("option", { value: layer, selected: layer === chosen },
    layer === 0 ? "0 (no context)" : String(layer))));
  $("index-info").textContent = `${state.index.name}: ${count(state.index.occurrences)} occurrences, ` +
    `model ${state.index.model}`;
  state.loaded = {};
}

async function start() {
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(formQuery()); });
  $("context-form").addEventListener("submit", searchContext);
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  $("index").addEventListener("change", () => {
    chooseIndex($("index").value);
    if ($("word").value.trim()) search(formQuery());
  });
  window.addEventListener("popstate", restore);
  try {
    state.indexes = (await api("indexes")).indexes;
  } catch (err) {
    return setStatus(err.message, true);
  }
  if (!state.indexes.length) return setStatus("This server has no index.", true);
  $("index").replaceChildren(...state.indexes.map((i) => el("option", { value: i.name }, i.name)));
  $("index-field").hidden = state.indexes.length < 2;
  restore();
  $("word").focus();
}

document.addEventListener("DOMContentLoaded", start);
