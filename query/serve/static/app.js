/*
 * The page of `query serve`: a word's neighbours, its senses and their map, distances, and its
 * change across the groups of a metadata field.
 *
 * It reads the JSON API under api/ (addresses relative to the page, so it also works behind a
 * path prefix) and draws five views, each a <section> of index.html with a tab:
 *   - Neighbours: keyword-in-context lines of the occurrences nearest to a query (a word, a
 *     stored occurrence, or a sentence typed by the user); a line's button searches from it.
 *     Their contexts are cut at token boundaries to fit the width of the page (fitContexts).
 *   - Senses: the word's senses with their share and typical examples (identical sentences
 *     once), and the 2-D map of its occurrences drawn as inline SVG (one circle per occurrence,
 *     coloured by sense, ticks on both axes).
 *   - Distances: per layer, the cosine-distance matrix between the lines ticked.
 *   - Compare: the word's senses, each with its most typical occurrence, their shares in each
 *     group of a metadata field (a table with stacked bars, the groups with no occurrence named
 *     below it) and the change scores (APD, PRT, JSD) between every two groups.
 *   - Changes: the words ranked by how much they change between two groups of a field.
 * Where the index has metadata fields (api/<index>/fields), the search form also has a filter
 * ("Only where", an SQL condition) sent as `where` with every search of the word.
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
  fields: {},             // index name -> {fields: [{name, type, level}], metadata: [names]}
  groups: {},             // "index field bins" -> [{group, occurrences}] (Changes' from/to)
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
 * A context of a KWIC line is cut at token boundaries to fit its column, as the command line
 * cuts it (query/kwic.py): the left one loses tokens at its start, the right one at its end,
 * and "…" stands where tokens were left out. The column's width is known only here, so each
 * context element is watched and fitted again whenever its width changes (a resize, a view
 * shown). All the lines are fitted together, a binary search over the number of tokens kept
 * in lockstep, so that each step costs one layout of the page, not one per line.
 */
const ELLIPSIS = "…";
const contexts = new WeakMap();  // .left/.right element -> {tokens, side}
const contextWatch = new ResizeObserver((entries) => fitContexts(entries.map((e) => e.target)));

function contextText({ tokens, side }, kept) {
  if (kept >= tokens.length) return tokens.join(" ");
  return side === "left" ? [ELLIPSIS, ...tokens.slice(tokens.length - kept)].join(" ")
    : [...tokens.slice(0, kept), ELLIPSIS].join(" ");
}

/* A context element holding `tokens` (before the word for side "left", after it for "right"). */
function contextSpan(side, tokens) {
  const span = el("span", { class: side });
  if (!tokens.length) return span;
  contexts.set(span, { tokens, side });
  span.textContent = contextText({ tokens, side }, tokens.length);
  contextWatch.observe(span);
  return span;
}

/* Show in each element the most tokens that fit (a side that fits none shows "…" alone). */
function fitContexts(elements) {
  for (const span of elements) if (!span.isConnected) contextWatch.unobserve(span); // a line replaced
  const jobs = elements.filter((span) => span.isConnected && span.clientWidth > 0).map((span) => {
    const context = contexts.get(span);
    return { span, context, fits: 0, fails: context.tokens.length + 1, trying: context.tokens.length };
  });
  let open = jobs;
  while (open.length) {
    for (const job of open) job.span.textContent = contextText(job.context, job.trying);
    for (const job of open) {
      if (job.span.scrollWidth <= job.span.clientWidth) job.fits = job.trying;
      else job.fails = job.trying;
    }
    open = open.filter((job) => job.fails - job.fits > 1);
    for (const job of open) job.trying = (job.fits + job.fails) >> 1;
  }
  for (const job of jobs) job.span.textContent = contextText(job.context, job.fits);
}

/*
 * One KWIC line: a tick box (for distances), the sentence as a button that searches from the
 * occurrence (left context right-aligned, the word in <mark>), then where it is and how far.
 * `entry` has sentence, position and, for a stored occurrence, occurrence/doc_id/sent_id.
 * The whole sentence is the line's title (its tooltip), as the contexts may be cut.
 */
function kwicLine(entry, cls, key, item, label) {
  const tokens = entry.sentence.split(" ");
  const stored = entry.occurrence !== null && entry.occurrence !== undefined;
  const text = stored ? `occurrence ${entry.occurrence}` : "your sentence";
  const sentence = el("span", { class: "sentence" },
    contextSpan("left", tokens.slice(0, entry.position)), el("mark", {}, tokens[entry.position] ?? ""),
    contextSpan("right", tokens.slice(entry.position + 1)));
  const line = el("li", { class: `kwic-line ${cls}`, "data-occurrence": stored ? entry.occurrence : null },
    el("input", { type: "checkbox", class: "pick", "data-key": key, "aria-label": `Compare ${text} in Distances`,
      checked: state.selected.has(key), onchange: (e) => pick(key, e.target.checked, {
        item, sentence: entry.sentence, position: entry.position, label }) }),
    stored ? el("button", { type: "button", class: "kwic", title: `Search from ${text}: ${entry.sentence}`,
      onclick: () => searchFrom(entry.occurrence) }, sentence) : el("span", { class: "kwic", title: entry.sentence },
      sentence),
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
    k: $("k").value, dedupe: $("dedupe").checked ? "true" : "", where: filterValue() };
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
  // Identical sentences once, with their count: a corpus repeats its boilerplate.
  const params = { word, layer: $("layer").value, dedupe: "true", where: filterValue() };
  const key = `${state.index.name} ${JSON.stringify(params)}`;
  if (state.loaded.senses === key) return;
  load("senses", `Finding the senses of “${word}”…`, async () => {
    const mapParams = { word, layer: params.layer, max_points: 1000 };
    if (params.where) mapParams.where = params.where;
    const [senses, map] = await Promise.all([indexApi("senses", params),
      indexApi("senses/map", mapParams)]);
    return () => { state.loaded.senses = key; renderSenses(senses, map, word, params.where); };
  });
}

function renderSenses(data, map, word, where) {
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
    el("h2", {}, `Senses of “${word}”, layer ${data.layer}`),
    el("p", { class: "summary" }, `${plural(data.occurrences, "occurrence")}${clustered}`,
      where ? ` where ${where}` : "", ` in ${plural(data.senses.length, "sense")}, each labelled `,
      "by its most distinctive context words and shown with its most typical occurrences."),
    el("div", { class: "senses-layout" }, el("ol", { class: "sense-list" }, senses), senseMap(map)));
}

/* About `n` round values (steps of 1, 2 or 5 times a power of ten) between lo and hi. */
function roundTicks(lo, hi, n = 6) {
  if (!(hi > lo)) return { values: [lo], decimals: 2 };
  const raw = (hi - lo) / n;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9));
  const values = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i += 1) values.push(i * step);
  return { values, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

/* The map: one circle per occurrence on the two principal axes, with ticks of their values;
 * hover shows an occurrence, click searches from it. */
function senseMap(map) {
  const [width, height] = [560, 440];
  const frame = { left: 70, right: width - 14, top: 12, bottom: height - 54 };
  const extent = (values) => [Math.min(...values), Math.max(...values)];
  const [xs, ys] = [extent(map.points.map((p) => p.x)), extent(map.points.map((p) => p.y))];
  const scale = ([lo, hi], from, to) => (v) => (hi > lo ? from + ((v - lo) / (hi - lo)) * (to - from) : (from + to) / 2);
  const inset = 10; // points stay off the frame
  const [sx, sy] = [scale(xs, frame.left + inset, frame.right - inset),
    scale(ys, frame.bottom - inset, frame.top + inset)];
  const byOccurrence = new Map(map.points.map((p) => [String(p.occurrence), p]));
  const points = map.points.map((p) => svg("circle", { class: "point", cx: sx(p.x).toFixed(1),
    cy: sy(p.y).toFixed(1), r: 4.5, fill: senseColour(p.sense), "data-sense": p.sense,
    "data-occurrence": p.occurrence }));
  // Each sense's centre: the mean of its points, a cross in its colour on a dark one, over them.
  const centres = map.senses.map((s) => {
    const mine = map.points.filter((p) => p.sense === s.sense);
    if (!mine.length) return null;
    const [cx, cy] = [sx(mine.reduce((t, p) => t + p.x, 0) / mine.length),
      sy(mine.reduce((t, p) => t + p.y, 0) / mine.length)];
    const arm = 8;
    const d = `M${cx - arm},${cy - arm}L${cx + arm},${cy + arm}M${cx - arm},${cy + arm}L${cx + arm},${cy - arm}`;
    return svg("g", { class: "centre", "data-sense": s.sense, "data-x": cx.toFixed(1), "data-y": cy.toFixed(1) },
      svg("title", {}, `centre of sense ${s.sense}`), svg("path", { class: "centre-edge", d }),
      svg("path", { class: "centre-mark", d, stroke: senseColour(s.sense) }));
  });
  const ticks = (axis, [lo, hi], place) => {
    const { values, decimals } = roundTicks(lo, hi);
    return values.map((v) => {
      const text = v.toFixed(decimals).replace(/^-(0\.?0*)$/, "$1").replace("-", "−");
      return svg("g", { class: `tick tick-${axis}`, "data-value": v }, place(v, text));
    });
  };
  const xTicks = ticks("x", xs, (v, text) => [
    svg("line", { x1: sx(v).toFixed(1), x2: sx(v).toFixed(1), y1: frame.bottom, y2: frame.bottom + 5 }),
    svg("text", { x: sx(v).toFixed(1), y: frame.bottom + 20, "text-anchor": "middle" }, text)]);
  const yTicks = ticks("y", ys, (v, text) => [
    svg("line", { x1: frame.left - 5, x2: frame.left, y1: sy(v).toFixed(1), y2: sy(v).toFixed(1) }),
    svg("text", { x: frame.left - 8, y: (sy(v) + 5).toFixed(1), "text-anchor": "end" }, text)]);
  const drawn = map.drawn < map.total ? `a sample of ${count(map.drawn)} of ${count(map.total)}` : count(map.total);
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Map of ${drawn} occurrences of ${map.word}, coloured by sense`,
    onmouseover: (e) => tip(e, byOccurrence.get(e.target.dataset?.occurrence)),
    onmouseout: () => ($("map-tip").hidden = true),
    onclick: (e) => e.target.dataset?.occurrence && searchFrom(Number(e.target.dataset.occurrence)) },
    svg("rect", { class: "frame", x: frame.left, y: frame.top, width: frame.right - frame.left,
      height: frame.bottom - frame.top }),
    xTicks, yTicks,
    svg("text", { class: "axis", x: (frame.left + frame.right) / 2, y: height - 8, "text-anchor": "middle" }, map.axes[0]),
    svg("text", { class: "axis", x: 14, y: (frame.top + frame.bottom) / 2, "text-anchor": "middle",
      transform: `rotate(-90 14 ${(frame.top + frame.bottom) / 2})` }, map.axes[1]),
    points, centres);
  return el("figure", { id: "sense-map", class: "sense-map" }, picture,
    el("figcaption", {}, `${drawn} occurrences on the two directions of largest variance of their `,
      "unit vectors (the ticks: coordinates along each); a cross marks each sense's centre. ",
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

// ---- Metadata: the filter, the Compare and the Changes views -------------------------------

const BINNABLE = new Set(["integer", "float", "date"]); // field types that bins can cut
const CHANGES_N = 50;                                  // words shown by Changes
const percent = (share) => `${(100 * share).toFixed(1)}%`;
const metadata = () => state.fields[state.index.name] || { fields: [], metadata: [] };
const hasMetadata = () => metadata().metadata.length > 0;
const fieldType = (name) => metadata().fields.find((f) => f.name === name)?.type;
/* The filter, sent only where it is shown (an index with metadata fields). */
const filterValue = () => (hasMetadata() ? $("where").value.trim() : "");
const binsOf = (view) => (BINNABLE.has(fieldType($(`${view}-by`).value)) ? $(`${view}-bins`).value.trim() : "");
const filtered = (where) => (where ? ` where ${where}` : "");
const listed = (names) => (names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`);

/* The fields of every index served (once, at start-up); an index that cannot say has none. */
async function loadFields() {
  await Promise.all(state.indexes.map(async ({ name }) => {
    try {
      state.fields[name] = await api(`${encodeURIComponent(name)}/fields`);
    } catch {
      state.fields[name] = { fields: [], metadata: [] };
    }
  }));
}

/* Show the filter and fill the field selects for the index chosen (or say it has no metadata). */
function showMetadata() {
  const { fields, metadata: names } = metadata();
  const others = fields.filter((f) => !names.includes(f.name)).map((f) => f.name);
  $("where-field").hidden = !names.length;
  $("where-hint").textContent = names.length ? `An SQL condition over the fields ${names.map((name) =>
    `${name} (${fieldType(name)})`).join(", ")}${others.length ? `, or ${others.join(", ")}` : ""}.` : "";
  for (const view of ["compare", "changes"]) {
    $(`${view}-none`).hidden = names.length > 0;
    $(`${view}-form`).hidden = !names.length;
    const select = $(`${view}-by`);
    const before = select.value;
    select.replaceChildren(...names.map((name) => el("option", { value: name, selected: name === before }, name)));
    $(`${view}-result`).replaceChildren();
    showBins(view);
  }
  state.groups = {};
  $("changes-from").replaceChildren();
  $("changes-to").replaceChildren();
  if (names.length && !$("changes").hidden) fillGroups(); // the view open: its groups at once
}

function showBins(view) {
  $(`${view}-bins-field`).hidden = !BINNABLE.has(fieldType($(`${view}-by`).value));
}

/* Run `work` for `view` with its result region marked busy. */
const busy = (view, work) => async () => {
  $(`${view}-result`).setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    $(`${view}-result`).removeAttribute("aria-busy");
  }
};

function compareQuery() {
  return { word: $("word").value.trim() || state.word, by: $("compare-by").value, bins: binsOf("compare"),
    layer: $("layer").value, where: filterValue() };
}
const compareKey = (query) => `${state.index.name} ${JSON.stringify(query)}`;

/* On opening: what to do, or the comparison again where the word or settings changed since. */
function openCompare() {
  if (!hasMetadata()) return;
  const query = compareQuery();
  if (!query.word) return $("compare-result").replaceChildren(el("p", { class: "empty" }, "Search for a word first."));
  if (state.loaded.compare && state.loaded.compare !== compareKey(query)) return runCompare();
  if (!state.loaded.compare) {
    $("compare-result").replaceChildren(el("p", { class: "empty" },
      `Choose a field and press Compare to see the senses of “${query.word}” in each of its groups.`));
  }
}

function runCompare(event) {
  event?.preventDefault();
  const query = compareQuery();
  if (!query.word) return setStatus("Search for a word first.", true);
  load("compare", `Comparing “${query.word}” by ${query.by}…`, busy("compare", async () => {
    const examples = { word: query.word, layer: query.layer, examples: 1, dedupe: "true", where: query.where };
    const [data, senses] = await Promise.all([indexApi("compare", query), indexApi("senses", examples)]);
    return () => { state.loaded.compare = compareKey(query); renderCompare(data, query, senses); };
  }));
}

/* A stacked bar of a group's sense shares: one segment per sense, and its text for readers. */
function stackedBar(senses, group) {
  const said = group.count ? senses.map((s, i) => `sense ${s.sense} ${percent(group.shares[i])}`).join(", ")
    : "no occurrences";
  return el("div", { class: "stack", role: "img", "aria-label": `${group.group}: ${said}` },
    senses.map((s, i) => el("span", { class: "segment", "data-sense": s.sense, "data-share": group.shares[i],
      title: `Sense ${s.sense} (${s.label}): ${percent(group.shares[i])}`,
      style: `width:${(100 * group.shares[i]).toFixed(2)}%;background:${senseColour(s.sense)}` })));
}

/* Compare: the shares table, the scores table, and each sense with its most typical occurrence
 * (`senses`: the answer of api/<index>/senses for the same word, one example each). */
function renderCompare(data, query, senses) {
  const example = (sense) => senses?.senses.find((s) => s.sense === sense)?.examples[0];
  const swatch = (sense) => el("span", { class: "swatch", style: `background:${senseColour(sense)}`,
    "aria-hidden": "true" });
  const shares = el("table", { class: "compare-table" },
    el("caption", {}, `Senses of “${data.word}” by ${data.by}${filtered(query.where)}, layer ${data.layer}`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, data.by), el("th", { scope: "col" }, "Occurrences"),
      data.senses.map((s) => el("th", { scope: "col", title: s.label }, swatch(s.sense), `Sense ${s.sense}`)),
      el("th", { scope: "col", class: "stack-column" }, "Shares"))),
    el("tbody", {}, data.groups.map((group) => el("tr", { "data-group": group.group },
      el("th", { scope: "row", class: "group" }, group.group),
      el("td", { class: "num" }, count(group.count)),
      data.senses.map((s, i) => el("td", { class: "share-cell", "data-sense": s.sense },
        group.count ? percent(group.shares[i]) : "–")),
      el("td", { class: "stack-cell" }, stackedBar(data.senses, group))))));
  const pairs = el("table", { class: "pairs-table" },
    el("caption", {}, "Change between the groups"),
    el("thead", {}, el("tr", {}, ["From", "To", "Occurrences from", "Occurrences to"].map((h) =>
      el("th", { scope: "col" }, h)), [["APD", "average pairwise cosine distance"],
      ["PRT", "cosine distance of the mean vectors"], ["JSD", "Jensen-Shannon divergence of the sense shares"]]
      .map(([h, title]) => el("th", { scope: "col" }, el("abbr", { title }, h))))),
    el("tbody", {}, data.pairs.map((pair) => el("tr", { "data-from": pair.from, "data-to": pair.to },
      el("td", {}, pair.from), el("td", {}, pair.to),
      el("td", { class: "num" }, count(pair.count_from)), el("td", { class: "num" }, count(pair.count_to)),
      ["apd", "prt", "jsd"].map((score) => el("td", { class: `score ${score}` }, fixed(pair[score])))))));
  $("compare-result").replaceChildren(...[
    el("ul", { class: "legend compare-legend", "aria-label": "Senses" }, data.senses.map((s) => {
      const typical = example(s.sense);
      return el("li", { "data-sense": s.sense }, el("span", { class: "sense-name" }, swatch(s.sense),
        `Sense ${s.sense}: ${s.label}`), typical && el("button", { type: "button", class: "sense-example",
        "data-occurrence": typical.occurrence, title: `Search from occurrence ${typical.occurrence}`,
        onclick: () => searchFrom(typical.occurrence) }, "e.g. ", marked(typical.sentence, typical.position)));
    })),
    el("div", { class: "table-wrap" }, shares),
    data.ungrouped > 0 && el("p", { class: "summary" },
      `${plural(data.ungrouped, "occurrence")} with no ${data.by} ${data.ungrouped === 1 ? "is" : "are"} left out.`),
    data.empty?.length > 0 && el("p", { class: "summary empty-groups" },
      `No occurrence of “${data.word}” in ${data.by} ${listed(data.empty)}: `,
      `${data.empty.length === 1 ? "this group is" : "these groups are"} left out of the tables.`),
    data.pairs.length ? el("div", { class: "table-wrap" }, pairs)
      : el("p", { class: "empty" }, "One group only: nothing to compare it with.")].filter(Boolean));
}

/* Changes: the from/to selects list the groups of the field (and bins) chosen. */
function openChanges() {
  if (hasMetadata()) fillGroups();
}

function fillGroups() {
  const [by, bins] = [$("changes-by").value, binsOf("changes")];
  const key = `${state.index.name} ${by} ${bins}`;
  const fill = (groups) => {
    for (const [id, pick] of [["changes-from", 0], ["changes-to", groups.length - 1]]) {
      const before = $(id).value;
      const chosen = groups.some((g) => g.group === before) ? before : groups[pick]?.group;
      $(id).replaceChildren(...groups.map((g) => el("option", { value: g.group, selected: g.group === chosen },
        `${g.group} (${count(g.occurrences)})`)));
    }
  };
  if (state.groups[key]) return fill(state.groups[key]);
  load("groups", `Reading the groups of ${by}…`, async () => {
    const data = await indexApi("groups", { by, bins });
    return () => { state.groups[key] = data.groups; fill(data.groups); };
  });
}

function runChanges(event) {
  event?.preventDefault();
  const query = { by: $("changes-by").value, bins: binsOf("changes"), from: $("changes-from").value,
    to: $("changes-to").value, score: $("changes-score").value, min_count: $("changes-min").value,
    layer: $("layer").value, n: CHANGES_N, where: filterValue() };
  if (!query.from || !query.to) return setStatus(`Choose the two groups of ${query.by} first.`, true);
  const slow = query.score === "jsd" ? " JSD clusters every word: this takes a few seconds." : "";
  load("changes", `Ranking the words by ${query.score.toUpperCase()} from ${query.from} to ${query.to}…${slow}`,
    busy("changes", async () => {
      const data = await indexApi("changes", query);
      return () => renderChanges(data, query);
    }));
}

function renderChanges(rows, query) {
  const name = query.score.toUpperCase();
  const table = el("table", { class: "changes-table", "data-score": query.score },
    el("caption", {}, `Words ranked by ${name} from ${query.from} to ${query.to} (${query.by}${filtered(query.where)}), `,
      `at least ${count(Number(query.min_count))} occurrences in each`),
    el("thead", {}, el("tr", {}, ["Rank", "Word", name, `Count in ${query.from}`, `Count in ${query.to}`]
      .map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((row, i) => el("tr", { "data-word": row.word },
      el("td", { class: "rank" }, String(i + 1)),
      el("td", { class: "word" }, el("button", { type: "button", class: "word-link",
        title: `Search for “${row.word}”`, onclick: () => { $("word").value = row.word; search(formQuery()); } },
      row.word)),
      el("td", { class: "score" }, fixed(row.score)),
      el("td", { class: "num" }, count(row.count_from)),
      el("td", { class: "num" }, count(row.count_to))))));
  $("changes-result").replaceChildren(rows.length ? el("div", { class: "table-wrap" }, table)
    : el("p", { class: "empty" }, `No word has ${count(Number(query.min_count))} occurrences in both groups.`));
}

// ---- Views, the address bar, start-up -----------------------------------------------------

/* Each view: its section and what opening it does. A new view adds one entry and one tab. */
const VIEWS = {
  neighbors: { section: "results", open: () => {} },
  senses: { section: "senses", open: loadSenses },
  distances: { section: "distances", open: loadDistances },
  compare: { section: "compare", open: openCompare },
  changes: { section: "changes", open: openChanges },
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
  $("where").value = params.get("where") || ""; // a search without a filter has none
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
  if (state.index !== before) showMetadata();
}

async function start() {
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(formQuery()); });
  $("context-form").addEventListener("submit", searchContext);
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  $("compare-form").addEventListener("submit", runCompare);
  $("compare-by").addEventListener("change", () => showBins("compare"));
  $("changes-form").addEventListener("submit", runChanges);
  $("changes-by").addEventListener("change", () => { showBins("changes"); fillGroups(); });
  $("changes-bins").addEventListener("change", fillGroups);
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
  await loadFields();
  restore();
  $("word").focus();
}

document.addEventListener("DOMContentLoaded", start);
